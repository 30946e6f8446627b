"""Faults on real executors: local-cluster[3,1,1024], one session per policy (uwfq and FIFO).

An executor process killed mid-flood, executors removed and added, a stage resubmitted after a
fetch failure, speculative copies of a straggler, tasks that fail and are retried, a job that
fails for good, cancellation (job group, job tag, interruptAll, KeyboardInterrupt), barrier
stages. Judged from the recorded events and the policy's state (uwfq.status), never from
wall-clock thresholds; time only bounds how long a test waits.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest
from pyspark import InheritableThread
from cluster_util import executor_pids, request_total_executors, worker_on_another_host
from sched_util import Jobs, RecordedEvents, flood_then_short, launches_between, run_job, wait_until

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from spark_uwfq.session import local_session

pytestmark = [pytest.mark.local_cluster, pytest.mark.slow]

EXECUTORS = 3
LINGER_MS = 2000
# Speculation is on for the whole module, but Spark never places a copy on a host where its
# task already ran, and every local-cluster executor shares one host: copies can launch only
# while the speculation test's worker on a second loopback address runs.
SPECULATION = {"spark.speculation": "true", "spark.speculation.interval": "100ms",
               "spark.speculation.quantile": "0.75", "spark.speculation.multiplier": "2"}


@pytest.fixture(scope="module", params=["uwfq", "fifo"])
def cluster(request):
    session = local_session(f"local-cluster[{EXECUTORS},1,1024]", app_name="uwfq-faults",
                            policy=request.param, job_linger_ms=LINGER_MS, grace_ms=1000,
                            conf=SPECULATION)
    # Every executor up before the first test (the standalone master starts them one by one).
    wait_until(lambda: len(executor_pids(session)) == EXECUTORS, timeout=120, what="executors")
    run_job(session, "warmup", [0.0] * 6)  # Python workers started on every executor
    yield session
    session.stop()


def policy_of(spark):
    return spark.conf.get("spark.uwfq.policy")


def released(spark, users):
    s = uwfq.status(spark)
    ended = {j["user"] for j in s.raw.get("ended_jobs", [])}
    return (s.raw["task_sets"] == 0 and not (set(s.jobs.user) | set(s.users.user) | ended) & users)


def wait_released(spark, *users):
    """Nothing of ``users`` left in the policy, and no task set in the pool. (Checked per user:
    a job a defect left behind must not fail the tests after it.)"""
    # Ended jobs linger LINGER_MS, idle users grace_ms; the policy forgets them at its next
    # housekeeping (an offer round, a submission or a job end), so another user's tiny job
    # pokes it. The wait is long because a killed Python task can take many seconds to end on a
    # busy machine, and its task set (so its job) stays until it does.
    def done():
        if released(spark, set(users)):
            return True
        run_job(spark, "housekeeping", [0.0])
        return False

    try:
        wait_until(done, timeout=60, what=f"{users} to be released")
    except AssertionError:
        s = uwfq.status(spark).raw
        left = {k: [x for x in s.get(k, []) if x.get("user") in users]
                for k in ("users", "jobs", "ended_jobs")}
        raise AssertionError(f"{users} not released: task_sets={s['task_sets']} {left}") from None


def test_an_executor_killed_mid_flood(cluster):
    pids = executor_pids(cluster)
    killed = []

    def kill_one(seen):
        # Called once the flood holds every core: an executor dies with flood tasks on it.
        victim = sorted(pids)[0]
        os.kill(pids[victim], signal.SIGKILL)
        killed.append(victim)

    events, ids, floods = flood_then_short(cluster, "flooder", "quick", on_flood_running=kill_one)
    assert killed
    ends = events[events.kind == "TASK_END"]
    lost = ends[(ends.executor == killed[0]) & (ends.status == "FAILED")]
    assert len(lost) >= 1, "no task was lost with the executor"
    jobs = events[events.kind == "JOB_END"]
    assert set(jobs.status) == {"SUCCEEDED"}
    assert set(jobs.logical_job) == floods | {ids["short"]}
    if policy_of(cluster) == "uwfq":
        # At most the launches under way on the surviving cores when it arrived.
        assert launches_between(events, ids["short"], floods) <= EXECUTORS
    wait_released(cluster, "flooder", "quick")
    # The standalone master replaces the lost executor.
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS, timeout=120, what="a new executor")


def test_executors_removed_and_added_change_the_shares(cluster):
    sc = cluster.sparkContext

    def share_while_running():
        out = {}

        def job():
            run_job(cluster, "frank", [1.0] * 3, key="cap")

        t = threading.Thread(target=job, daemon=True)
        t.start()
        # frank may still be listed, idle, from the measurement before: wait for this job.
        wait_until(lambda: "frank" in set(uwfq.status(cluster).users.query("active_jobs > 0").user),
                   what="frank's job")
        s = uwfq.status(cluster)
        # Each listed user's share is cores * w / W: together they share out every core.
        out["total_share"] = round(float(s.users.share.sum()), 6)
        out["frank"] = float(s.users.set_index("user").share["frank"]) > 0
        out["cores"] = s.raw["cores"]
        t.join(120)
        return out

    def shares_for(n):
        return {"total_share": n, "frank": True, "cores": n}

    # The replacement executor of the test before may still be registering.
    wait_until(lambda: sc.defaultParallelism == EXECUTORS, timeout=120, what="every core")
    assert share_while_running() == shares_for(EXECUTORS)
    victim = sorted(executor_pids(cluster))[-1]
    assert sc._jsc.sc().killExecutor(victim)
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS - 1, timeout=60, what="the kill")
    wait_until(lambda: sc.defaultParallelism == EXECUTORS - 1, timeout=60, what="fewer cores")
    assert share_while_running() == shares_for(EXECUTORS - 1)
    # Added back: the standalone master starts one on the worker the kill freed.
    assert request_total_executors(cluster, EXECUTORS)
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS, timeout=120, what="a new executor")
    wait_until(lambda: sc.defaultParallelism == EXECUTORS, timeout=60, what="more cores")
    assert share_while_running() == shares_for(EXECUTORS)


REDUCERS = 9


def _shuffle_job(spark, user, ids, hint_ms):
    """A map stage of one task per executor (each writes map output on its executor), then
    REDUCERS reduce tasks that each read every map output."""
    def slow_map(x):
        __import__("time").sleep(1.0 if x % 10 == 0 else 0)
        return x, x

    def slow_reduce(it):
        __import__("time").sleep(0.5)
        yield sum(1 for _ in it)

    with uwfq.user(spark, user), uwfq.job(spark, key="shuffle", cost_hint_ms=hint_ms) as job_id:
        ids["shuffle"] = job_id
        pairs = spark.sparkContext.parallelize(range(EXECUTORS * 10), EXECUTORS).map(slow_map)
        return sum(pairs.partitionBy(REDUCERS).mapPartitions(slow_reduce).collect())


def test_a_stage_resubmitted_after_a_fetch_failure_keeps_its_jobs_place(cluster):
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS, timeout=120, what="every executor")
    log = EventLog(cluster)
    log.clear()
    seen = RecordedEvents(log)
    ids: dict[str, str] = {}
    jobs = Jobs()
    # Equal hints, one user: under uwfq the user's jobs run in arrival order, as under FIFO.
    jobs.start(_shuffle_job, cluster, "hank", ids, 8000)
    wait_until(lambda: "shuffle" in ids and seen.count("JOB_START", {ids["shuffle"]}) == 1,
               what="the shuffle job")
    for i in range(2):
        jobs.start(run_job, cluster, "hank", [1.0] * 8, key="later", hint_ms=8000, ids=ids,
                   name=f"later{i}")
    later = lambda: {ids[n] for n in ("later0", "later1") if n in ids}  # noqa: E731
    wait_until(lambda: seen.count("JOB_START", later()) == 2, what="the later jobs")

    def stages():
        e = seen.all()
        subs = e[(e.kind == "STAGE_SUBMITTED") & (e.logical_job == ids["shuffle"])]
        return e, sorted(set(subs.stage_id))

    # Between the stages: the map stage done, the reduce stage started. Its executor's map
    # output is lost with it, so the reduce tasks that read it after fail to fetch.
    def reduce_running():
        e, ids_ = stages()
        if len(ids_) < 2:
            return False
        done = e[(e.kind == "STAGE_COMPLETED") & (e.stage_id == ids_[0])]
        return len(done) > 0 and ((e.kind == "TASK_START") & (e.stage_id == ids_[1])).any()

    wait_until(reduce_running, what="the reduce stage")
    events, (map_stage, reduce_stage) = stages()
    mapped = events[(events.kind == "TASK_END") & (events.stage_id == map_stage)
                    & (events.status == "SUCCEEDED")]
    victim = sorted(set(mapped.executor))[0]
    os.kill(executor_pids(cluster)[victim], signal.SIGKILL)
    jobs.join()
    events = seen.all()
    ends = events[events.kind == "JOB_END"].set_index("logical_job").status
    assert {ends[ids[n]] for n in ("shuffle", "later0", "later1")} == {"SUCCEEDED"}
    subs = events[(events.kind == "STAGE_SUBMITTED") & events.stage_id.isin([map_stage, reduce_stage])]
    resubmitted = subs[subs.stage_attempt > 0]
    assert map_stage in set(resubmitted.stage_id), "the map stage was not resubmitted"
    reduce_0 = events[(events.kind == "STAGE_COMPLETED") & (events.stage_id == reduce_stage)
                      & (events.stage_attempt == 0)]
    assert list(reduce_0.status) == ["FAILED"]  # by the fetch failure
    starts = events[events.kind == "TASK_START"]
    for row in resubmitted.itertuples():
        # From its submission to its last launch, the later jobs' tasks launched only on cores
        # that freed before it reached the scheduler: it kept its job's place ahead of them.
        after = starts.loc[row.Index:]
        mine = after.index[(after.stage_id == row.stage_id)
                           & (after.stage_attempt == row.stage_attempt)]
        assert len(mine) > 0, f"no task of stage {row.stage_id}.{row.stage_attempt} launched"
        overtaking = int(after.loc[: mine.max()].logical_job.isin(later()).sum())
        assert overtaking <= EXECUTORS, (row.stage_id, row.stage_attempt, overtaking)
    wait_released(cluster, "hank")
    # The standalone master replaces the lost executor.
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS, timeout=120, what="a new executor")


SPECULATED_TASKS = 4


def _straggler():
    # A closure, pickled by value: the other host's executor cannot import this module.
    def body(x):
        from pyspark import TaskContext

        ctx = TaskContext.get()
        # Partition 0's first attempt straggles; any other attempt (its speculative copy) is quick.
        straggles = ctx.partitionId() == 0 and ctx.attemptNumber() == 0
        __import__("time").sleep(120 if straggles else 0.5)
        return x

    return body


def test_speculative_copies_are_charged_once_and_leave_nothing_behind(cluster, tmp_path):
    wait_until(lambda: len(executor_pids(cluster)) == EXECUTORS, timeout=120, what="every executor")
    with worker_on_another_host(cluster, tmp_path / "worker"):
        log = EventLog(cluster)
        log.clear()
        seen = RecordedEvents(log)
        with uwfq.user(cluster, "sam"), uwfq.job(cluster, key="straggler") as job_id:
            rdd = cluster.sparkContext.parallelize(range(SPECULATED_TASKS), SPECULATED_TASKS)
            assert rdd.map(_straggler()).count() == SPECULATED_TASKS

        def stage_events():
            e = seen.all()
            stage = set(e[(e.kind == "STAGE_SUBMITTED") & (e.logical_job == job_id)].stage_id)
            # A task's end after its job's carries no job: select by stage.
            return e[e.stage_id.isin(stage) & e.kind.isin(["TASK_START", "TASK_END"])]

        # The straggling original is killed once its copy succeeded, after the job ended.
        wait_until(lambda: (stage_events().kind == "TASK_END").sum() == SPECULATED_TASKS + 1,
                   what="the straggler's end")
        tasks = stage_events()
        ends = tasks[tasks.kind == "TASK_END"]
        assert (tasks.kind == "TASK_START").sum() == SPECULATED_TASKS + 1  # one copy
        assert sorted(ends.status) == ["KILLED"] + ["SUCCEEDED"] * SPECULATED_TASKS
        # Charged once per attempt: each task attempt's core time (launch to end, as the
        # policy counts it), the copy's and the killed original's included, nothing twice.
        charged = ends[ends.run_ms >= 0]
        expected = float((charged.time_ms - charged.launch_ms).clip(lower=charged.run_ms).sum())
        job = [j for j in uwfq.status(cluster).raw["ended_jobs"] if j["job"] == job_id]
        assert job, "the job ended but does not linger (charged after its linger?)"
        assert job[0]["used_ms"] == pytest.approx(expected, abs=0.5)
    wait_released(cluster, "sam")


def _flaky(attempts_failing):
    def body(x):
        from pyspark import TaskContext

        if TaskContext.get().attemptNumber() < attempts_failing:
            raise RuntimeError(f"injected failure of attempt {TaskContext.get().attemptNumber()}")
        __import__("time").sleep(0.05)
        return x

    return body


def _run_flaky(spark, user, job, attempts_failing, ids, tasks=3):
    with uwfq.user(spark, user), uwfq.job(spark, key=job) as job_id:
        ids[job] = job_id
        return spark.sparkContext.parallelize(range(tasks), tasks).map(_flaky(attempts_failing)).count()


def test_tasks_failing_twice_then_succeeding_and_a_job_failing_for_good(cluster):
    log = EventLog(cluster)
    log.clear()
    ids: dict[str, str] = {}
    jobs = Jobs()
    jobs.start(_run_flaky, cluster, "alice", "retried", 2, ids)
    jobs.start(run_job, cluster, "alice", [0.3] * 6, key="steady", ids=ids)
    failed = []

    def doomed():
        try:
            _run_flaky(cluster, "alice", "doomed", 99, ids)
        except Exception as exc:  # noqa: BLE001 - the failure is what this job is for
            failed.append(exc)

    jobs.start(doomed)
    jobs.join()
    assert failed, "the job that always fails did not fail"
    events = log.drain()
    ends = events[events.kind == "JOB_END"].set_index("logical_job").status
    assert ends[ids["retried"]] == "SUCCEEDED"
    assert ends[ids["steady"]] == "SUCCEEDED"  # the user's other job goes on
    assert ends[ids["doomed"]] == "FAILED"
    task_ends = events[events.kind == "TASK_END"]
    retried = task_ends[task_ends.logical_job == ids["retried"]]
    assert (retried.status == "FAILED").sum() == 2 * 3 and (retried.status == "SUCCEEDED").sum() == 3


def test_a_failed_job_is_released_with_its_usage_charged(cluster):
    ids: dict[str, str] = {}
    with pytest.raises(Exception):
        _run_flaky(cluster, "dora", "doomed", 99, ids)
    # While it lingers, the failed job is an ended job with its tasks' time charged (the job
    # end reaches the policy at its next offer round).
    def ended():
        return [j for j in uwfq.status(cluster).raw["ended_jobs"] if j["job"] == ids["doomed"]]

    wait_until(lambda: ended(), timeout=30, what="the failed job to end in the policy")
    assert ended()[0]["used_ms"] > 0
    wait_released(cluster, "dora")


def _sleepy_rdd(spark, tasks=6, seconds=2.0):
    return spark.sparkContext.parallelize([seconds] * tasks, tasks).map(
        lambda s: __import__("time").sleep(s) or s)


def _cancel_mid_job(spark, user, start_action, cancel):
    """Starts ``start_action`` (an action that runs long) as ``user``, cancels it once its tasks
    run, then runs the user's next short job; returns the events and the job ids."""
    log = EventLog(spark)
    log.clear()
    seen = RecordedEvents(log)
    errors = []

    def body():
        try:
            start_action()
        except Exception as exc:  # noqa: BLE001 - cancellation raises; that is expected
            errors.append(exc)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    wait_until(lambda: (seen.all().kind == "TASK_START").sum() >= 2, what="tasks running")
    cancel()
    t.join(120)
    assert not t.is_alive() and errors, "the cancelled action neither ended nor raised"
    ids: dict[str, str] = {}
    run_job(spark, user, [0.1, 0.1], key="next", hint_ms=200, ids=ids, name="next")
    return seen.all(), ids


