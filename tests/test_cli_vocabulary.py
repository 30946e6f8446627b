"""`uwfq replay` and `uwfq simulate` speak one vocabulary (--policies with the -p suffix,
--partitioner, --estimates oracle|learned|noisy[:SIGMA], --seed, --out), refuse the older
spellings with the word that replaced them, print errors on stderr with a non-zero exit, and
take their policy names from the one list that the JVM's registry agrees with."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_uwfq.cli import main
from spark_uwfq.options import POLICIES
from uwfq_lab.commands.vocabulary import SIMULATED_POLICIES

COMMANDS = ["replay", "simulate"]


@pytest.mark.parametrize("command", COMMANDS)
def test_both_commands_take_the_same_options(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for word in ("--policies", "--partitioner", "--estimates", "oracle", "learned",
                 "noisy[:SIGMA]", "--seed", "--out", "--no-plots", "uwfq-p"):
        assert word in text, f"`uwfq {command} --help` lacks {word}"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_older_option_is_refused_with_its_replacement(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "demo", "--estimator", "oracle"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "--estimator is not an option; did you mean --estimates?" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value, expected", [
    ("history", "'history' is not one of oracle, learned, noisy[:SIGMA]; did you mean 'learned'?"),
    ("orcale", "did you mean 'oracle'?"),
    ("noisy:-1", "SIGMA must be a number >= 0"),
    ("noisy:inf", "SIGMA must be a number >= 0"),
])
def test_a_bad_estimates_value_is_an_error_on_stderr(command, value, expected, capsys):
    assert main([command, "demo", "--estimates", value]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.out == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_a_misspelt_policy_gets_the_closest_name(command, capsys):
    assert main([command, "demo", "--policies", "fair,uwfg"]) == 2
    assert "uwfg is not a policy (did you mean uwfq?)" in capsys.readouterr().err


def test_off_is_refused_up_front_by_the_simulator_only(capsys):
    assert main(["simulate", "demo", "--policies", "uwfq,off"]) == 2
    err = capsys.readouterr().err
    assert "off cannot run here" in err and "uwfq replay" in err
    from uwfq_lab.commands.vocabulary import parse_policies

    assert parse_policies("uwfq,off") == ["uwfq", "off"]  # a real session has Spark's scheduler


def test_simulate_takes_partitioned_names_all_or_none(tmp_path, capsys):
    assert main(["simulate", "4_large_users", "--policies", "fifo,uwfq-p"]) == 2
    assert "every policy with the partitioner or every one without" in capsys.readouterr().err
    # All with -p is the same run as --partitioner.
    assert main(["simulate", "4_large_users", "--policies", "fifo-p,uwfq-p", "--no-plots",
                 "--out", str(tmp_path)]) == 0
    assert "simulated 4_large_users-p" in capsys.readouterr().out


def test_default_results_folders_are_named_alike(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "4_large_users", "--policies", "uwfq", "--partitioner",
                 "--estimates", "noisy:0.3", "--no-plots"]) == 0
    assert (tmp_path / "results" / "simulate" / "4_large_users-p-noisy0.3").is_dir()
    from uwfq_lab.commands.vocabulary import parse_estimates, results_folder

    assert results_folder(None, "results/replay", "demo", True, parse_estimates("noisy:0.3")) \
        == Path("results/replay/demo-p-noisy0.3")


def test_python_policy_names_match_the_jvm_registry(spark):
    policies = spark.sparkContext._jvm.dev.uwfq.policy.Policies
    # What the simulator may run: every policy the JVM can build. What a session may name: those
    # and "off" (no policy: Spark's own scheduler), as the conf's registry says.
    assert sorted(SIMULATED_POLICIES) == sorted(policies.NAMES)
    assert sorted(POLICIES) == sorted(policies.CONF_VALUES)


def test_bench_llm_refuses_an_unknown_method_before_loading_a_model(capsys):
    pytest.importorskip("torch")
    assert main(["bench-llm", "--methods", "ours,turbo"]) == 2
    captured = capsys.readouterr()
    assert "turbo is not a method" in captured.err and "hf_continuous" in captured.err
