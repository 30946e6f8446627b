"""The decode step's host side: batched sampling on the device gives the per-row sampler's
tokens for the same seeds, stop ids are checked on the device, the whole step reads one tensor
back and builds no tensor from host values while the batch stays the same, and stop strings are
found from the new tail of the text alone."""

from __future__ import annotations

import random

import pytest

from tests.host_sync import count_host_syncs, count_host_tensors, cuda_syncs_are_errors
from tests.llm_fixtures import torch

from inference_udf.request import FinishReason, Request
from inference_udf.sampler import BatchSampler
from inference_udf.sampling_params import SamplingParams as P
from inference_udf.stopping import TailDecoder, append_token, find_stop
from inference_udf.tiny import train_tokenizer

VOCAB = 512
MIXED = [P(temperature=0.8, seed=1), P(), P(temperature=1.3, top_k=5, seed=2),
         P(temperature=0.7, top_p=0.9, seed=3), P(temperature=1.0, top_k=50, top_p=0.8, seed=4),
         P(temperature=2.0, seed=5), P(temperature=0.5, top_k=VOCAB, seed=6), P(top_k=3)]


def per_row_reference(logits, requests):
    """The sampler as it was: a Python loop, a sort and a multinomial per sampling row."""
    tokens = logits.argmax(dim=-1).tolist()
    for row, request in enumerate(requests):
        params = request.params
        if params.greedy:
            continue
        row_logits = logits[row].float() / params.temperature
        if 0 < params.top_k < row_logits.shape[0]:
            kth = torch.topk(row_logits, params.top_k).values[-1]
            row_logits = row_logits.masked_fill(row_logits < kth, float("-inf"))
        if params.top_p < 1.0:
            sorted_logits, order = torch.sort(row_logits, descending=True)
            probs = sorted_logits.softmax(dim=-1)
            outside = probs.cumsum(dim=-1) - probs >= params.top_p
            row_logits = row_logits.scatter(0, order[outside], float("-inf"))
        if request.generator is None:
            request.generator = torch.Generator().manual_seed(params.seed)
        tokens[row] = int(torch.multinomial(row_logits.softmax(dim=-1), 1,
                                            generator=request.generator))
    return tokens


def requests_for(params):
    return [Request(i, [1], p) for i, p in enumerate(params)]


def logits_stream(steps, rows, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(rows, VOCAB, generator=generator) * 3 for _ in range(steps)]


def test_batched_sampling_gives_the_per_row_samplers_tokens_for_each_seed():
    old, new = requests_for(MIXED), requests_for(MIXED)
    sampler = BatchSampler("cpu")
    expected, got = [], []
    for logits in logits_stream(200, len(MIXED)):
        expected.append(per_row_reference(logits, old))
        got.append(sampler.sample(logits, new).tolist())
    assert got == expected
    # Not vacuous: the sampling rows do not just repeat the argmax.
    argmax = [step[1] for step in expected]
    assert any(step[0] != step[1] for step in expected) and len(set(argmax)) > 1


def test_a_seeded_row_gets_its_tokens_whatever_shares_its_batch():
    alone, crowd = requests_for([P(temperature=1.0, seed=7)]), requests_for(MIXED)
    crowd[3] = Request(3, [1], P(temperature=1.0, seed=7))
    sampler_alone, sampler_crowd = BatchSampler("cpu"), BatchSampler("cpu")
    for logits in logits_stream(50, len(MIXED), seed=1):
        assert sampler_alone.sample(logits[3:4], alone).item() == \
            sampler_crowd.sample(logits, crowd)[3].item()


def test_stop_ids_are_checked_on_the_device_per_request():
    requests = requests_for([P(), P(stop_token_ids=(5,)), P(stop_token_ids=(9, 4))])
    sampler = BatchSampler("cpu", stop_token_ids=[2])
    logits = torch.full((3, VOCAB), -10.0)
    for row, token in enumerate((5, 5, 4)):
        logits[row, token] = 10.0
    assert sampler.step(logits, requests) == ([5, 5, 4], [False, True, True])
    logits[0, 2] = 20.0
    assert sampler.step(logits, requests)[1] == [True, True, True]


