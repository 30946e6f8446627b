"""The runtime partitioner on real local Spark, judged from recorded stages and tasks.

Each test reads a parquet input written with small row groups (a parquet file splits only at
row-group boundaries) in skewed files, and burns CPU per row in the JVM.
"""

from __future__ import annotations

import gzip
import threading
import time

import pytest

import spark_uwfq as uwfq
from spark_uwfq import partitioner
from spark_uwfq.events import EventLog
from spark_uwfq.session import local_session

TARGET_MS = 500
LINGER_MS = 1500
# Per-row CPU in the JVM (a SQL higher-order function, no Python UDF).
BURN = "aggregate(sequence(1, 150), 0D, (acc, x) -> acc + sqrt(x + id)) AS v"


@pytest.fixture(scope="module")
def spark():
    # A short linger: a finished logical job's cost becomes history 1.5 s after its last Spark
    # job (a query's several Spark jobs follow each other much faster than that).
    session = local_session("local[2]", app_name="uwfq-partitioner-tests", partitioner=True,
                            partitioner_target_task_ms=TARGET_MS,
                            conf={"spark.uwfq.jobLingerMs": str(LINGER_MS)})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def skewed_parquet(spark, tmp_path_factory):
    """Four files per key directory, keys holding 60/25/10/5% of 400k rows."""
    path = str(tmp_path_factory.mktemp("partitioner") / "skewed")
    (spark.range(0, 400_000, numPartitions=4)
     .selectExpr("id", "CASE WHEN id % 20 < 12 THEN 0 WHEN id % 20 < 17 THEN 1 "
                 "WHEN id % 20 < 19 THEN 2 ELSE 3 END AS k")
     .write.option("parquet.block.size", 64 * 1024).partitionBy("k").parquet(path))
    return path


@pytest.fixture()
def log(spark):
    events = EventLog(spark)
    events.clear()
    partitioner.decisions(spark, clear=True)
    return events


def _stages(events, job_id):
    """(stage_id -> num_tasks, stage_id -> list of task run times) of one logical job."""
    mine = events[events.logical_job == job_id]
    submitted = mine[mine.kind == "STAGE_SUBMITTED"]
    tasks = mine[mine.kind == "TASK_END"]
    counts = dict(zip(submitted.stage_id, submitted.num_tasks))
    runs = {stage: list(group.run_ms) for stage, group in tasks.groupby("stage_id")}
    return counts, runs


def _heaviest_stage(runs):
    return max(runs, key=lambda stage: sum(runs[stage]))


def _burn_job(spark, path, burn=BURN):
    return spark.read.parquet(path).selectExpr("k", burn).groupBy("k").sum("v")


# Heavy enough that even a fast, warm machine needs several target-sized tasks for it, so the
# partitioner's count is visibly above the plain scan's.
HEAVY_BURN = BURN.replace("sequence(1, 150)", "sequence(1, 600)")


