"""The simulator against a real replay on local Spark: the same tiny scenario, the same
policies, the same job shapes (the replay's 16 skewed input files, its 2 cores): the logical
jobs must complete in the same order. Order only, from Spark's job events; never durations."""

from __future__ import annotations

import pytest

from uwfq_lab.simulate.batch import build_batch
from uwfq_lab.simulate.runner import run_batch
from uwfq_lab.compare import compare_policies
from uwfq_lab.loader import parse_workload
from uwfq_lab.replay import Scaling
from uwfq_lab.spark_jobs import key_row_counts

# alice bursts three big jobs; bob sends one small job a second later (scale 0.5): by then all
# of alice's jobs have reached Spark, in order, even on a loaded machine, and her first job is
# still running (about two seconds). Under fifo bob waits for all of alice's; under uwfq he
# overtakes them at the next task boundary, and alice's own jobs finish one after another (her
# share is not split among them).
SCENARIO = [
    {"user": "alice", "workloads": [
        {"workloadName": "big", "className": "Loop1000", "totalIterations": 3,
         "startTimeMs": 0, "poissonRateInMinutes": 0, "frequency": "PARA", "params": {}}]},
    {"user": "bob", "workloads": [
        {"workloadName": "small", "className": "Loop100", "totalIterations": 1,
         "startTimeMs": 2000, "poissonRateInMinutes": 0, "frequency": "PARA", "params": {}}]},
]
POLICIES = ["fifo", "uwfq"]
SCALING = Scaling(scale=0.5, cores=2)


def completion_order(outcomes) -> list[str]:
    """Whose job finished first, second...: alice's three jobs start together from three
    threads, so which of them Spark numbers first is not part of the scenario."""
    return [o.user for o in sorted(outcomes, key=lambda o: o.finish_s)]


@pytest.fixture(scope="module")
def both():
    workload = parse_workload(SCENARIO, name="sim-vs-replay")
    real = compare_policies(workload, POLICIES, SCALING, log=lambda line: None)
    batch = build_batch(workload, partitioner=False, size_factor=SCALING.size_factor,
                        time_scale=SCALING.time_scale, split_weights=key_row_counts())
    # local mode: one executor holding every core.
    sim = run_batch(batch, POLICIES, cores=SCALING.cores, cores_per_executor=SCALING.cores,
                    isolated=False)
    return real, sim


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
def test_simulated_completion_order_matches_the_real_replay(both, policy):
    real, sim = both
    (run,) = real.policy(policy).runs
    assert run.failures == []
    simulated = completion_order(sim.outcomes(policy))
    assert completion_order(run.outcomes) == simulated


@pytest.mark.slow
def test_the_scenario_tells_the_policies_apart(both):
    _, sim = both
    assert completion_order(sim.outcomes("fifo")) == ["alice", "alice", "alice", "bob"]
    assert completion_order(sim.outcomes("uwfq")) == ["bob", "alice", "alice", "alice"]
