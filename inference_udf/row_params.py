"""Per-row overrides: optional columns that replace the UDF's defaults for one row.

Values arrive from Arrow as Python objects (``arrow_rows``): a null is None, a NaN stays a NaN
(and is refused), and a value of the wrong type is refused by name. A bad value raises
ValueError, which the UDF puts in that row's ``error``; the other rows are not touched.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

from inference_udf.arrow_rows import Unreadable
from inference_udf.prompts import shorten
from inference_udf.sampling_params import SamplingParams

INT_FIELDS = ("max_new_tokens", "top_k", "seed")
FLOAT_FIELDS = ("temperature", "top_p")
OVERRIDABLE = INT_FIELDS + FLOAT_FIELDS + ("stop", "system_prompt")


def row_params(defaults: SamplingParams, overrides: dict) -> tuple[SamplingParams, str | None]:
    """The row's SamplingParams and its system prompt override (None: keep the default)."""
    changes, system_prompt = {}, None
    for name, value in overrides.items():
        if value is None or name not in OVERRIDABLE:
            continue
        if isinstance(value, Unreadable):
            raise ValueError(f"{name} {value.reason}")
        if name in INT_FIELDS:
            changes[name] = _as_int(name, value)
        elif name in FLOAT_FIELDS:
            changes[name] = _as_float(name, value)
        elif name == "stop":
            changes[name] = _as_stop(value)
        elif isinstance(value, str):
            system_prompt = value
        else:
            raise ValueError(f"system_prompt must be a string: got {_kind(value)}")
    return dataclasses.replace(defaults, **changes), system_prompt


def _as_int(name, value) -> int:
    if not _is_number(value) or not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be an integer: got {_kind(value)}")
    return int(value)


def _as_float(name, value) -> float:
    if not _is_number(value):
        raise ValueError(f"{name} must be a number: got {_kind(value)}")
    return float(value)


def _as_stop(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"stop must be a string or an array of strings: got {_kind(value)}")


def _is_number(value) -> bool:
    # Decimal comes from a DECIMAL column; bool is an int in Python but never a count here.
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _kind(value) -> str:
    return f"{type(value).__name__} {shorten(value)}"
