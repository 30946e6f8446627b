"""The engine against transformers itself: fused decoding of many requests at their own lengths
must give exactly the tokens of one-request-at-a-time greedy ``generate``, for a RoPE model
(Llama) and an absolute-position model (GPT-2)."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import load, mixed_prompts, reference_generate, torch

from inference_udf.admission import ReserveMaxTokens
from inference_udf.batch_kv import GROWTH, BatchKVView
from inference_udf.engine import LLMEngine
from inference_udf.request import FinishReason
from inference_udf.sampling_params import SamplingParams
from inference_udf.scoring import completion_logprobs
from inference_udf.tiny import write_tiny_checkpoint

NO_EOS = 10_000  # an id outside the vocabulary: generation never stops early


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def tiny(request, tmp_path_factory):
    folder = write_tiny_checkpoint(tmp_path_factory.mktemp(request.param), request.param)
    model, tokenizer = load(folder)
    prompts, limits = mixed_prompts(len(tokenizer))
    reference = [reference_generate(model, p, n, NO_EOS) for p, n in zip(prompts, limits)]
    return model, tokenizer, prompts, limits, reference


def engine(model, tokenizer=None, **options):
    options.setdefault("max_num_seqs", 8)
    options.setdefault("max_model_len", 160)
    options.setdefault("eos_token_ids", [NO_EOS])
    return LLMEngine(model, tokenizer, **options)


def check_pool(e: LLMEngine) -> None:
    """Every block is either free or held by exactly one request, which holds just enough
    blocks for its tokens: memory follows real lengths."""
    pool = e.runner.pool
    holding = e.scheduler.running + list(e.scheduler.staged)
    held = [b for r in holding for b in r.blocks]
    assert len(held) == len(set(held))
    assert sorted(held + pool.free_blocks) == list(range(pool.num_blocks))
    for r in holding:
        assert len(r.blocks) == pool.blocks_for(r.num_tokens - 1) or \
            len(r.blocks) == pool.blocks_for(r.num_tokens)


def test_fused_greedy_equals_one_at_a_time_generate(tiny):
    model, _, prompts, limits, reference = tiny
    e = engine(model)
    requests = [e.add_request(i, p, SamplingParams(n)) for i, (p, n) in enumerate(zip(prompts, limits))]
    batch_sizes = []
    while e.has_unfinished:
        e.step()
        check_pool(e)
        batch_sizes.append(len(e.scheduler.running))
    assert [r.output_ids for r in requests] == reference
    assert all(r.finish_reason is FinishReason.LENGTH for r in requests)
    assert max(batch_sizes) == 8  # the decode batch was full


@pytest.mark.parametrize("contiguous", [True, False], ids=["batch-copy", "pool-gather"])
def test_cpu_decode_copies_a_batch_once_then_writes_one_token_a_step(tiny, contiguous, monkeypatch):
    # The CPU keeps a batch's keys and values contiguous while it lasts: gathered from the pool
    # when the batch forms and again only when the longest request outgrows the copy (every
    # GROWTH tokens); each step writes only its new token. The pool gather (the GPU's path)
    # must give the same tokens.
    model, _, prompts, _, _ = tiny
    prompts, limit = prompts[:6], 2 * GROWTH + 20
    expected = [reference_generate(model, p, limit, NO_EOS) for p in prompts]
    gathers = []
    real_gather = BatchKVView._gather
    monkeypatch.setattr(BatchKVView, "_gather",
                        lambda view, *args: gathers.append(1) or real_gather(view, *args))
    e = engine(model, max_model_len=400)
    e.runner.contiguous_batch_kv = contiguous
    requests = e.generate(prompts, SamplingParams(limit))
    assert [r.output_ids for r in requests] == expected
    # One batch for all ``limit`` steps: keys and values of every layer gathered when it formed
    # and again each time it outgrew the copy (at least once, at most every GROWTH tokens),
    # never once a step.
    buffers = 2 * model.config.num_hidden_layers
    if contiguous:
        assert len(gathers) % buffers == 0
        assert 2 <= len(gathers) // buffers <= 1 + limit // GROWTH
    else:
        assert not gathers


def test_early_eos_stops_each_request_on_its_own(tiny):
    model, _, prompts, limits, reference = tiny
    # An EOS id that the references produce mid-way in several requests.
    counts = {}
    for out in reference:
        for token in out[1:-1]:
            counts[token] = counts.get(token, 0) + 1
    eos = max(counts, key=counts.get)
    expected = [reference_generate(model, p, n, eos) for p, n in zip(prompts, limits)]
    e = engine(model, eos_token_ids=[eos])
    requests = e.generate(prompts, [SamplingParams(n) for n in limits])
    assert [r.output_ids for r in requests] == expected
    stopped = [r for r in requests if r.finish_reason is FinishReason.STOP]
    assert stopped and all(r.output_ids[-1] == eos for r in stopped)
    assert any(len(r.output_ids) < r.params.max_new_tokens for r in stopped)


def test_requests_arriving_mid_run_join_the_next_decode_step(tiny):
    model, _, prompts, limits, reference = tiny
    e = engine(model, max_num_seqs=16)
    requests = {}
    for i in range(4):
        requests[i] = e.add_request(i, prompts[i], SamplingParams(48))
    e.step()
    e.step()
    late = e.add_request("late", prompts[4], SamplingParams(limits[4]))
    e.step()
    # The late request shares this step with the first four, each at its own length.
    assert late in e.scheduler.running or late.finished
    assert len({r.num_tokens for r in e.scheduler.running}) > 1
    while e.has_unfinished:
        e.step()
        check_pool(e)
    assert late.output_ids == reference[4]
    for i in range(4):
        assert requests[i].output_ids == reference_generate(model, prompts[i], 48, NO_EOS)


def test_admission_respects_the_kv_budget_and_policy_is_swappable(tiny):
    model, _, prompts, limits, reference = tiny
    budget = 200
    e = engine(model, max_num_seqs=16, kv_budget_tokens=budget)
    requests = [e.add_request(i, p, SamplingParams(n)) for i, (p, n) in enumerate(zip(prompts[:20], limits[:20]))]
    while e.has_unfinished:
        e.step()
        holding = e.scheduler.running + list(e.scheduler.staged)
        assert sum(r.max_total_tokens for r in holding) <= budget
    assert [r.output_ids for r in requests] == reference[:20]

    class OneAtATime(ReserveMaxTokens):
        def admits(self, request, running, budget_tokens):
            return not running

    e = engine(model, admission=OneAtATime())
    requests = [e.add_request(i, p, SamplingParams(n)) for i, (p, n) in enumerate(zip(prompts[:6], limits[:6]))]
    while e.has_unfinished:
        e.step()
        assert len(e.scheduler.running) + len(e.scheduler.staged) <= 1
    assert [r.output_ids for r in requests] == reference[:6]


def test_seeded_sampling_is_reproducible_whatever_the_batch(tiny):
    model, _, prompts, limits, reference = tiny
    params = SamplingParams(20, temperature=1.5, top_k=50, top_p=0.9, seed=7)
    alone = engine(model).generate([prompts[0]], params)[0].output_ids
    others = [SamplingParams(20, temperature=1.0, seed=s) for s in range(5)]
    crowded = engine(model).generate(prompts[:6], [params] + others)[0].output_ids
    assert alone == crowded
    reseeded = engine(model).generate([prompts[0]], SamplingParams(20, temperature=1.5, seed=8))
    assert reseeded[0].output_ids != alone
    top1 = SamplingParams(limits[1], temperature=1.0, top_k=1, seed=1)
    assert engine(model).generate([prompts[1]], top1)[0].output_ids == reference[1]


def test_stop_string_cuts_the_text(tiny):
    model, tokenizer, prompts, limits, reference = tiny
    row = max(range(len(reference)), key=lambda i: len(reference[i]))
    text = tokenizer.decode(reference[row], skip_special_tokens=True)
    stop = text[len(text) // 2: len(text) // 2 + 3]
    e = engine(model, tokenizer)
    request = e.generate([prompts[row]], SamplingParams(limits[row], stop=(stop,)))[0]
    assert request.finish_reason is FinishReason.STOP
    produced = tokenizer.decode(request.output_ids, skip_special_tokens=True)
    assert produced[:request.stop_text_end] == text[:text.find(stop)]
    assert len(request.output_ids) < len(reference[row])


def test_prompt_that_cannot_fit_is_refused_with_the_reason(tiny):
    model, *_ = tiny
    e = engine(model, max_model_len=32)
    with pytest.raises(ValueError, match="exceeds the context length of 32 tokens"):
        e.add_request(0, list(range(3, 30)), SamplingParams(10))
    with pytest.raises(ValueError, match="no tokens"):
        e.add_request(1, [], SamplingParams(10))
    assert not e.has_unfinished


@pytest.mark.parametrize("bad, message", [
    (dict(max_new_tokens=0), "max_new_tokens must be an integer >= 1"),
    (dict(temperature=-1.0), "temperature must be >= 0"),
    (dict(top_p=1.5), r"top_p must be in \[0.0, 1.0\]"),
    (dict(top_k=-2), "top_k must be an integer >= 0"),
    (dict(stop=("",)), "stop must be a list of non-empty strings"),
    (dict(temperature=float("nan")), "temperature must be a finite number"),
    (dict(temperature=float("inf")), "temperature must be a finite number"),
    (dict(temperature=1e-9), r"temperature must be 0 \(greedy\) or at least 1e-05"),
    (dict(seed=2**64), r"seed must be at most 2\^63 - 1: got 1.845e\+19"),
    (dict(top_k=2**63), r"top_k must be at most 2\^63 - 1"),
    (dict(logprobs=-1), r"logprobs must be None or an integer in \[0, 20\]"),
    (dict(logprobs=50_000), r"logprobs must be None or an integer in \[0, 20\].*got 50000"),
])
def test_sampling_params_say_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        SamplingParams(**bad)


def test_scoring_equals_a_direct_forward_pass(tiny):
    model, _, prompts, _, reference = tiny
    pairs = [(prompts[i], reference[i]) for i in range(12)]
    scores = completion_logprobs(model, pairs)
    for (prompt, completion), score in zip(pairs, scores):
        ids = torch.tensor([prompt + completion])
        with torch.inference_mode():
            logprobs = model(ids).logits[0].float().log_softmax(-1)
        expected = sum(logprobs[len(prompt) + j - 1, tok].item() for j, tok in enumerate(completion))
        assert score == pytest.approx(expected, abs=1e-3)