def test_calibrated_job_tasks_take_about_the_target(spark, skewed_parquet, log):
    # Warm the JIT first: a cold first run costs more per row than the runs that follow.
    _burn_job(spark, skewed_parquet, HEAVY_BURN).collect()
    log.drain()
    # Calibrate: without an estimate the partitioner leaves the job alone; its recorded run time
    # over all tasks is its cost.
    with uwfq.job(spark, key="calibrate") as plain_id:
        _burn_job(spark, skewed_parquet, HEAVY_BURN).collect()
    events = log.drain()
    plain_counts, plain_runs = _stages(events, plain_id)
    cost_ms = int(sum(sum(r) for r in plain_runs.values()))
    assert partitioner.decisions(spark).empty

    with uwfq.job(spark, key="calibrated", cost_hint_ms=cost_ms) as job_id:
        _burn_job(spark, skewed_parquet, HEAVY_BURN).collect()
    counts, runs = _stages(log.drain(), job_id)

    expected = max(2, round(cost_ms / TARGET_MS))
    heaviest = _heaviest_stage(runs)
    assert counts[heaviest] >= expected > plain_counts[_heaviest_stage(plain_runs)]
    median = sorted(runs[heaviest])[len(runs[heaviest]) // 2]
    assert 0.5 * TARGET_MS <= median <= 2 * TARGET_MS, (cost_ms, counts, runs[heaviest])
    decision = partitioner.decisions(spark)
    assert set(decision.source) == {"hint"} and set(decision.tasks) == {expected}


def _exchanges(df):
    plan = df._jdf.queryExecution().executedPlan().toString()
    return plan.count("Exchange "), "RoundRobinPartitioning" in plan


def test_splittable_scan_gets_its_split_and_no_extra_shuffle(spark, skewed_parquet, log):
    def run(tasks):
        df = spark.read.parquet(skewed_parquet).selectExpr("k", BURN)
        with uwfq.job(spark, key="noop") as job_id, partitioner.target_tasks(spark, tasks):
            df.write.format("noop").mode("overwrite").save()
        return job_id, df

    partitioner.set_enabled(spark, False)
    try:
        plain_id, plain_df = run(10)
    finally:
        partitioner.set_enabled(spark, True)
    split_id, split_df = run(10)
    events = log.drain()

    plain_counts, _ = _stages(events, plain_id)
    split_counts, _ = _stages(events, split_id)
    # Without the partitioner: a task per core. With it: still one stage (no shuffle added), of
    # exactly the 10 tasks asked for, though the 16 files are skewed.
    assert len(plain_counts) == len(split_counts) == 1
    assert list(plain_counts.values()) == [2]
    assert list(split_counts.values())[0] == 10
    assert _exchanges(split_df) == _exchanges(plain_df) == (0, False)


def test_shuffles_get_the_count_and_aqe_keeps_it(spark, skewed_parquet, log):
    assert spark.conf.get("spark.sql.adaptive.enabled") == "true"
    with uwfq.job(spark, key="agg") as job_id, partitioner.target_tasks(spark, 7):
        df = _burn_job(spark, skewed_parquet)
        df.collect()
    counts, runs = _stages(log.drain(), job_id)
    # The final aggregate's stage reads the shuffle: 4 keys of a few bytes each, which AQE would
    # coalesce into one partition, yet it keeps 7.
    reduce_stage = max(counts)
    assert counts[reduce_stage] == 7
    assert "AQEShuffleRead" not in df._jdf.queryExecution().executedPlan().toString()


def test_concurrent_jobs_in_one_session_get_their_own_counts(spark, skewed_parquet, log):
    hints = {"small": 3 * TARGET_MS, "large": 11 * TARGET_MS}  # 3 and 11 tasks
    rounds = 3
    barrier = threading.Barrier(len(hints))
    job_ids: dict[str, list[str]] = {name: [] for name in hints}
    errors = []

    def submit(name):
        try:
            for _ in range(rounds):
                barrier.wait(timeout=120)
                with uwfq.user(spark, name), \
                        uwfq.job(spark, key=name, cost_hint_ms=hints[name]) as job_id:
                    job_ids[name].append(job_id)
                    spark.read.parquet(skewed_parquet).selectExpr("k", "id * 2 AS v") \
                        .groupBy("k").sum("v").collect()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(name,)) for name in hints]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    events = log.drain()

    for name, expected in (("small", 3), ("large", 11)):
        for job_id in job_ids[name]:
            counts, _ = _stages(events, job_id)
            # Schema read, then the scan stage, then the reduce stage.
            scan, reduce = sorted(counts)[-2:]
            assert counts[reduce] == expected, (name, counts)
            assert counts[scan] == expected, (name, counts)
    decisions = partitioner.decisions(spark)
    for name, expected in (("small", 3), ("large", 11)):
        mine = decisions[decisions.job_id.isin(job_ids[name])]
        assert set(mine.tasks) == {expected} and set(mine.job_key) == {name}