def _assert_cancelled_and_released(spark, events, ids, user):
    jobs = events[events.kind == "JOB_END"]
    assert "FAILED" in set(jobs.status)  # the cancelled job
    assert jobs.set_index("logical_job").status[ids["next"]] == "SUCCEEDED"
    wait_released(spark, user)


def _cancellations():
    def group(spark):
        def action():
            spark.sparkContext.setJobGroup("grp-cancel", "to be cancelled", interruptOnCancel=True)
            try:
                with uwfq.user(spark, "carol"):
                    _sleepy_rdd(spark).count()
            finally:
                spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        return action, lambda: spark.sparkContext.cancelJobGroup("grp-cancel")

    def tag(spark):
        def action():
            spark.sparkContext.addJobTag("tag-cancel")
            try:
                with uwfq.user(spark, "carol"):
                    _sleepy_rdd(spark).count()
            finally:
                spark.sparkContext.removeJobTag("tag-cancel")
        return action, lambda: spark.sparkContext.cancelJobsWithTag("tag-cancel")

    def interrupt_all(spark):
        def action():
            import pandas as pd

            def slow(batches):
                for b in batches:
                    __import__("time").sleep(2)
                    yield pd.DataFrame({"id": b.id})

            with uwfq.user(spark, "carol"):
                spark.range(0, 6, 1, 6).mapInPandas(slow, "id long").collect()
        return action, lambda: spark.interruptAll()

    return {"cancelJobGroup": group, "cancelJobsWithTag": tag, "interruptAll": interrupt_all}


