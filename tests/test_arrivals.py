"""SEQ/PARA arrival semantics and seeded Poisson gaps, on a virtual clock."""

from __future__ import annotations

import statistics

import pytest

from uwfq_lab.arrivals import gaps_s, open_loop_arrivals_s, run_entry
from uwfq_lab.model import Entry


class VirtualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, t)


def _entry(frequency, iterations=4, start_ms=100.0, rate=0.0, user="u", name="w"):
    return Entry(user=user, name=name, job_class="Loop100", total_iterations=iterations,
                 start_time_ms=start_ms, poisson_rate_per_min=rate, frequency=frequency)


def _replay(entry, durations, **kw):
    """Run the entry; a SEQ job holds the clock for its duration, a PARA job returns at once."""
    clock = VirtualClock()
    ends = []

    def start_job(i):
        if entry.sequential:
            clock.t += durations[i]
            ends.append(clock.t)

    starts = run_entry(entry, clock, start_job, **kw)
    return starts, ends


def test_para_burst_arrives_all_at_the_start_time():
    starts, _ = _replay(_entry("PARA", rate=0), [5, 5, 5, 5])
    assert starts == [0.1, 0.1, 0.1, 0.1]


def test_seq_burst_starts_each_job_when_the_previous_ends():
    starts, ends = _replay(_entry("SEQ", rate=0), [2.0, 3.0, 1.0, 4.0])
    assert starts == pytest.approx([0.1, 2.1, 5.1, 6.1])
    assert ends == pytest.approx([2.1, 5.1, 6.1, 10.1])


def test_seq_with_gaps_starts_at_previous_start_plus_gap_or_previous_end():
    entry = _entry("SEQ", iterations=6, rate=6.0)  # mean gap 10 s
    gaps = gaps_s(entry, seed=7)
    durations = [1.0, 30.0, 0.5, 25.0, 2.0, 1.0]  # some end before the next is due, some after
    starts, ends = _replay(entry, durations, seed=7)
    expected = [0.1]
    for i, gap in enumerate(gaps):
        expected.append(max(expected[i] + gap, ends[i]))
    assert starts == pytest.approx(expected)
    # Both branches of max() were exercised.
    assert any(s == pytest.approx(e) for s, e in zip(starts[1:], ends)), "a job waited on its predecessor"
    assert any(s > e + 1e-9 for s, e in zip(starts[1:], ends)), "a job waited for its gap"


def test_para_is_an_open_loop_at_cumulative_gaps():
    entry = _entry("PARA", iterations=5, rate=15.0)
    starts, _ = _replay(entry, [100.0] * 5, seed=3)
    gaps = gaps_s(entry, seed=3)
    assert starts == pytest.approx(open_loop_arrivals_s(entry, seed=3))
    assert [b - a for a, b in zip(starts, starts[1:])] == pytest.approx(gaps)


def test_gaps_are_seeded_per_run_user_and_entry():
    a = _entry("PARA", iterations=50, rate=15.0, user="a")
    b = _entry("PARA", iterations=50, rate=15.0, user="b")
    assert gaps_s(a, seed=1) == gaps_s(a, seed=1)
    assert gaps_s(a, seed=1) != gaps_s(a, seed=2)
    assert gaps_s(a, seed=1) != gaps_s(b, seed=1)


def test_gaps_are_exponential_with_the_given_rate_per_minute():
    entry = _entry("PARA", iterations=4001, rate=15.0)  # mean gap 4 s
    gaps = gaps_s(entry, seed=11)
    assert statistics.mean(gaps) == pytest.approx(4.0, rel=0.06)
    assert statistics.stdev(gaps) == pytest.approx(4.0, rel=0.1)  # exponential: sd = mean
    assert min(gaps) >= 0


def test_time_scale_stretches_start_and_gaps_together():
    entry = _entry("PARA", iterations=5, start_ms=30_000, rate=8.0)
    full = open_loop_arrivals_s(entry, seed=5)
    half = open_loop_arrivals_s(entry, seed=5, time_scale=0.5)
    assert half == pytest.approx([t / 2 for t in full])


def test_zero_iterations_start_nothing():
    starts, _ = _replay(_entry("SEQ", iterations=0), [])
    assert starts == []
