"""Admission policies: Past-Future (LightLLM) against the conservative reserve rule.

The scheduler-level cases drive the real Scheduler and KV slot pool with scripted output lengths
(the model is not what is under test there); the last case runs the real tiny model."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import load, mixed_prompts, reference_generate, torch

from inference_udf.admission import ReserveMaxTokens, admission_policy
from inference_udf.engine import LLMEngine
from inference_udf.kv_pool import KVBlockPool
from inference_udf.past_future import PastFuture, peak_tokens
from inference_udf.request import FinishReason, Request
from inference_udf.sampling_params import SamplingParams
from inference_udf.scheduler import Scheduler
from inference_udf.tiny import write_tiny_checkpoint


def test_peak_is_reached_just_before_a_request_finishes():
    # (current length, remaining): after 1 step both have grown by 1 (32 tokens); then the
    # second is gone and the first grows to 15.
    assert peak_tokens([(10, 5), (20, 1)]) == 32
    assert peak_tokens([(10, 50), (20, 1)]) == 60
    assert peak_tokens([]) == 0


def test_estimates_come_from_finished_lengths_conditioned_on_progress():
    policy = PastFuture(quantile=1.0)
    request = Request("r", [1] * 10, SamplingParams(100))
    assert policy.expected_remaining(request) == 100          # no history: the worst case
    for length in (5, 20, 20, 30):
        done = Request("d", [1], SamplingParams(100))
        done.output_ids = [0] * length
        policy.observe_finished(done)
    assert policy.expected_remaining(request) == 30
    request.output_ids = [0] * 25                              # only the 30 ran this long
    assert policy.expected_remaining(request) == 5
    request.output_ids = [0] * 40                              # nothing ran this long
    assert policy.expected_remaining(request) == 60
    small = PastFuture(window=2)
    for length in (50, 5, 7):
        done = Request("d", [1], SamplingParams(100))
        done.output_ids = [0] * length
        small.observe_finished(done)
    assert small.expected_remaining(Request("r", [1], SamplingParams(100))) == 7  # 50 left the window


def run_scripted(policy, lengths, budget, prompt_len=10, max_new_tokens=100):
    """Serve requests whose outputs stop after ``lengths[i]`` tokens through the real scheduler;
    token t of a request is t, so a restarted request produces the same tokens again. Returns
    the requests, the most requests holding KV at once, the most KV tokens held at a decode
    step, and the number of steps."""
    pool = KVBlockPool(1, budget // 4 + 12, 1, 1, torch.float32, block_size=4)
    scheduler = Scheduler(pool, budget, prompt_len + max_new_tokens, max_num_seqs=8,
                          num_staging=4, policy=policy)
    requests = [Request(i, [1] * prompt_len, SamplingParams(max_new_tokens)) for i in range(len(lengths))]
    for request in requests:
        scheduler.add(request)

    def emit(request):
        request.output_ids.append(len(request.output_ids))
        if len(request.output_ids) >= lengths[request.request_id]:
            request.finish(FinishReason.STOP)

    most_requests = most_tokens = steps = 0
    while scheduler.has_work:
        steps += 1
        for request in scheduler.schedule():              # prefill: the first token
            emit(request)
        scheduler.retire()
        scheduler.prepare_decode()
        holding = scheduler.running + list(scheduler.staged)
        most_requests = max(most_requests, len(holding))
        most_tokens = max(most_tokens, sum(r.num_tokens for r in holding))
        for request in scheduler.running:                  # one decode step
            emit(request)
        scheduler.retire()
    return requests, most_requests, most_tokens, steps


def test_past_future_admits_more_than_reserve_within_the_budget():
    # Every output stops after 20 tokens although max_new_tokens is 100: reserving
    # 10 + 100 tokens each lets only 3 requests in at a time; the learned lengths let in more.
    lengths, budget = [20] * 60, 330
    reserve = run_scripted(ReserveMaxTokens(), lengths, budget)
    past_future = run_scripted(PastFuture(), lengths, budget)
    assert reserve[1] == 3
    assert past_future[1] > 2 * reserve[1]
    assert past_future[3] < reserve[3] / 2                   # it also finishes sooner
    for requests, _, most_tokens, _ in (reserve, past_future):
        assert most_tokens <= budget
        assert [len(r.output_ids) for r in requests] == lengths
        assert all(r.output_ids == list(range(20)) for r in requests)
    assert sum(r.preemptions for r in past_future[0]) == 0    # the estimates were right


def test_a_request_longer_than_the_past_is_preempted_and_the_budget_holds():
    # The first 30 requests teach the policy that outputs are 10 tokens; then some run to 90.
    lengths = [10] * 30 + [90, 10, 10, 90, 10, 10, 10, 90] * 3
    budget = 250
    requests, most_requests, most_tokens, _ = run_scripted(PastFuture(), lengths, budget)
    assert most_tokens <= budget
    assert sum(r.preemptions for r in requests) > 0
    assert [len(r.output_ids) for r in requests] == lengths
    assert all(r.output_ids == list(range(n)) for r, n in zip(requests, lengths))
    assert all(r.finish_reason is FinishReason.STOP for r in requests)


def test_admission_is_selectable_by_name():
    assert isinstance(admission_policy(None), ReserveMaxTokens)
    assert isinstance(admission_policy("reserve"), ReserveMaxTokens)
    assert isinstance(admission_policy("past_future"), PastFuture)
    with pytest.raises(ValueError, match="reserve, past_future"):
        admission_policy("greedy")
    with pytest.raises(ValueError, match="quantile"):
        PastFuture(quantile=0)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    folder = write_tiny_checkpoint(tmp_path_factory.mktemp("llama"), "llama")
    return load(folder)


def test_engine_with_past_future_is_exact_and_holds_the_budget(llama):
    model, tokenizer = llama
    prompts, _ = mixed_prompts(len(tokenizer), count=40)
    prompts = [p[:40] for p in prompts]
    # An EOS the model produces early in many requests, so outputs are shorter than the limit.
    first = [reference_generate(model, p, 48, 10_000) for p in prompts]
    counts = {}
    for out in first:
        for token in set(out[:12]):
            counts[token] = counts.get(token, 0) + 1
    eos = max(counts, key=counts.get)
    expected = [reference_generate(model, p, 48, eos) for p in prompts]
    budget = 300
    concurrency = {}
    for name in ("reserve", "past_future"):
        e = LLMEngine(model, tokenizer, max_num_seqs=8, max_model_len=96, kv_budget_tokens=budget,
                      admission=name, eos_token_ids=[eos])
        requests = [e.add_request(i, p, SamplingParams(48)) for i, p in enumerate(prompts)]
        held = []
        decode = e.runner.decode

        def checked_decode(running, e=e, decode=decode, held=held):
            # The KV tokens held once this step's keys are written.
            holding = e.scheduler.running + list(e.scheduler.staged)
            held.append((sum(r.num_tokens for r in holding), len(holding)))
            return decode(running)

        e.runner.decode = checked_decode
        while e.has_unfinished:
            e.step()
        assert [r.output_ids for r in requests] == expected, name
        assert max(tokens for tokens, _ in held) <= budget
        concurrency[name] = max(count for _, count in held)
    assert concurrency["past_future"] > concurrency["reserve"]
    # The same KV bytes as slots of max_model_len would hold 300 // 96 = 3 requests at once.
    assert concurrency["past_future"] >= 2 * (budget // 96)
