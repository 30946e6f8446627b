"""The inference UDFs under hostile rows and a dying Python worker, on a real local Spark.

Hostile rows (null, empty, 1 MB and invalid UTF-8 prompts; binary and wrongly typed columns;
per-row values out of range) each become an error in their own row, saying what was wrong and
what to do, and every other row is exactly what the same rows give without the bad ones. A
Python worker killed mid-partition (``os._exit`` on the task's first attempt, after it produced
some rows) is retried by Spark, and the job's rows equal a run without the fault: none lost,
none twice, greedy and seeded rows the same.
"""

from __future__ import annotations

import math
import os
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Tuple

import pyarrow as pa
import pytest

from tests.llm_fixtures import torch, udf_session  # noqa: F401  (torch: skips without it)

from inference_udf import generate_udf, score_udf
from inference_udf.tiny import corpus, write_tiny_checkpoint

pytestmark = pytest.mark.slow

MAX_LEN = 96
MEGABYTE = 1_000_000
BAD_UTF8 = "61C328FF62"          # 'a', a broken two-byte sequence, a stray 0xFF, 'b'
OPTIONS = dict(max_new_tokens=8, max_in_flight=6, max_model_len=MAX_LEN, num_threads=1)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("faults"), "llama"))


@pytest.fixture(scope="module")
def spark():
    # local[2,3]: two task threads, and a failed task is tried up to 3 times (the dying-worker
    # test needs the retry).
    session = udf_session("local[2,3]", "uwfq-llm-faults", arrow_batch_rows=8)
    yield session
    session.stop()


def megabyte_prompt() -> str:
    text = " ".join(corpus(40_000, seed=21))
    return text[:MEGABYTE]


def with_bad_utf8(df, column: str, marker: str = "<bad utf-8>"):
    """``column`` with every ``marker`` value replaced by bytes that are not valid UTF-8 (Spark
    strings can hold them; Python strings cannot)."""
    from pyspark.sql import functions as F

    bad = F.unhex(F.lit(BAD_UTF8)).cast("string")
    return df.withColumn(column, F.when(F.col(column) == marker, bad).otherwise(F.col(column)))


def by_id(rows) -> dict:
    ids = [row.id for row in rows]
    assert len(ids) == len(set(ids)), "a row came back twice"
    return {row.id: row for row in rows}


# (prompt, max_new_tokens, temperature, top_p, top_k, seed, stop) -> the error it must give
GENERATE_SCHEMA = ("id int, prompt string, n double, t double, p double, k long, "
                   "seed decimal(38,0), stop string")
HOSTILE = [
    ((None, None, None, None, None, None, None), "the prompt is null"),
    (("", None, None, None, None, None, None), "the prompt is empty"),
    ((" \n\t ", None, None, None, None, None, None), "the prompt is empty"),
    (("<megabyte>", None, None, None, None, None, None), "use overflow='truncate'"),
    (("<bad utf-8>", None, None, None, None, None, None), "the prompt is not valid UTF-8 (byte 1 of 5)"),
    (("spark", -3.0, None, None, None, None, None), "max_new_tokens must be an integer >= 1"),
    (("spark", math.nan, None, None, None, None, None), "max_new_tokens must be an integer"),
    (("spark", math.inf, None, None, None, None, None), "max_new_tokens must be an integer"),
    (("spark", 2.5, None, None, None, None, None), "max_new_tokens must be an integer"),
    (("spark", 1e300, None, None, None, None, None), "max_new_tokens must be at most 2^63 - 1"),
    (("spark", 1e6, None, None, None, None, None), "leaves no room for a prompt"),
    (("spark", None, -1.0, None, None, None, None), "temperature must be >= 0"),
    (("spark", None, math.nan, None, None, None, None), "temperature must be a finite number"),
    (("spark", None, math.inf, None, None, None, None), "temperature must be a finite number"),
    (("spark", None, 1e-9, None, None, None, None), "temperature must be 0 (greedy) or at least"),
    (("spark", None, 1.0, 0.0, None, None, None), "top_p must be in (0, 1]"),
    (("spark", None, 1.0, 1.5, None, None, None), "top_p must be in"),
    (("spark", None, 1.0, math.nan, None, None, None), "top_p must be a finite number"),
    (("spark", None, 1.0, None, -2, None, None), "top_k must be an integer >= 0"),
    (("spark", None, 1.0, None, None, Decimal(-1), None), "seed must be an integer >= 0"),
    (("spark", None, 1.0, None, None, Decimal(10**30), None), "seed must be at most 2^63 - 1"),
    (("spark", None, None, None, None, None, ""), "stop must be a list of non-empty strings"),
    (("spark", None, None, None, None, None, "<bad utf-8>"), "stop is not valid UTF-8"),
]


