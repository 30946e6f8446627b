"""End to end: a tiny scenario replayed on local Spark under two policies, results as the
paper's files. Times come from Spark's job events, so order is checked, never durations."""

from __future__ import annotations

import csv
import json

import pytest

from uwfq_lab.metrics import LEAD_COLUMNS
from uwfq_lab import load_workload
from uwfq_lab.compare import compare_policies
from uwfq_lab.replay import Scaling
from uwfq_lab.report import format_table, write_results

TINY = [
    {"user": "steady", "workloads": [
        {"workloadName": "loop100", "className": "jobs.implementations.udf.Loop100",
         "totalIterations": 3, "startTimeMs": 0, "poissonRateInMinutes": 0,
         "frequency": "SEQ", "params": {}}]},
    {"user": "bursty", "workloads": [
        {"workloadName": "loop20", "className": "Loop20", "totalIterations": 2,
         "startTimeMs": "50", "poissonRateInMinutes": 0, "frequency": "PARA", "params": {}},
        {"workloadName": "trace_a", "className": "LoopCustom", "totalIterations": 1,
         "startTimeMs": 100, "poissonRateInMinutes": 0, "frequency": "PARA",
         "params": {"task_runtime_s": 2.0, "job_runtime_s": 3.0}},
        {"workloadName": "trace_a", "className": "LoopCustom", "totalIterations": 1,
         "startTimeMs": 100, "poissonRateInMinutes": 0, "frequency": "PARA",
         "params": {"task_runtime_s": 1.0, "job_runtime_s": 3.0}}]},
]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.json"
    path.write_text(json.dumps(TINY))
    workload = load_workload(path)
    return compare_policies(workload, ["fifo", "ujf"], Scaling(scale=0.2, cores=2),
                            log=lambda line: None)


@pytest.mark.slow
def test_every_logical_job_is_measured_from_spark_events(comparison):
    for result in comparison.results:
        (run,) = result.runs
        assert run.failures == []
        # 3 SEQ + 2 PARA + one trace group of two entries = 6 logical jobs.
        assert sorted((o.user, o.workload, o.iteration) for o in run.outcomes) == [
            ("bursty", "loop20", 0), ("bursty", "loop20", 1), ("bursty", "trace_a", 0),
            ("steady", "loop100", 0), ("steady", "loop100", 1), ("steady", "loop100", 2)]
        assert all(o.finish_s > o.start_s >= 0 for o in run.outcomes)
        assert all(o.isolated_s and o.isolated_s > 0 for o in run.outcomes)


@pytest.mark.slow
def test_seq_jobs_start_only_after_their_predecessor_ended(comparison):
    for result in comparison.results:
        steady = sorted((o for o in result.runs[0].outcomes if o.user == "steady"),
                        key=lambda o: o.iteration)
        for before, after in zip(steady, steady[1:]):
            assert after.start_s >= before.finish_s


@pytest.mark.slow
def test_results_have_the_papers_columns_and_dvr_against_ujf(comparison, tmp_path):
    rows = {row["policy"]: row for row in comparison.rows()}
    assert rows["fifo"]["Scheduler"] == "TRUE_FIFO" and rows["ujf"]["Scheduler"] == "CUSTOM_FAIR"
    fifo = rows["fifo"]
    assert fifo["Total violations"] + fifo["Total gains"] == 6  # every job compared once
    assert rows["ujf"]["Total DVR"] is None and rows["ujf"]["Total violations"] is None
    assert fifo["scale"] == 0.2 and fifo["job size factor"] == pytest.approx(2 / 32 * 0.2)
    assert fifo["cpu time"] > 0 and fifo["task scheduler delay"] >= 0

    paths = write_results(comparison, tmp_path)
    with (tmp_path / "tiny_run_data_avg.csv").open() as f:
        header = next(csv.reader(f))
    assert header[:len(LEAD_COLUMNS) + 1] == ["", *LEAD_COLUMNS]
    assert "steady_ average response time" in header and "loop100_ DVR" in header
    assert all(p.exists() for p in paths)
    table = format_table(comparison)
    assert "fifo" in table and "ujf" in table and "steady RT" in table
