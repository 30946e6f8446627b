"""`uwfq simulate`: the replay's result files from a simulated run, and clear refusals."""

from __future__ import annotations

import csv

from spark_uwfq.cli import main


def test_simulate_writes_the_paper_columns_and_the_gps_lag(tmp_path, capsys):
    code = main(["simulate", "4_large_users", "--policies", "fifo,uwfq", "--partitioner",
                 "--no-plots", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "GPS lag worst" in out
    with (tmp_path / "4_large_users_run_data_avg.csv").open() as f:
        rows = {r["policy"]: r for r in csv.DictReader(f)}
    # ujf runs too: it is the DVR reference.
    assert set(rows) == {"fifo", "uwfq", "ujf"}
    assert rows["uwfq"]["Scheduler"] == "CUSTOM_USERCLUSTERFAIR_PARTITIONER"
    assert float(rows["uwfq"]["GPS lag worst"]) >= float(rows["uwfq"]["GPS lag mean"])
    assert float(rows["uwfq"]["idle core while runnable"]) == 0
    assert rows["uwfq"]["Total DVR"] != "" and rows["ujf"]["Total DVR"] == ""


def test_bad_arguments_are_refused_with_what_to_do(tmp_path, capsys):
    assert main(["simulate", "4_large_users", "--policies", "fifo,lottery"]) == 2
    assert "lottery is not a policy" in capsys.readouterr().err
    assert main(["simulate", "4_large_users", "--estimates", "psychic"]) == 2
    assert "not one of oracle, learned, noisy[:SIGMA]" in capsys.readouterr().err
    assert main(["simulate", "no_such_scenario"]) == 2
    assert "Built-in scenarios" in capsys.readouterr().err
    assert main(["simulate"]) == 2
    assert "--paper-comparison" in capsys.readouterr().err