def generate_rows_with_faults():
    """Good rows (greedy and seeded, one with a top_k far above the vocabulary) with every
    hostile row of HOSTILE between them; returns (rows, {id: expected error})."""
    good = []
    for i, text in enumerate(corpus(24, seed=13)):
        seeded = i % 2 == 1
        good.append((text, float(3 + i % 6), 0.9 if seeded else None, None,
                     2**62 if i == 5 else None, Decimal(100 + i) if seeded else None, None))
    rows, expected = [], {}
    for i, values in enumerate(good):                 # a hostile row after each good one
        rows.append((len(rows), *values))
        if i < len(HOSTILE):
            expected[len(rows)] = HOSTILE[i][1]
            rows.append((len(rows), *HOSTILE[i][0]))
    assert len(expected) == len(HOSTILE)
    big = megabyte_prompt()
    rows = [(r[0], big if r[1] == "<megabyte>" else r[1], *r[2:]) for r in rows]
    return rows, expected


def generate_frame(spark, rows):
    df = spark.createDataFrame(rows, GENERATE_SCHEMA).repartition(2, "id").sortWithinPartitions("id")
    return with_bad_utf8(with_bad_utf8(df, "prompt"), "stop")


def run_generate(df, udf):
    return df.select("id", udf("prompt", max_new_tokens="n", temperature="t", top_p="p",
                               top_k="k", seed="seed", stop="stop").alias("o")) \
        .select("id", "o.*").collect()


def test_hostile_generate_rows_become_error_rows_and_the_rest_are_exact(spark, checkpoint):
    rows, expected = generate_rows_with_faults()
    gen = generate_udf(checkpoint, **OPTIONS)
    out = by_id(run_generate(generate_frame(spark, rows), gen))
    clean = by_id(run_generate(generate_frame(spark, [r for r in rows if r[0] not in expected]),
                               gen))
    assert sorted(out) == [r[0] for r in rows]                  # no row lost or added
    for i, row in out.items():
        if i in expected:
            assert row.finish_reason == "error" and row.text is None, (i, row)
            assert expected[i] in row.error, (i, row.error)
            assert len(row.error) < 400                          # never the row's value itself
        else:
            assert row.error is None and row.completion_tokens >= 1, (i, row)
            assert row == clean[i], i                              # exact, bad rows or not
    seeded = [i for i, *_, seed, _ in rows if i not in expected and seed is not None]
    assert len(seeded) >= 10


