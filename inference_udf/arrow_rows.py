"""Arrow batches in and out of the UDFs: Python values per row, and result rows back to Arrow.

The UDFs take Arrow arrays rather than pandas so that one bad value fails only its own row.
pandas conversion fails a whole batch when one string is not valid UTF-8, and turns an integer
column with nulls into floats, where a null and a NaN look alike. Here every value keeps its
type, a null stays None, and a value Python cannot read becomes an ``Unreadable``, which the
row's checks turn into that row's error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Unreadable:
    """A value Arrow holds but Python cannot read; ``reason`` completes "the prompt ..." etc."""
    reason: str


def values(array) -> list:
    """One Python value per row: str, bytes, int, float, Decimal, list, dict, None, or
    ``Unreadable``."""
    import pyarrow as pa

    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        raw = array.cast(pa.large_binary() if pa.types.is_large_string(array.type) else pa.binary())
        return [_decode(value) for value in raw.to_pylist()]
    try:
        return array.to_pylist()
    except UnicodeDecodeError:          # text inside a list or struct: find the rows it is in
        return [_value(array[row]) for row in range(len(array))]


def struct_rows(array) -> list[dict]:
    """One dict per row of a struct column (the per-row override columns, by name)."""
    names = [array.type.field(i).name for i in range(array.type.num_fields)]
    columns = [values(child) for child in array.flatten()]
    return [dict(zip(names, row)) for row in zip(*columns)] if names else [{}] * len(array)


def to_arrow(frame, arrow_type):
    """A result frame (one dict per row, as ``OutputOptions.frame`` builds) as a StructArray."""
    import pyarrow as pa

    return pa.array(frame.to_dict("records"), type=arrow_type, from_pandas=True)


def arrow_type(schema: str):
    """The Arrow type of a DDL schema made of string, int, double, array<...> and struct<...>
    (the UDFs' result structs), as Spark sends and expects it."""
    import pyarrow as pa

    from inference_udf.outputs import split_fields

    schema = schema.strip()
    scalars = {"string": pa.string(), "int": pa.int32(), "double": pa.float64()}
    if schema in scalars:
        return scalars[schema]
    if schema.startswith("array<"):
        return pa.list_(pa.field("element", arrow_type(schema[len("array<"):-1])))
    if schema.startswith("struct<"):
        schema = schema[len("struct<"):-1]
    fields = [field.split(" ", 1) for field in split_fields(schema)]
    return pa.struct([pa.field(name, arrow_type(kind)) for name, kind in fields])


def generate_inputs(batches: Iterator) -> Iterator[tuple[list, list[dict]]]:
    """The generation UDF's (prompt, overrides struct) Arrow batches as Python rows."""
    for prompts, overrides in batches:
        yield values(prompts), struct_rows(overrides)


def _decode(raw: bytes | None):
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(f"is not valid UTF-8 (byte {exc.start} of {len(raw)}): fix the text, or "
                          "replace the bad bytes in Spark with make_valid_utf8(column)")


def _value(scalar):
    try:
        return scalar.as_py()
    except UnicodeDecodeError:
        return Unreadable("holds text that is not valid UTF-8: fix it, or replace the bad bytes "
                          "in Spark with make_valid_utf8 on each text field")
