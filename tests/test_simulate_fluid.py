"""The fluid ideal (weighted user-level processor sharing) on cases solved by hand."""

from __future__ import annotations

import pytest

from uwfq_lab.simulate.fluid import FluidJob, gps_schedule


def finishes(jobs, cores=32):
    return gps_schedule(jobs, cores).finish_ms


def test_one_job_alone_runs_on_every_core():
    assert finishes([FluidJob("a", 32_000)]) == pytest.approx([1_000])


def test_two_users_share_equally():
    assert finishes([FluidJob("a", 32_000), FluidJob("b", 32_000)]) == pytest.approx([2_000, 2_000])


def test_a_users_share_is_split_among_its_jobs_and_freed_share_goes_to_the_others():
    # a: 16 cores split 8/8 -> both of a's jobs end at 1000 ms; b: 16 cores for 1000 ms, then 32.
    jobs = [FluidJob("a", 8_000), FluidJob("a", 8_000), FluidJob("b", 32_000)]
    assert finishes(jobs) == pytest.approx([1_000, 1_000, 1_500])


def test_weights_scale_the_share():
    # a (weight 3) gets 24 cores, b gets 8; after a ends at 1333 ms, b has all 32.
    jobs = [FluidJob("a", 32_000, weight=3), FluidJob("b", 32_000, weight=1)]
    assert finishes(jobs) == pytest.approx([4_000 / 3, 2_000])


def test_a_late_arrival_takes_half_from_then_on():
    jobs = [FluidJob("a", 32_000), FluidJob("b", 16_000, arrival_ms=500)]
    assert finishes(jobs) == pytest.approx([1_500, 1_500])


def test_chained_jobs_start_at_the_later_of_gap_and_previous_finish():
    jobs = [FluidJob("a", 32_000), FluidJob("a", 3_200, after=0, gap_ms=200),
            FluidJob("a", 3_200, after=1, gap_ms=5_000)]
    result = gps_schedule(jobs, 32)
    assert result.start_ms == pytest.approx([0, 1_000, 6_000])
    assert result.finish_ms == pytest.approx([1_000, 1_100, 6_100])


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="cores must be positive"):
        gps_schedule([FluidJob("a", 1)], 0)
    with pytest.raises(ValueError, match="does not exist"):
        gps_schedule([FluidJob("a", 1, after=5)], 4)
