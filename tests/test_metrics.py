"""Metrics on hand-computed cases, and the paper's column names."""

from __future__ import annotations

import csv

import pytest

from uwfq_lab.metrics import (JobOutcome, average_rows, band_mean, deadline_ratios, summarize,
                                worst_mean)
from uwfq_lab import load_workload
from uwfq_lab.loader import SCENARIOS


def _job(user, cls, start, finish, it=0, iso=None, workload="w"):
    return JobOutcome(user=user, workload=workload, iteration=it, job_class=cls,
                      start_s=start, finish_s=finish, isolated_s=iso)


UJF = [_job("a", "loop100", 0, 10, iso=5), _job("b", "loop20", 0, 4, it=0, iso=1),
       _job("b", "loop20", 2, 6, it=1, iso=1)]
RUN = [_job("a", "loop100", 0, 15, iso=5), _job("b", "loop20", 0, 2, it=0, iso=1),
       _job("b", "loop20", 2, 4, it=1, iso=1)]


def test_deadline_ratio_is_positive_when_later_than_under_ujf():
    # a: (15 - 10) / 10; b0: (2 - 4) / 4; b1: (4 - 6) / (6 - 2)
    assert deadline_ratios(RUN, UJF) == {("a", "w", 0): 0.5, ("b", "w", 0): -0.5,
                                         ("b", "w", 1): -0.5}


def test_deadline_ratio_uses_finish_times_not_response_times():
    # Same response time (2 s) but started, and so finished, 3 s later than under UJF.
    late = [_job("b", "loop20", 5, 7)]
    assert deadline_ratios(late, [_job("b", "loop20", 2, 4)]) == {("b", "w", 0): 1.5}


def test_summary_dvr_dsr_per_class_user_and_total():
    row = summarize(RUN, config="t", scheduler="CUSTOM_USERCLUSTERFAIR", reference=UJF)
    assert row["Total DVR"] == 0.5 and row["Total violations"] == 1
    assert row["Total DSR"] == -0.5 and row["Total gains"] == 2
    assert row["loop100_ DVR"] == 0.5 and row["loop100_ violation count"] == 1
    assert row["loop100_ DSR"] is None and row["loop100_ slack count"] == 0
    assert row["loop20_ DVR"] is None and row["loop20_ DSR"] == -0.5
    assert row["loop20_ slack count"] == 2
    assert row["loop1000_ DVR"] is None and row["loop1000_ violation count"] == 0
    assert row["a_ DVR"] == 0.5 and row["b_ DSR"] == -0.5 and row["b_ slack count"] == 2
    assert row["best user DVR"] == 0.5 and row["worst user DVR "] == 0.5


def test_the_ujf_row_has_blank_deadline_columns():
    row = summarize(UJF, config="t", scheduler="CUSTOM_FAIR", reference=None)
    dvr_keys = [k for k in row if "DVR" in k or "DSR" in k or "count" in k
                or k in ("Total violations", "Total gains")]
    assert dvr_keys and all(row[k] is None for k in dvr_keys)


def test_ujf_against_itself_is_all_slack_of_zero():
    row = summarize(UJF, config="t", scheduler="x", reference=UJF)
    assert row["Total DVR"] is None and row["Total violations"] == 0
    assert row["Total DSR"] == 0 and row["Total gains"] == 3


def test_response_time_and_slowdown_means():
    row = summarize(RUN, config="t", scheduler="x")
    assert row["average response time"] == pytest.approx((15 + 2 + 2) / 3)
    assert row["loop100_ average response time"] == 15
    assert row["loop100_ average proportional slowdown"] == 3  # 15 s / 5 s alone
    assert row["loop20_ average proportional slowdown"] == 2
    assert row["b_ average response time"] == 2
    assert row["average proportional slowdown (worst10%)"] == 3
    assert row["total time"] is None and row["Config"] == "t"


def test_worst_and_band_means_on_1_to_20():
    values = list(range(20, 0, -1))
    assert worst_mean(values, 0.10) == 19.5  # the slowest 2
    assert worst_mean(values, 0.01) == 20  # at least one job
    assert band_mean(values, 0.0, 0.80) == 8.5  # 1..16
    assert band_mean(values, 0.80, 0.95) == 18  # 17, 18, 19
    assert band_mean(values, 0.95, 1.0) == 20
    assert worst_mean([], 0.1) is None


def test_paper_rows_satisfy_the_band_reading_of_worst80_95_100():
    """The three bands, weighted by their job counts, give back the paper's overall mean."""
    for path in (SCENARIOS / "paper").glob("*_run_data_avg.csv"):
        if path.name.startswith("hetero_macro"):
            # The trace's rows (means of 3 runs) miss it by ~0.3% for every job count:
            # its runs likely measured different numbers of jobs. S1-S4 pin the reading.
            continue
        n = len(load_workload(path.name.removesuffix("_run_data_avg.csv")).logical_jobs())
        i80, i95 = int(n * 0.80), int(n * 0.95)
        for r in csv.DictReader(path.open()):
            bands = (i80 * float(r["average response time (worst80)"])
                     + (i95 - i80) * float(r["average response time (worst95)"])
                     + (n - i95) * float(r["average response time (worst100)"])) / n
            assert bands == pytest.approx(float(r["average response time"]), rel=1e-3), path


def test_columns_match_the_papers_results_file():
    workload = load_workload("2_power_2_small_users")
    run = [_job(e.user, e.class_label, 0, 1, it=i, workload=e.name, iso=1)
           for e in workload.entries for i in range(e.total_iterations)]
    ours = list(summarize(run, config=workload.name, scheduler="x", reference=run))
    with (SCENARIOS / "paper" / "2_power_2_small_users_run_data_avg.csv").open() as f:
        theirs = next(csv.reader(f))[1:]  # the first column is pandas' unnamed index
    assert ours == theirs


def test_average_rows_averages_numbers_and_keeps_blanks():
    rows = [{"Config": "s", "a": 1.0, "b": None}, {"Config": "s", "a": 3.0, "b": None}]
    assert average_rows(rows) == {"Config": "s", "a": 2.0, "b": None}
