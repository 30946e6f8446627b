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
