"""The shared engine's user order, judged from its recorded tokens and steps: weights 2:1 with
both users backlogged split decode tokens 2:1; a small job behind a large one finishes much
sooner than under FIFO admission; outputs equal the plain engine's; a dropped owner's requests
leave and the others are untouched."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import load, mixed_prompts

from inference_udf.engine import LLMEngine
from inference_udf.request import FinishReason
from inference_udf.sampling_params import SamplingParams
from inference_udf.shared_engine import SharedEngine
from inference_udf.tiny import write_tiny_checkpoint

NO_EOS = 10_000


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, tokenizer = load(write_tiny_checkpoint(tmp_path_factory.mktemp("llama"), "llama"))
    return model


def shared(model, fifo=False, weights=None, slots=6):
    engine = LLMEngine(model, max_num_seqs=slots, max_model_len=128, eos_token_ids=[NO_EOS])
    return SharedEngine(engine, weights, fifo=fifo)


def run(core, until=lambda: False):
    done = []
    while core.has_work and not until():
        done += core.step()
    return done


def test_weights_two_to_one_split_decode_tokens_two_to_one(tiny):
    core = shared(tiny, weights={"alice": 2, "bob": 1})
    for i in range(40):
        core.submit("a", i, [3 + i % 50, 7], SamplingParams(12), "alice")
        core.submit("b", i, [5 + i % 40, 9], SamplingParams(12), "bob")
    run(core, until=lambda: len(core.queue.backlogged_users()) < 2)
    tokens = core.contended_tokens
    assert tokens["alice"] + tokens["bob"] > 200
    assert tokens["alice"] / tokens["bob"] == pytest.approx(2.0, rel=0.10)


def small_job_steps(model, fifo: bool) -> int:
    core = shared(model, fifo=fifo)
    for i in range(36):
        core.submit("large", i, [3 + i, 4], SamplingParams(16), "big-user")
    for _ in range(3):
        core.step()
    for i in range(4):
        core.submit("small", i, [8 + i, 6], SamplingParams(8), "small-user")
    start, left = core.steps, 4
    while left:
        left -= sum(1 for pending, _ in core.step() if pending.owner == "small")
    return core.steps - start


def test_a_small_job_behind_a_large_one_finishes_three_times_sooner_than_fifo(tiny):
    fair, fifo = small_job_steps(tiny, fifo=False), small_job_steps(tiny, fifo=True)
    assert fifo >= 3 * fair, (fair, fifo)


def test_shared_outputs_equal_the_plain_engine_and_a_dropped_owner_leaves(tiny):
    prompts, limits = mixed_prompts(tiny.config.vocab_size, count=24, seed=3)
    plain = LLMEngine(tiny, max_num_seqs=6, max_model_len=160, eos_token_ids=[NO_EOS])
    expected = [r.output_ids for r in plain.generate(prompts, [SamplingParams(n) for n in limits])]
    core = SharedEngine(LLMEngine(tiny, max_num_seqs=6, max_model_len=160, eos_token_ids=[NO_EOS]))
    for i, (p, n) in enumerate(zip(prompts, limits)):
        core.submit("kept", i, p, SamplingParams(n), "alice")
        core.submit("killed", i, p, SamplingParams(48), "bob")
    done = []
    for _ in range(5):
        done += core.step()
    core.drop_owner("killed")
    done += run(core)
    assert {pending.owner for pending, _ in done} == {"kept"}
    outputs = {pending.request_id: r.output_ids for pending, r in done}
    assert [outputs[i] for i in range(len(prompts))] == expected
    assert not core.engine.has_unfinished and not core.has_work


def test_a_request_that_cannot_fit_comes_back_as_an_error(tiny):
    core = shared(tiny)
    core.submit("t", 0, list(range(3, 120)), SamplingParams(64), "alice")
    (pending, request), = core.step()
    assert request.finish_reason is FinishReason.ERROR and "max_new_tokens" in request.error
