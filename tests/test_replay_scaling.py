"""Scaling keeps load relative to capacity; isolated times interpolate between measured sizes."""

from __future__ import annotations

import pytest

from uwfq_lab import load_workload
from uwfq_lab.arrivals import open_loop_arrivals_s
from uwfq_lab.replay import Isolated, Scaling
from uwfq_lab.spark_jobs import key_row_counts


def test_scaling_shrinks_jobs_by_cores_over_32_times_scale():
    s = Scaling(scale=0.5, cores=2)
    w = load_workload("2_power_2_small_users")
    entry = w.users[0].entries[0]
    assert s.core_ms(entry) == pytest.approx(26_926 * 2 / 32 * 0.5)
    # Offered load per unit of capacity is unchanged: work / cores / time span.
    paper = w.total_core_ms / 32 / max(open_loop_arrivals_s(e)[-1] for e in w.entries)
    ours = (w.total_core_ms * s.size_factor / 2
            / max(open_loop_arrivals_s(e, time_scale=s.time_scale)[-1] for e in w.entries))
    assert ours == pytest.approx(paper)


def test_isolated_interpolates_and_extrapolates_linearly():
    iso = Isolated({1000.0: 1.0, 3000.0: 2.0})
    assert iso(1000) == 1.0 and iso(2000) == 1.5 and iso(5000) == 3.0
    assert iso(500) == 1.0  # below the smallest measured size: not faster than it
    assert Isolated({1000.0: 1.0})(2000) == 2.0  # one point: proportional


def test_input_is_skewed_and_sums_to_its_rows():
    counts = key_row_counts(keys=8, rows=8000, skew=0.5)
    assert sum(counts) == 8000
    assert counts == sorted(counts, reverse=True) and counts[0] > 2 * counts[-1]
