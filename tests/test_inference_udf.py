"""generate_udf and score_udf on a real local Spark: no row lost, order kept, bad rows become
error values, and results equal the engine run directly (and a direct forward pass)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Tuple

import pyarrow as pa
import pytest

from tests.llm_fixtures import load, torch, udf_session

from inference_udf import generate_udf, score_udf
from inference_udf.engine import LLMEngine
from inference_udf.sampling_params import SamplingParams
from inference_udf.tiny import corpus, write_tiny_checkpoint

MAX_LEN = 96


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("llama"), "llama"))


@pytest.fixture(scope="module")
def spark():
    session = udf_session("local[2]", "uwfq-llm-tests", arrow_batch_rows=16)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def rows():
    """200 rows: mostly ordinary prompts, some null, empty, over-long, or with bad overrides."""
    lines = corpus(200, seed=3)
    data = []
    for i, text in enumerate(lines):
        prompt, limit = text, 4 + i % 13
        if i % 17 == 0:
            prompt = None
        elif i % 23 == 0:
            prompt = ""
        elif i % 19 == 0:
            prompt = " ".join([text] * 40)           # far longer than the context
        elif i % 29 == 5:
            limit = -1                               # an invalid per-row max_new_tokens
        data.append((i, prompt, limit))
    return data


def direct(checkpoint, prompt_ids_list, limits):
    model, tokenizer = load(checkpoint)
    engine = LLMEngine(model, tokenizer, max_num_seqs=8, max_model_len=MAX_LEN)
    requests = engine.generate(prompt_ids_list, [SamplingParams(n) for n in limits])
    return [tokenizer.decode(r.output_ids, skip_special_tokens=True) for r in requests], tokenizer


def test_generate_udf_keeps_every_row_in_order(spark, checkpoint, rows):
    gen = generate_udf(checkpoint, max_new_tokens=8, max_in_flight=8, max_model_len=MAX_LEN,
                       num_threads=1)
    df = spark.createDataFrame(rows, "id int, prompt string, n int").repartition(3)
    out = df.withColumn("out", gen("prompt", max_new_tokens="n")).select("id", "prompt", "n", "out.*")
    first = out.collect()
    assert sorted(r.id for r in first) == list(range(200))
    by_id = {r.id: r for r in first}

    ok = [r for r in rows if by_id[r[0]].error is None]
    texts, tokenizer = direct(checkpoint, [tokenizer_ids(checkpoint, r[1]) for r in ok], [r[2] for r in ok])
    for (i, prompt, limit), text in zip(ok, texts):
        got = by_id[i]
        assert got.text == text and got.finish_reason in ("stop", "length")
        assert got.completion_tokens <= limit

    for i, prompt, limit in rows:
        got = by_id[i]
        if prompt is None:
            assert got.finish_reason == "error" and got.error.startswith("the prompt is null")
        elif prompt == "":
            assert got.error.startswith("the prompt is empty")
        elif limit == -1:
            assert "max_new_tokens must be an integer >= 1" in got.error
        elif i % 19 == 0:                            # the over-long prompts
            assert "use overflow='truncate'" in got.error
        else:
            assert got.error is None
    assert sum(r.error is None for r in first) > 120

    # Row order inside each partition is kept: the output lines up with the input columns,
    # and a second run (a retried task) gives the same rows.
    assert [(r.id, r.prompt, r.n) for r in first] == [tuple(r) for r in df.collect()]
    assert out.collect() == first


def tokenizer_ids(checkpoint, prompt):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(checkpoint)(prompt)["input_ids"]


def test_truncate_keeps_the_end_of_long_prompts(spark, checkpoint):
    gen = generate_udf(checkpoint, max_new_tokens=6, max_model_len=MAX_LEN, overflow="truncate",
                       num_threads=1)
    long_prompt = " ".join(corpus(30, seed=5))
    out = spark.createDataFrame([(long_prompt,), ("spark task",)], "prompt string") \
        .select(gen("prompt").alias("o")).select("o.*").collect()
    keep = MAX_LEN - 6
    assert out[0].error is None and out[0].prompt_tokens == keep
    assert out[1].prompt_tokens == len(tokenizer_ids(checkpoint, "spark task"))
    # The answer continues the prompt's END: it is what the last tokens alone give, and the
    # first ones alone give something else.
    ids = tokenizer_ids(checkpoint, long_prompt)
    (end, start), _ = direct(checkpoint, [ids[-keep:], ids[:keep]], [6, 6])
    assert end != start
    assert out[0].text == end


def test_bad_factory_arguments_fail_before_any_job(spark, checkpoint):
    # spark: applying a UDF to a column name needs an active session, as in real use.
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        generate_udf(checkpoint, temperature=-0.5)
    with pytest.raises(ValueError, match="overflow must be one of"):
        generate_udf(checkpoint, overflow="drop")
    with pytest.raises(TypeError, match="unknown per-row override"):
        generate_udf(checkpoint)("prompt", beam_width="b")
    with pytest.raises(ValueError, match="admission='lifo': expected one of reserve, past_future"):
        generate_udf(checkpoint, admission="lifo")
    # More alternatives than anyone reads (or than the vocabulary has) would fail every row at
    # its first token: refused here instead.
    with pytest.raises(ValueError, match=r"logprobs must be None or an integer in \[0, 20\]"):
        generate_udf(checkpoint, logprobs=100_000)


def test_past_future_admission_gives_the_same_rows(spark, checkpoint, tmp_path):
    # A KV budget tight enough that admission matters: Past-Future runs more requests at once
    # than reserving each its full max_new_tokens, and the outputs must not change.
    df = spark.createDataFrame([(i, text) for i, text in enumerate(corpus(40, seed=7))],
                               "id int, prompt string").coalesce(1)
    texts, engines = {}, {}
    for admission in ("reserve", "past_future"):
        gen = generate_udf(checkpoint, max_new_tokens=24, max_model_len=MAX_LEN, num_threads=1,
                           kv_budget_tokens=2 * MAX_LEN, admission=admission)
        folder = tmp_path / admission
        folder.mkdir()
        # Sorted here, not by Spark: a sort's sampling job would run the UDF once more.
        out = sorted(df.select("id", watching_the_engine(gen, folder)("prompt").alias("o"))
                     .select("id", "o.*").collect())
        assert [row.id for row in out] == list(range(40))
        assert all(row.error is None for row in out)
        texts[admission] = [row.text for row in out]
        engines[admission] = [json.loads(f.read_text()) for f in folder.iterdir()]
    assert texts["past_future"] == texts["reserve"]
    assert [e["policy"] for e in engines["reserve"]] == ["ReserveMaxTokens"]
    assert [e["policy"] for e in engines["past_future"]] == ["PastFuture"]
    assert engines["past_future"][0]["peak_running"] > engines["reserve"][0]["peak_running"]


def watching_the_engine(udf, folder):
    """``udf`` that writes, per task, its engine's admission policy and the most requests that
    ran at once to ``folder`` (the engine itself runs unchanged)."""
    from pyspark import TaskContext
    from pyspark.sql.functions import arrow_udf

    from inference_udf.udf import InferenceUDF

    inner, folder = udf.spark_udf.func, str(folder)

    def watched(batches: Iterator[Tuple[pa.Array, pa.Array]]) -> Iterator[pa.Array]:
        import inference_udf.loading as loading

        seen = {"peak_running": 0}
        original = loading.engine_for

        def engine_for(*args, **options):
            engine = original(*args, **options)
            step = engine.step

            def counted_step():
                finished = step()
                seen["peak_running"] = max(seen["peak_running"], len(engine.scheduler.running))
                return finished

            engine.step = counted_step
            seen["policy"] = type(engine.scheduler.policy).__name__
            seen["engine"] = engine
            return engine

        loading.engine_for = engine_for
        try:
            yield from inner(batches)
        finally:
            loading.engine_for = original
            engine = seen.pop("engine", None)
            if engine is not None:
                del engine.step                      # the worker keeps the engine for later tasks
        Path(folder, str(TaskContext.get().partitionId())).write_text(json.dumps(seen))

    return InferenceUDF(arrow_udf(watched, udf.spark_udf.returnType), udf.allowed_overrides)


def test_score_udf_equals_a_direct_forward_pass(spark, checkpoint):
    model, tokenizer = load(checkpoint)
    pairs = [("spark task", " stage job"), ("fair queue share", " cluster driver"),
             (None, " x"), ("query", None), ("blue green river", " stone cloud light")]
    score = score_udf(checkpoint, batch_size=2, num_threads=1)
    out = spark.createDataFrame(pairs, "p string, c string") \
        .select(score("p", "c").alias("s")).select("s.*").collect()
    assert [r.error is None for r in out] == [True, True, False, False, True]
    for (prompt, completion), got in zip(pairs, out):
        if got.error is not None:
            continue
        p_ids = tokenizer(prompt)["input_ids"]
        c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logprobs = model(torch.tensor([p_ids + c_ids])).logits[0].log_softmax(-1)
        expected = sum(logprobs[len(p_ids) + j - 1, t].item() for j, t in enumerate(c_ids))
        assert got.logprob == pytest.approx(expected, abs=1e-3)
        assert (got.prompt_tokens, got.completion_tokens) == (len(p_ids), len(c_ids))


def test_per_row_sampling_overrides(spark, checkpoint):
    gen = generate_udf(checkpoint, max_new_tokens=12, max_model_len=MAX_LEN, chat_template=True,
                       num_threads=1)
    rows = [(0, "spark task", 0.0, None, None), (1, "spark task", 1.2, 5, None),
            (2, "spark task", 1.2, 5, None), (3, "spark task", -1.0, None, None),
            (4, "spark task", 0.0, None, "be brief and kind"), (5, "spark task", 1.2, 6, None)]
    df = spark.createDataFrame(rows, "id int, p string, t double, seed int, sys string")
    out = df.select("id", gen("p", temperature="t", seed="seed", system_prompt="sys").alias("o")) \
        .orderBy("id").select("o.*").collect()
    assert "temperature must be >= 0" in out[3].error
    assert out[4].prompt_tokens > out[0].prompt_tokens              # the system prompt is in
    # Each row decodes with its own temperature and seed: exactly what the engine gives for
    # those settings, the same seed twice gives the same tokens, and neither sampled text is
    # the greedy one or the other seed's.
    direct_model, tokenizer = load(checkpoint)
    from inference_udf.prompts import PromptEncoder

    ids = PromptEncoder(tokenizer, chat_template=True).encode("spark task", MAX_LEN)
    engine = LLMEngine(direct_model, tokenizer, max_model_len=MAX_LEN)
    settings = [SamplingParams(12), SamplingParams(12, temperature=1.2, seed=5),
                SamplingParams(12, temperature=1.2, seed=6)]
    greedy, seed5, seed6 = [tokenizer.decode(r.output_ids, skip_special_tokens=True)
                            for r in engine.generate([ids] * 3, settings)]
    assert len({greedy, seed5, seed6}) == 3
    assert [out[i].text for i in (0, 1, 2, 5)] == [greedy, seed5, seed5, seed6]


def test_logprobs_n_and_messages_only_when_asked(spark, checkpoint):
    texts = corpus(6, seed=11)
    messages = [[{"role": "user", "content": t}] for t in texts]
    df = spark.createDataFrame(list(zip(range(6), texts, messages)),
                               "id int, prompt string, messages array<struct<role string, content string>>")
    common = dict(max_new_tokens=6, max_model_len=MAX_LEN, chat_template=True, num_threads=1)
    plain = df.select("id", generate_udf(checkpoint, **common)("prompt").alias("o"))
    assert plain.schema["o"].dataType.fieldNames() == [
        "text", "finish_reason", "prompt_tokens", "completion_tokens", "error"]
    rows = df.select("id", generate_udf(checkpoint, logprobs=2, **common)("prompt").alias("o"),
                     generate_udf(checkpoint, **common)("messages").alias("m")) \
        .orderBy("id").collect()
    for row in rows:
        out = row.o
        assert out.text == row.m.text                      # a messages column, same chat
        assert len(out.token_logprobs) == len(out.top_logprobs) == out.completion_tokens
        for chosen, top in zip(out.token_logprobs, out.top_logprobs):
            assert len(top) == 2 and top[0].logprob >= top[1].logprob
            assert top[0].logprob == pytest.approx(chosen)  # greedy takes the likeliest token
    sampled = dict(common, temperature=1.0, seed=5)
    many = df.select("id", generate_udf(checkpoint, n=3, **sampled)("prompt").alias("o"),
                     generate_udf(checkpoint, **sampled)("prompt").alias("one")) \
        .orderBy("id").collect()
    assert many[0].o.__fields__ == ["choices", "prompt_tokens", "error"]
    for row in many:
        assert len(row.o.choices) == 3
        assert row.o.choices[0].text == row.one.text       # answer 0 uses the row's own seed
    assert any(len({c.text for c in row.o.choices}) > 1 for row in many)