def test_wrongly_typed_columns_fail_only_their_rows(spark, checkpoint):
    """Override columns of the wrong Spark type: a non-null value is that row's error, a null
    keeps the default. A binary prompt column and bad chat messages are row errors too."""
    from pyspark.sql import functions as F

    texts = corpus(8, seed=17)
    df = spark.createDataFrame(
        [(i, text, "8" if i == 1 else None, (i == 2) or None, [1] if i == 3 else None,
          3 if i == 4 else None, 5 if i == 5 else None) for i, text in enumerate(texts)],
        "id int, prompt string, n string, t boolean, seed array<int>, stop int, sys int")
    gen = generate_udf(checkpoint, **OPTIONS)
    out = by_id(df.select("id", gen("prompt", max_new_tokens="n", temperature="t", seed="seed",
                                    stop="stop", system_prompt="sys").alias("o"))
                .select("id", "o.*").collect())
    plain = by_id(df.select("id", gen("prompt").alias("o")).select("id", "o.*").collect())
    errors = {1: "max_new_tokens must be an integer: got str '8'",
              2: "temperature must be a number: got bool True",
              3: "seed must be an integer: got list [1]",
              4: "stop must be a string or an array of strings: got int 3",
              5: "system_prompt must be a string: got int 5"}
    assert sorted(out) == list(range(8))
    for i, row in out.items():
        if i in errors:
            assert row.error == errors[i]
        else:
            assert row == plain[i]

    binary = df.select("id", gen(F.col("prompt").cast("binary")).alias("o")) \
        .select("id", "o.*").collect()
    assert [r.id for r in binary] == list(range(8))
    assert all(r.error.startswith("the prompt is binary (") and "CAST(column AS STRING)" in r.error
               for r in binary)

    chat = dict(OPTIONS, chat_template=True)
    messages = spark.createDataFrame(
        [(0, [("user", texts[0])]), (1, [("user", None)]), (2, []), (3, None),
         (4, [("user", "<bad utf-8>")]), (5, [("user", texts[5])])],
        "id int, m array<struct<role string, content string>>")
    bad = F.unhex(F.lit(BAD_UTF8)).cast("string")
    messages = messages.withColumn("m", F.transform("m", lambda x: F.struct(
        x.role.alias("role"),
        F.when(x.content == "<bad utf-8>", bad).otherwise(x.content).alias("content"))))
    got = by_id(messages.select("id", generate_udf(checkpoint, **chat)("m").alias("o"))
                .select("id", "o.*").collect())
    assert sorted(got) == list(range(6))
    assert got[1].error.startswith("each chat message must have a string 'role' and 'content'")
    assert got[2].error.startswith("the chat messages are empty")
    assert got[3].error.startswith("the prompt is null")
    assert "not valid UTF-8" in got[4].error and "make_valid_utf8" in got[4].error
    singles = spark.createDataFrame([(0, texts[0]), (5, texts[5])], "id int, p string")
    alone = by_id(singles.select("id", generate_udf(checkpoint, **chat)("p").alias("o"))
                  .select("id", "o.*").collect())
    for i in (0, 5):                       # a one-message chat is the prompt through the template
        assert got[i].error is None and got[i] == alone[i]


def test_hostile_score_rows_become_error_rows_and_the_rest_are_exact(spark, checkpoint):
    from pyspark.sql import functions as F

    texts = corpus(16, seed=19)
    good = [(texts[i], " " + texts[i + 1]) for i in range(0, 16, 2)]
    hostile = [((None, " stage"), "the prompt is null"),
               (("spark", None), "the completion is null or empty"),
               (("spark", ""), "the completion is null or empty"),
               (("", " stage"), "the prompt is empty"),
               (("<megabyte>", " stage"), "use overflow='truncate'"),
               (("spark", "<megabyte>"), "with a prompt at most"),
               (("<bad utf-8>", " stage"), "the prompt is not valid UTF-8"),
               (("spark", "<bad utf-8>"), "the completion is not valid UTF-8")]
    rows, expected = [], {}
    for i, pair in enumerate(good):
        rows.append((len(rows), *pair))
        if i < len(hostile):
            expected[len(rows)] = hostile[i][1]
            rows.append((len(rows), *hostile[i][0]))
    big = megabyte_prompt()
    rows = [tuple(big if v == "<megabyte>" else v for v in r) for r in rows]

    def run(data):
        df = spark.createDataFrame(data, "id int, p string, c string").repartition(2, "id")
        df = with_bad_utf8(with_bad_utf8(df, "p"), "c")
        return df.select("id", score_udf(checkpoint, batch_size=3, num_threads=1)("p", "c")
                         .alias("s")).select("id", "s.*").collect()

    out = by_id(run(rows))
    clean = by_id(run([r for r in rows if r[0] not in expected]))
    assert sorted(out) == [r[0] for r in rows]
    for i, row in out.items():
        if i in expected:
            assert row.logprob is None and expected[i] in row.error, (i, row.error)
        else:
            assert row.error is None and row == clean[i], i
    binary = spark.createDataFrame(rows[:4], "id int, p string, c string") \
        .select("id", "c", score_udf(checkpoint, num_threads=1)("p", F.col("c").cast("binary"))
                .alias("s")).select("id", "c", "s.*").collect()
    assert [r.id for r in binary] == [0, 1, 2, 3]
    for r in binary:
        assert r.error.startswith("the completion is null" if r.c is None else
                                  "the completion is binary ("), r


