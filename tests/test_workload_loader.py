"""The workload loader reads the paper's files and rejects malformed ones with the place named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uwfq_lab import JOB_CLASSES, WorkloadError, load_workload
from uwfq_lab.loader import SCENARIOS

# The paper's own files, in the shared folder beside the checkout when it is there.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "uwfq-paper" / "workloads"
PAPER_FILES = sorted(REFERENCE.glob("*.json")) if REFERENCE.is_dir() else []
BUILT_IN = sorted(SCENARIOS.rglob("*.json"))


def _entry(**overrides):
    entry = {"workloadName": "loop100", "className": "jobs.implementations.udf.Loop100",
             "totalIterations": 3, "startTimeMs": "150", "poissonRateInMinutes": 15,
             "frequency": "PARA", "params": {}}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not ...}


def _write(tmp_path, data, name="w.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


@pytest.mark.parametrize("path", PAPER_FILES + BUILT_IN, ids=lambda p: p.name)
def test_every_reference_and_built_in_file_loads(path):
    workload = load_workload(path)
    assert workload.users and all(u.entries for u in workload.users)
    assert workload.total_core_ms > 0


@pytest.mark.skipif(len(PAPER_FILES) != 5, reason="reference data not on this machine")
def test_all_five_reference_files_are_there():
    assert len(PAPER_FILES) == 5


def test_paper_scenario_is_read_as_published():
    w = load_workload("2_power_2_small_users")
    assert [u.name for u in w.users] == ["user1_power", "user2_power", "user3_small",
                                         "user4_small"]
    power = w.users[0].entries
    assert [e.name for e in power] == ["loop100_1", "loop100_2", "loop100_3", "loop100_4"]
    # startTimeMs is a string in the paper's files.
    assert [e.start_time_ms for e in power] == [100.0, 30000.0, 60000.0, 90000.0]
    assert all(e.job_class == "Loop100" and e.frequency == "PARA" for e in power)
    assert w.users[2].entries[0].poisson_rate_per_min == 8
    assert len(w.logical_jobs()) == 4 * 20 * 2 + 12 * 2
    assert w.total_core_ms == pytest.approx(184 * JOB_CLASSES["Loop100"])


@pytest.mark.skipif(not (REFERENCE / "hetero_macro_config.json").exists(), reason="no trace")
def test_trace_entries_sharing_a_name_form_one_job_group():
    w = load_workload(REFERENCE / "hetero_macro_config.json")
    assert len(w.entries) == 824 and len(w.users) == 27
    assert len(w.logical_jobs()) == 125
    first = w.users[0].entries[0]
    assert first.job_class == "LoopCustom"
    assert first.core_ms == pytest.approx(first.params["task_runtime_s"] * 1000)


def test_weight_field_is_optional_and_read(tmp_path):
    data = [{"user": "a", "weight": 2.5, "workloads": [_entry()]},
            {"user": "b", "workloads": [_entry()]}]
    assert load_workload(_write(tmp_path, data)).weights == {"a": 2.5, "b": 1.0}


def test_bad_json_names_file_line_and_column(tmp_path):
    path = _write(tmp_path, '[\n  {"user": "a",\n   "workloads": [}\n]')
    with pytest.raises(WorkloadError) as err:
        load_workload(path)
    assert str(err.value).startswith(f"{path}: line 3, column 18: not valid JSON")


@pytest.mark.parametrize("entry, field, expected", [
    (_entry(totalIterations=...), "missing field 'totalIterations'", "a non-negative integer"),
    (_entry(totalIterations=-3), "field 'totalIterations' is -3", "a non-negative integer"),
    (_entry(totalIterations="4"), "field 'totalIterations' is the string '4'",
     "a non-negative integer"),
    (_entry(totalIterations=2.5), "field 'totalIterations' is 2.5", "a non-negative integer"),
    (_entry(className="jobs.implementations.udf.Loop7"),
     "field 'className' is the string 'jobs.implementations.udf.Loop7'", "one of Loop20, "),
    (_entry(frequency="SOMETIMES"), "field 'frequency' is the string 'SOMETIMES'", "SEQ or PARA"),
    (_entry(startTimeMs="soon"), "field 'startTimeMs' is the string 'soon'",
     "a non-negative number of milliseconds"),
    (_entry(poissonRateInMinutes=-1), "field 'poissonRateInMinutes' is -1",
     "a non-negative number of arrivals per minute"),
    (_entry(params=[]), "field 'params' is a list", "an object"),
])
def test_bad_entry_names_file_user_entry_and_field(tmp_path, entry, field, expected):
    ok = _entry(workloadName="fine")
    path = _write(tmp_path, [{"user": "alice", "workloads": [ok]},
                             {"user": "bob", "workloads": [ok, entry]}])
    with pytest.raises(WorkloadError) as err:
        load_workload(path)
    message = str(err.value)
    assert message.startswith(f"{path}: users[1] ('bob') > workloads[1] ('loop100'): {field}")
    assert f"expected {expected}" in message


def test_loop_custom_needs_a_positive_task_runtime(tmp_path):
    entry = _entry(className="LoopCustom", params={"job_runtime_s": 3})
    path = _write(tmp_path, [{"user": "u", "workloads": [entry]}])
    with pytest.raises(WorkloadError, match=r"users\[0\] \('u'\) > workloads\[0\] \('loop100'\) "
                                            r"> params: missing field 'task_runtime_s'"):
        load_workload(path)


@pytest.mark.parametrize("data, message", [
    ({"user": "a"}, "expected a non-empty JSON list of users"),
    ([], "expected a non-empty JSON list of users"),
    ([{"workloads": [_entry()]}], r"users\[0\]: missing field 'user'"),
    ([{"user": "a", "workloads": []}], r"users\[0\] \('a'\): field 'workloads' is a list; "
                                       "expected a non-empty list"),
    ([{"user": "a", "weight": 0, "workloads": [_entry()]}],
     r"users\[0\] \('a'\): field 'weight' is 0; expected a positive number"),
    ([{"user": "a", "workloads": [_entry()]}, {"user": "a", "workloads": [_entry()]}],
     r"users\[1\]: user 'a' is listed twice"),
])
def test_bad_structure_is_rejected_with_its_place(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(WorkloadError, match=message):
        load_workload(path)


def test_unknown_scenario_lists_the_built_in_ones():
    with pytest.raises(WorkloadError, match="not a built-in scenario.*2_power_2_small_users"):
        load_workload("no_such_scenario")