def test_non_splittable_source_is_left_alone(spark, tmp_path, log):
    # Gzip text cannot be split: the scan keeps Spark's packing of whole files, and no shuffle is
    # added to make up the count.
    folder = tmp_path / "gz"
    folder.mkdir()
    for part in range(3):
        with gzip.open(folder / f"part-{part}.csv.gz", "wt") as out:
            out.writelines(f"{i},{i % 4}\n" for i in range(part * 20_000, (part + 1) * 20_000))

    def run(enabled):
        partitioner.set_enabled(spark, enabled)
        df = spark.read.csv(str(folder), schema="id long, k int").selectExpr("k", BURN)
        with uwfq.job(spark, key="gzip") as job_id, partitioner.target_tasks(spark, 12):
            df.write.format("noop").mode("overwrite").save()
        return job_id, df

    try:
        plain_id, plain_df = run(False)
    finally:
        partitioner.set_enabled(spark, True)
    gz_id, gz_df = run(True)
    events = log.drain()

    assert list(_stages(events, gz_id)[0].values()) == list(_stages(events, plain_id)[0].values())
    assert _exchanges(gz_df) == _exchanges(plain_df) == (0, False)
    decision = partitioner.decisions(spark)
    assert list(decision.scans_left_alone) == [1] and list(decision.scans_split) == [0]
    assert "not splittable" in decision.detail.iloc[0]


def test_learned_estimate_sizes_a_recurring_job(spark, skewed_parquet, log):
    # A never-seen key: the estimator's cold-start default is no estimate, so no decision. Once
    # runs of the key have completed, their history sizes the next run.
    costs = []
    learned = None
    for _ in range(4):
        with uwfq.job(spark, key="recurring") as job_id:
            _burn_job(spark, skewed_parquet).collect()
        events = log.drain()
        costs.append(events[(events.logical_job == job_id) & (events.kind == "TASK_END")]
                     .run_ms.sum())
        decisions = partitioner.decisions(spark)
        if not decisions.empty:
            learned = decisions.iloc[0]
            break
        time.sleep(LINGER_MS / 1000 + 0.5)
        spark.range(1).count()  # a submission, at which the policy files finished jobs' costs
    assert learned is not None and len(costs) >= 2
    assert learned.source == "estimator"
    # The estimate is a weighted mean of earlier runs' costs, as the policy recorded them from
    # the same task ends (this run's own cost is not known yet).
    earlier = costs[:-1]
    assert 0.9 * min(earlier) <= learned.estimate_ms <= 1.1 * max(earlier), (learned, costs)
    assert learned.tasks == max(2, round(learned.estimate_ms / TARGET_MS))


def test_without_aqe_the_counts_hold_too(spark, skewed_parquet, log):
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    try:
        with uwfq.job(spark, key="no-aqe") as job_id, partitioner.target_tasks(spark, 5):
            spark.read.parquet(skewed_parquet).groupBy("k").count().collect()
    finally:
        spark.conf.unset("spark.sql.adaptive.enabled")
    counts, _ = _stages(log.drain(), job_id)
    scan, reduce = sorted(counts)[-2:]
    assert (counts[scan], counts[reduce]) == (5, 5)


def test_a_source_that_is_not_a_file_scan_is_left_alone(spark, log):
    with uwfq.job(spark, key="range", cost_hint_ms=20 * TARGET_MS) as job_id:
        spark.range(0, 1000, numPartitions=3).selectExpr("id % 5 AS k") \
            .write.format("noop").mode("overwrite").save()
    counts, _ = _stages(log.drain(), job_id)
    assert list(counts.values()) == [3]
    (decision,) = partitioner.decisions(spark).itertuples()
    assert decision.scans_left_alone == 1 and decision.tasks == 20
    assert "Range" in decision.detail and "not a file scan" in decision.detail


def test_task_count_bounds(spark):
    count = spark._jvm.dev.uwfq.partition.TaskCount
    assert count.forEstimate(100, 500, 2, 1000) == 2  # at least one task per core
    assert count.forEstimate(10_000, 500, 2, 1000) == 20
    assert count.forEstimate(10_000_000, 500, 2, 1000) == 1000  # capped
    assert count.forEstimate(10_000, 500, 64, 8) == 8  # the cap wins over the cores
    assert count.forRequest(5, 1000) == 5 and count.forRequest(5000, 1000) == 1000