def dies_on_first_attempt(udf, marks: Path, partition: int = 0, after_batches: int = 2):
    """``udf`` whose Python worker exits (``os._exit``, no clean-up) in ``partition``'s first
    attempt once it has produced ``after_batches`` result batches, with rows still in flight.
    Every attempt leaves a file ``partition-attempt`` in ``marks``."""
    from pyspark import TaskContext
    from pyspark.sql.functions import arrow_udf

    from inference_udf.udf import InferenceUDF

    inner = udf.spark_udf.func
    marks = str(marks)

    def wrapped(batches: Iterator[Tuple[pa.Array, pa.Array]]) -> Iterator[pa.Array]:
        context = TaskContext.get()
        Path(marks, f"{context.partitionId()}-{context.attemptNumber()}").touch()
        for produced, result in enumerate(inner(batches), 1):
            yield result
            if (context.partitionId(), context.attemptNumber(), produced) == \
                    (partition, 0, after_batches):
                os._exit(3)

    return InferenceUDF(arrow_udf(wrapped, udf.spark_udf.returnType), udf.allowed_overrides)


@pytest.mark.parametrize("shared_engine", [False, True], ids=["per-task", "shared-engine"])
def test_a_worker_dying_mid_partition_is_retried_with_the_same_rows(spark, checkpoint, tmp_path,
                                                                    shared_engine):
    """With ``shared_engine=True`` the dying worker is the engine's client: the engine process
    lives on, drops the gone task's requests, and serves the retry."""
    check_a_dying_worker_is_retried(spark, checkpoint, tmp_path, shared_engine)


def check_a_dying_worker_is_retried(spark, checkpoint, tmp_path, shared_engine: bool):
    """Partition 0's worker dies on its first attempt; the job's rows equal a run without the
    fault (also used on a local-cluster executor)."""
    texts = corpus(48, seed=23)
    rows = [(i, text, 0.8 if i % 3 == 0 else None, 7 + i if i % 3 == 0 else None)
            for i, text in enumerate(texts)]             # every third row seeded, others greedy
    df = spark.createDataFrame(rows, "id int, prompt string, t double, seed long") \
        .repartition(2, "id").sortWithinPartitions("id")
    gen = generate_udf(checkpoint, shared_engine=shared_engine, **OPTIONS)

    def run(udf):
        return df.select("id", udf("prompt", temperature="t", seed="seed").alias("o")) \
            .select("id", "o.*").collect()

    expected = by_id(run(gen))
    marks = tmp_path / "attempts"
    marks.mkdir()
    got = run(dies_on_first_attempt(gen, marks))
    assert sorted(p.name for p in marks.iterdir()) == ["0-0", "0-1", "1-0"]   # one retry
    assert len(got) == len(rows) and by_id(got) == expected
    assert all(row.error is None for row in got)
    assert sum(1 for *_, seed in rows if seed is not None) == 16
