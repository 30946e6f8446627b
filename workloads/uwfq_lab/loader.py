"""Load and check a workload file: the paper's JSON format (reference README, workloads/).

    [{"user": "alice", "weight": 2,            # weight: optional, this project's extension
      "workloads": [{"workloadName": "loop100", "className": "jobs.implementations.udf.Loop100",
                     "totalIterations": 6, "startTimeMs": "150", "poissonRateInMinutes": 15,
                     "frequency": "PARA", "params": {}}]}]

Every problem is reported with its place (file, user, workload entry, field), what was
found and what was expected, so a malformed file can be fixed without guessing. Fields the
replay does not use (inputPath, inputType) are accepted and ignored.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from uwfq_lab.model import CUSTOM_CLASS, FREQUENCIES, JOB_CLASSES, Entry, User, Workload

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
KNOWN_CLASSES = (*JOB_CLASSES, CUSTOM_CLASS)


class WorkloadError(ValueError):
    """A workload file that cannot be replayed; the message names the place and the fix."""


def scenario_path(name_or_path: str | Path) -> Path:
    """A file path as given, or a built-in scenario name (``demo``, ``2_power_2_small_users``).

    Built-in: workloads/scenarios/*.json (short ones of this project) and
    workloads/scenarios/paper/*.json (the paper's four scenarios, as published)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    for folder in (SCENARIOS, SCENARIOS / "paper"):
        candidate = folder / f"{name_or_path}.json"
        if candidate.exists():
            return candidate
    builtin = sorted(p.stem for p in SCENARIOS.rglob("*.json"))
    raise WorkloadError(
        f"{name_or_path}: no such file, and not a built-in scenario. "
        f"Built-in scenarios: {', '.join(builtin)}."
    )


def load_workload(name_or_path: str | Path) -> Workload:
    path = scenario_path(name_or_path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkloadError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})."
        ) from None
    name = path.stem.removesuffix("_default").removesuffix("_config")
    return parse_workload(data, source=str(path), name=name)


def parse_workload(data: Any, source: str = "<workload>", name: str = "workload") -> Workload:
    if not isinstance(data, list) or not data:
        raise WorkloadError(
            f"{source}: expected a non-empty JSON list of users "
            f'([{{"user": ..., "workloads": [...]}}]), got {_describe(data)}.'
        )
    users = []
    seen: set[str] = set()
    for u_index, raw in enumerate(data):
        user = _parse_user(raw, f"{source}: users[{u_index}]")
        if user.name in seen:
            raise WorkloadError(
                f"{source}: users[{u_index}]: user {user.name!r} is listed twice; "
                "put all of a user's entries in one 'workloads' list."
            )
        seen.add(user.name)
        users.append(user)
    return Workload(name=name, source=source, users=tuple(users))


def _parse_user(raw: Any, place: str) -> User:
    if not isinstance(raw, dict):
        raise WorkloadError(f"{place}: expected an object with 'user' and 'workloads', "
                            f"got {_describe(raw)}.")
    name = _field(raw, "user", place, _name, "a non-empty string")
    place = f"{place} ({name!r})"
    weight = _field(raw, "weight", place, _positive, "a positive number", default=1.0)
    entries_raw = _field(raw, "workloads", place, _non_empty_list, "a non-empty list of entries")
    entries = tuple(
        _parse_entry(entry, name, e_index, f"{place} > workloads[{e_index}]")
        for e_index, entry in enumerate(entries_raw)
    )
    return User(name=name, entries=entries, weight=weight)


def _parse_entry(raw: Any, user: str, index: int, place: str) -> Entry:
    if not isinstance(raw, dict):
        raise WorkloadError(f"{place}: expected a workload object, got {_describe(raw)}.")
    name = _field(raw, "workloadName", place, _name, "a non-empty string")
    place = f"{place} ({name!r})"
    job_class = _field(raw, "className", place, _job_class,
                       "one of " + ", ".join(KNOWN_CLASSES)
                       + " (optionally prefixed, e.g. jobs.implementations.udf.Loop100)")
    params = _field(raw, "params", place, _object, "an object", default={})
    if job_class == CUSTOM_CLASS:
        _field(params, "task_runtime_s", f"{place} > params", _positive,
               "a positive number of core-seconds (LoopCustom's size)")
        if "job_runtime_s" in params:
            _field(params, "job_runtime_s", f"{place} > params", _positive, "a positive number")
        if "tasks" in params:
            _field(params, "tasks", f"{place} > params", _positive_int,
                   "a positive whole number of tasks (a job that cannot be cut: its task count "
                   "whatever the partitioner)")
    return Entry(
        user=user,
        name=name,
        job_class=job_class,
        total_iterations=_field(raw, "totalIterations", place, _count, "a non-negative integer"),
        start_time_ms=_field(raw, "startTimeMs", place, _non_negative,
                             "a non-negative number of milliseconds (a number or a numeric "
                             "string)", default=0.0),
        poisson_rate_per_min=_field(raw, "poissonRateInMinutes", place, _non_negative,
                                    "a non-negative number of arrivals per minute (0 = all "
                                    "at the start time)", default=0.0),
        frequency=_field(raw, "frequency", place, _frequency, "SEQ or PARA"),
        params=dict(params),
        index=index,
    )


_MISSING = object()


def _field(obj: dict, key: str, place: str, parse, expected: str, default: Any = _MISSING):
    if key not in obj:
        if default is not _MISSING:
            return default
        raise WorkloadError(f"{place}: missing field {key!r}; expected {expected}.")
    try:
        return parse(obj[key])
    except (ValueError, TypeError):
        raise WorkloadError(
            f"{place}: field {key!r} is {_describe(obj[key])}; expected {expected}."
        ) from None


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError
    return value


def _describe(value: Any) -> str:
    kind = {dict: "an object", list: "a list", str: "the string", bool: "the boolean",
            type(None): "null"}.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    if value is None:
        return "null"
    return f"{kind} {value!r}" if isinstance(value, (str, bool)) else repr(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value.strip()


def _number(value: Any) -> float:
    # The paper's files write startTimeMs as a string ("100"): accept numeric strings.
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, str):
        value = float(value.strip())
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError
    return float(value)


def _non_negative(value: Any) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError
    return number


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError
    return value


def _non_empty_list(value: Any) -> list:
    if not isinstance(value, list) or not value:
        raise ValueError
    return value


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError
    return value


def _job_class(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    short = value.strip().rsplit(".", 1)[-1]
    if short not in KNOWN_CLASSES:
        raise ValueError
    return short


def _frequency(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in FREQUENCIES:
        raise ValueError
    return value.strip().upper()