def test_bad_conf_value_warns_and_keeps_the_default(spark, skewed_parquet, log):
    spark.conf.set("spark.uwfq.partitioner.targetTaskMs", "soon")
    try:
        with uwfq.job(spark, key="bad-conf", cost_hint_ms=4 * TARGET_MS) as job_id:
            spark.read.parquet(skewed_parquet).groupBy("k").count().collect()
    finally:
        spark.conf.unset("spark.uwfq.partitioner.targetTaskMs")
    counts, _ = _stages(log.drain(), job_id)
    assert counts[max(counts)] == 4  # 2000 ms at the default 500 ms a task


def test_replay_loop_job_is_cut_into_tasks_of_about_the_target(spark, tmp_path, log):
    # The replay's own job class: one parquet file per key (skewed), small row groups; its burn
    # is budgeted in CPU time, so its cost is measured here (executor time is wall time) first.
    from uwfq_lab.spark_jobs import LoopJobs

    jobs = LoopJobs(spark, path=tmp_path / "loop-input")
    jobs.run(1_000)  # warm the JIT up
    with uwfq.job(spark, key="loop-calibrate") as plain_id:
        jobs.run(8 * TARGET_MS)
    _, plain_runs = _stages(log.drain(), plain_id)
    cost_ms = int(sum(sum(r) for r in plain_runs.values()))

    with uwfq.job(spark, key="loop", cost_hint_ms=cost_ms) as job_id:
        jobs.run(8 * TARGET_MS)
    counts, runs = _stages(log.drain(), job_id)
    heaviest = _heaviest_stage(runs)
    assert counts[heaviest] == max(2, round(cost_ms / TARGET_MS))
    median = sorted(runs[heaviest])[len(runs[heaviest]) // 2]
    assert 0.5 * TARGET_MS <= median <= 2 * TARGET_MS, (cost_ms, runs[heaviest])


def test_a_jobs_queries_share_its_hint(spark, skewed_parquet, log):
    # A cost hint covers the whole uwfq.job block. A replayed trace runs up to ~200 small queries
    # under one logical job: sized each by the whole hint, they ran 25x the tasks they needed.
    hint = 12 * TARGET_MS
    # A schema given: inferring it would add a Spark job per read. A DataFrame per query: a
    # DataFrame plans once, and its later actions reuse that plan.
    reader = spark.read.schema("id BIGINT, k INT")
    with uwfq.job(spark, key="block", cost_hint_ms=hint) as job_id:
        for _ in range(4):
            reader.parquet(skewed_parquet).groupBy("k").count().collect()
    counts, _ = _stages(log.drain(), job_id)
    shares = [max(2, round(hint / k / TARGET_MS)) for k in range(1, 5)]  # 12, 6, 4, 3
    decisions = partitioner.decisions(spark)
    assert set(decisions.job_id) == {job_id}
    assert list(decisions.tasks) == shares, decisions.detail.tolist()
    assert list(decisions.estimate_ms) == [hint // k for k in range(1, 5)]
    assert sum(counts.values()) == 2 * sum(shares), counts  # a scan and a reduce per query


def test_a_parquet_split_is_never_smaller_than_a_row_group(spark, tmp_path, log):
    # A parquet split reads the row groups whose midpoint it holds: split finer than a row group,
    # most tasks would only open a footer. The replay's input has 36 row groups in 8 files.
    import pyarrow.parquet as pq

    from uwfq_lab.spark_jobs import ensure_input

    path = ensure_input(spark, tmp_path / "row-groups")
    files = list(path.rglob("*.parquet"))
    row_groups = sum(pq.ParquetFile(f).metadata.num_row_groups for f in files)
    wanted = 4 * row_groups
    counts_per_key = spark.read.parquet(str(path)).groupBy("key").count()
    with uwfq.job(spark, key="row-groups", cost_hint_ms=wanted * TARGET_MS) as job_id:
        counts_per_key.collect()
    counts, _ = _stages(log.drain(), job_id)
    (decision,) = partitioner.decisions(spark).itertuples()
    assert decision.tasks == wanted and "raised to the largest row group" in decision.detail
    # At most a file's tail (its last row group's second half and the footer) adds a task.
    assert row_groups // 2 <= counts[min(counts)] <= row_groups + len(files), (row_groups, counts)
