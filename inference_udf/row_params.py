"""Per-row overrides: optional columns that replace the UDF's defaults for one row.

Values arrive from Arrow through pandas, so an integer column with nulls comes as floats and a
null as None or NaN; both are normalised here. A bad value raises ValueError, which the UDF puts
in that row's ``error``.
"""

from __future__ import annotations

import dataclasses
import math

from inference_udf.sampling_params import SamplingParams

INT_FIELDS = ("max_new_tokens", "top_k", "seed")
FLOAT_FIELDS = ("temperature", "top_p")
OVERRIDABLE = INT_FIELDS + FLOAT_FIELDS + ("stop", "system_prompt")


def row_params(defaults: SamplingParams, overrides: dict) -> tuple[SamplingParams, str | None]:
    """The row's SamplingParams and its system prompt override (None: keep the default)."""
    changes, system_prompt = {}, None
    for name, value in overrides.items():
        if is_null(value) or name not in OVERRIDABLE:
            continue
        if name in INT_FIELDS:
            changes[name] = _as_int(name, value)
        elif name in FLOAT_FIELDS:
            changes[name] = _as_float(name, value)
        elif name == "stop":
            changes[name] = (value,) if isinstance(value, str) else tuple(value)
        else:
            system_prompt = str(value)
    return dataclasses.replace(defaults, **changes), system_prompt


def is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_int(name, value) -> int:
    if isinstance(value, str) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer: got {value!r}")
    as_float = float(value)
    if not as_float.is_integer():
        raise ValueError(f"{name} must be an integer: got {value!r}")
    return int(as_float)


def _as_float(name, value) -> float:
    if isinstance(value, (str, bool)):
        raise ValueError(f"{name} must be a number: got {value!r}")
    return float(value)