@pytest.mark.parametrize("how", ["cancelJobGroup", "cancelJobsWithTag", "interruptAll"])
def test_a_cancelled_job_leaves_and_its_user_is_not_penalised(cluster, how):
    action, cancel = _cancellations()[how](cluster)
    events, ids = _cancel_mid_job(cluster, "carol", action, cancel)
    _assert_cancelled_and_released(cluster, events, ids, "carol")


@pytest.mark.parametrize("where", ["main thread", "other thread"])
def test_a_keyboard_interrupt_around_an_action(cluster, where):
    """PySpark's SIGINT handler (the main thread's, what a notebook's stop button sends) calls
    cancelAllJobs, then raises KeyboardInterrupt. When the action runs in the main thread, that
    thread is itself blocked in a py4j call on its own connection, so pyspark 4.3's nested
    cancelAllJobs fails ("reentrant call") and the job runs on to its end; when the main thread
    only waits for an action in another thread, the cancellation reaches Spark. Either way the
    job must end, leave the policy and not hold up its user."""
    log = EventLog(cluster)
    log.clear()
    seen = RecordedEvents(log)
    ids: dict[str, str] = {}

    def action():
        with uwfq.user(cluster, "erin"), uwfq.job(cluster, key="interrupted") as job_id:
            ids["interrupted"] = job_id
            _sleepy_rdd(cluster).count()

    def interrupt_once_running():
        wait_until(lambda: (seen.all().kind == "TASK_START").sum() >= 2, what="tasks")
        # To the main thread itself, so that its blocking read is interrupted at once.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    timer = threading.Thread(target=interrupt_once_running, daemon=True)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        if where == "main thread":
            action()
        else:
            failed = []

            def cancelled_action():
                try:
                    action()
                except Exception as exc:  # noqa: BLE001 - the cancellation is what it waits for
                    failed.append(exc)

            worker = InheritableThread(target=cancelled_action, daemon=True)
            worker.start()
            worker.join()
    timer.join(60)

    def ended():
        e = seen.all()
        return e[(e.kind == "JOB_END") & (e.logical_job == ids.get("interrupted"))]

    wait_until(lambda: len(ended()) > 0, what="the interrupted job's end")
    if where == "other thread":
        assert list(ended().status) == ["FAILED"]  # cancelled
    run_job(cluster, "erin", [0.1, 0.1], key="next", hint_ms=200, ids=ids, name="next")
    events = seen.all()
    assert events[events.kind == "JOB_END"].set_index("logical_job").status[ids["next"]] == "SUCCEEDED"
    wait_released(cluster, "erin")


def test_a_barrier_stage_runs(cluster):
    log = EventLog(cluster)
    log.clear()

    def body(it):
        from pyspark import BarrierTaskContext

        ctx = BarrierTaskContext.get()
        ctx.barrier()  # every task must be running at once, or this never returns
        yield ctx.partitionId()

    # One core per executor; an earlier test may have removed one, and a killed one's process
    # can outlive its registration: count the executors Spark has registered (the driver aside).
    slots = len(cluster.sparkContext._jsc.sc().statusTracker().getExecutorInfos()) - 1
    with uwfq.user(cluster, "gina"):
        out = cluster.sparkContext.parallelize(range(slots), slots).barrier() \
            .mapPartitions(body).collect()
    assert sorted(out) == list(range(slots))
    # Only gina's job: a task of an earlier test's cancelled job may still start after clear().
    events = log.drain().query("user == 'gina'")
    assert set(events[events.kind == "JOB_END"].status) == {"SUCCEEDED"}
    starts = events[events.kind == "TASK_START"]
    assert len(starts) == slots and starts.executor.nunique() == slots
    wait_released(cluster, "gina")
