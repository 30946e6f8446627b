"""The simulator kills with the plugin's own planner: lost work counted, the task re-run."""

from __future__ import annotations

from uwfq_lab.loader import parse_workload
from uwfq_lab.simulate.batch import build_batch
from uwfq_lab.simulate.runner import run_batch

WORKLOAD = [
    {"user": "batch", "workloads": [
        {"workloadName": "long", "className": "LoopCustom", "totalIterations": 1,
         "startTimeMs": "0", "poissonRateInMinutes": 0, "frequency": "PARA",
         "params": {"task_runtime_s": 120, "tasks": 2}}]},
    {"user": "small", "workloads": [
        {"workloadName": "short", "className": "LoopCustom", "totalIterations": 1,
         "startTimeMs": "5000", "poissonRateInMinutes": 0, "frequency": "PARA",
         "params": {"task_runtime_s": 2, "tasks": 2}}]},
]


def _run(*extra):
    batch = build_batch(parse_workload(WORKLOAD, name="t"), partitioner=True, seed=0)
    run = run_batch(batch, ["uwfq"], cores=2, cores_per_executor=2, isolated=False,
                    launches=True, extra_args=extra).runs["uwfq"]
    response = {j.logical.user: run.end_ms[i] - run.start_ms[i] for i, j in enumerate(batch.jobs)}
    return run, response


def test_a_starved_user_gets_a_core_from_the_youngest_long_task():
    base, base_response = _run()
    run, response = _run("--preemption", "1000,0.5,500")
    # One kill (the small user's share is one core), after the wait, of the younger long task.
    assert [k.trim for k in run.kills] == [False]
    kill = run.kills[0]
    assert 6000 <= kill.time_ms <= 6500
    assert kill.launch_ms == max(t.time_ms for t in run.launches
                                 if t.logical == 0 and t.time_ms < kill.time_ms)
    # Its run so far is lost and counted; the task runs again from the start.
    assert run.stats["lost_core_ms"] == kill.time_ms - kill.launch_ms
    assert sum(t.stage_id == kill.stage_id for t in run.launches) == 3
    assert response["small"] < base_response["small"] / 5
    assert base.stats["kills"] == 0


def test_max_share_holds_a_user_at_half_the_cores():
    run, _ = _run("--max-share", "50%")
    user = {0: "batch", 1: "small"}
    # A round may launch past the cap (two free cores, "batch" alone); that launch is killed at
    # once (a trim, nothing lost). A task holds its core from its launch to its end or kill.
    killed = {(k.core, k.launch_ms): k.time_ms for k in run.kills}
    assert all(k.trim and k.time_ms == k.launch_ms for k in run.kills)
    held = [(user[t.logical], t.time_ms, killed.get((t.core, t.time_ms), t.time_ms + t.duration_ms))
            for t in run.launches]
    for who, at, _ in held:  # at each launch, that user's tasks holding a core
        running = sum(1 for u, a, b in held if u == who and a <= at < b)
        assert running <= 1, (who, at, running)