def test_a_steady_sampling_step_reads_one_tensor_back():
    requests = requests_for(MIXED)
    sampler = BatchSampler("cpu", stop_token_ids=[2])
    stream = logits_stream(4, len(MIXED))
    sampler.step(stream[0], requests)               # first step: settings go to the device
    with count_host_syncs() as syncs:
        for logits in stream[1:]:
            sampler.step(logits, requests)
    assert syncs.calls == ["tolist"] * 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_steady_sampling_step_on_cuda_synchronises_once():
    requests = requests_for(MIXED)
    sampler = BatchSampler("cuda", stop_token_ids=[2])
    stream = [logits.cuda() for logits in logits_stream(3, len(MIXED))]
    sampler.step(stream[0], requests)
    with cuda_syncs_are_errors():
        tokens = [sampler.sample(logits, requests) for logits in stream[1:]]
    assert len(torch.stack(tokens).tolist()) == 2


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer()


def decode_with(tokenizer):
    return lambda ids: tokenizer.decode(ids, skip_special_tokens=True)


def test_stop_strings_from_the_tail_match_a_full_decode(tokenizer):
    detokenize = decode_with(tokenizer)
    rng = random.Random(0)
    checked = 0
    for case in range(60):
        ids = [rng.randrange(3, len(tokenizer)) for _ in range(60)]
        text = detokenize(ids)
        start = rng.randrange(5, len(text) - 4)
        stops = (text[start:start + rng.randint(1, 4)], "never-in-text")
        if "\ufffd" in stops[0]:
            continue     # a stop string is real text, not half a character (random bytes give those)
        tails, request = TailDecoder(), Request(case, [1], P(max_new_tokens=100, stop=stops))
        cuts_tail, cuts_full = [], []
        for n in range(1, len(ids) + 1):
            request.output_ids = ids[:n]
            cuts_tail.append(tails.find_new_stop(request, detokenize))
            cuts_full.append(find_stop(detokenize(ids[:n]), stops))
        # The first step a full decode sees a stop is the step the tail sees it, at the same index.
        first = next(i for i, cut in enumerate(cuts_full) if cut is not None)
        assert cuts_tail[:first] == [None] * first
        assert cuts_tail[first] == cuts_full[first]
        checked += 1
    assert checked >= 40


def test_the_tail_decoder_reads_a_bounded_window_per_token(tokenizer):
    decoded_lengths = []

    def detokenize(ids):
        decoded_lengths.append(len(ids))
        return tokenizer.decode(ids, skip_special_tokens=True)

    rng = random.Random(1)
    request = Request(0, [1], P(max_new_tokens=2000, stop=("\x00never",)))
    tails = TailDecoder()
    for _ in range(1500):
        append_token(request, rng.randrange(3, len(tokenizer)), frozenset(), detokenize,
                     tails=tails)
    assert len(request.output_ids) == 1500 and not request.finished
    assert max(decoded_lengths) <= 8      # not the whole output: no quadratic re-decode


def test_append_token_cuts_at_a_stop_string_with_the_tail_decoder(tokenizer):
    detokenize = decode_with(tokenizer)
    ids = tokenizer.encode("spark task stage job user fair queue")
    request = Request(0, [1], P(max_new_tokens=100, stop=("job",)))
    tails = TailDecoder()
    for token in ids:
        append_token(request, token, frozenset(), detokenize, tails=tails)
        if request.finished:
            break
    assert request.finish_reason is FinishReason.STOP
    assert detokenize(request.output_ids)[:request.stop_text_end] == "spark task stage "


def test_a_steady_engine_decode_step_reads_one_tensor_back(tmp_path):
    from inference_udf.engine import LLMEngine
    from inference_udf.tiny import write_tiny_checkpoint
    from tests.llm_fixtures import load

    model, _ = load(write_tiny_checkpoint(tmp_path, "llama"))
    engine = LLMEngine(model, max_num_seqs=4, max_model_len=128, eos_token_ids=[10_000])
    for i in range(4):
        engine.add_request(i, [5 + i, 9, 12], P(40, temperature=0.8 * (i % 2), seed=i, top_p=0.9))
    for _ in range(3):                     # prefill, then the decode batch settles
        engine.step()
    with count_host_syncs() as syncs, count_host_tensors() as built:
        for _ in range(5):                 # positions 6..10: no request takes a new KV block
            engine.step()
    assert syncs.calls == ["tolist"] * 5
    # Tokens, positions, masks and block tables stay on the device between steady steps.
    assert built.calls == []
    with count_host_tensors() as built:
        for _ in range(6):                 # position 16 starts every request's second block
            engine.step()
    assert built.calls == ["tensor"]       # the new blocks, in one small copy
