"""uwfq replay rejects bad arguments before starting Spark, saying what was wrong."""

from __future__ import annotations

from spark_uwfq.cli import main


def test_unknown_scenario_is_an_error_with_the_built_in_list(capsys):
    assert main(["replay", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert "no_such_scenario: no such file, and not a built-in scenario" in err
    assert "demo" in err and "2_power_2_small_users" in err


def test_unknown_policy_is_an_error(capsys):
    assert main(["replay", "demo", "--policies", "fair,lottery"]) == 2
    assert "lottery is not a policy" in capsys.readouterr().err


def test_bad_scale_is_an_error(capsys):
    assert main(["replay", "demo", "--scale", "0"]) == 2
    assert "--scale must be > 0" in capsys.readouterr().err


def test_malformed_workload_names_the_place(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('[{"user": "a", "workloads": [{"workloadName": "w", "className": "Loop20",'
                    ' "totalIterations": -1, "frequency": "SEQ"}]}]')
    assert main(["replay", str(path)]) == 2
    assert "users[0] ('a') > workloads[0] ('w'): field 'totalIterations' is -1" \
        in capsys.readouterr().err


def test_partitioned_policies_are_named_with_a_suffix():
    from uwfq_lab.commands.vocabulary import parse_policies
    from uwfq_lab.compare import session_options
    from uwfq_lab.metrics import SCHEDULER_NAMES
    from uwfq_lab.replay import Scaling

    assert parse_policies("fair,uwfq-p") == ["fair", "uwfq-p"]
    assert parse_policies("fair,uwfq-p", partitioner=True) == ["fair-p", "uwfq-p"]
    assert SCHEDULER_NAMES["uwfq-p"] == "CUSTOM_USERCLUSTERFAIR_PARTITIONER"
    assert session_options("fair", Scaling(scale=0.5)) == {"policy": "fair"}
    # The paper's 0.5 s tasks, scaled with the jobs.
    assert session_options("uwfq-p", Scaling(scale=0.5)) == {
        "policy": "uwfq", "partitioner": True, "partitioner_target_task_ms": 250}


def test_unknown_partitioned_policy_is_an_error(capsys):
    assert main(["replay", "demo", "--policies", "fair,lottery-p"]) == 2
    assert "lottery-p is not a policy" in capsys.readouterr().err


def test_unknown_estimates_is_an_error(capsys):
    assert main(["replay", "demo", "--estimates", "psychic"]) == 2
    err = capsys.readouterr().err
    assert "'psychic' is not one of oracle, learned, noisy[:SIGMA]" in err


def test_cost_hints_oracle_learned_and_seeded_noise():
    import math

    from uwfq_lab.estimates import cost_hints

    true = {f"job{i}": 1000.0 + i for i in range(2000)}
    assert cost_hints(true, "oracle") == true
    assert set(cost_hints(true, "learned").values()) == {None}
    noisy = cost_hints(true, "noisy", seed=3)
    assert noisy == cost_hints(true, "noisy", seed=3)  # reruns get the same hints
    assert noisy != cost_hints(true, "noisy", seed=4)
    logs = [math.log(noisy[j] / true[j]) for j in true]
    mean = sum(logs) / len(logs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / len(logs))
    assert abs(mean) < 0.05 and 0.45 < sd < 0.55  # lognormal(0, 0.5): 2000 draws
    # An explicit SIGMA is the one drawn with; "noisy" alone is noisy:0.5.
    assert cost_hints(true, "noisy:0.5", seed=3) == noisy
    narrow = [math.log(h / true[j]) for j, h in cost_hints(true, "noisy:0.1", seed=3).items()]
    assert 0.09 < math.sqrt(sum(x * x for x in narrow) / len(narrow)) < 0.11
