"""Side-by-side LLM batching benchmark: the same requests and model through four methods.

- ``sequential``: one request at a time, ``model.generate`` (the reference outputs).
- ``static``: fixed chunks of ``max_in_flight`` with left padding, one ``generate`` per chunk
  run to the chunk's longest limit (what ``predict_batch_udf`` does).
- ``hf_continuous``: transformers' own continuous batching (``init_continuous_batching``,
  per-request ``max_new_tokens``), at most ``max_in_flight`` requests per batch.
- ``ours``: ``LLMEngine`` (temporal fusion over a KV block pool), ``max_in_flight`` at once;
  offline, the requests enter in the order the UDF gives one batch's rows (longest limit first).

Offline: all requests at once, tokens/s. Online: Poisson arrivals, latency = finish - arrival.
Every method's outputs are compared token for token with ``sequential``.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import torch

METHODS = ("sequential", "static", "hf_continuous", "ours")


@dataclass
class Workload:
    prompts: list[list[int]]
    limits: list[int]
    arrivals: list[float]      # seconds after the start, for the online run
    eos_token_id: int
    pad_token_id: int


def make_workload(vocab_size: int, requests: int, prompt_range=(4, 96), limit_range=(8, 128),
                  mean_gap_s: float = 0.015, eos_token_id: int = 2, pad_token_id: int = 0,
                  seed: int = 0) -> Workload:
    rng = random.Random(seed)
    first_normal = max(eos_token_id, pad_token_id) + 1
    prompts = [[rng.randrange(first_normal, vocab_size) for _ in range(rng.randint(*prompt_range))]
               for _ in range(requests)]
    limits = [rng.randint(*limit_range) for _ in range(requests)]
    arrivals, now = [], 0.0
    for _ in range(requests):
        now += rng.expovariate(1.0 / mean_gap_s)
        arrivals.append(now)
    return Workload(prompts, limits, arrivals, eos_token_id, pad_token_id)


TOPICS = ("the moon", "bread", "a river", "Spark", "the ocean", "chess", "tea", "a library",
          "winter", "bees", "a bridge", "music", "rain", "a map", "trains", "salt")
ASKS = ("What is {}? Answer in one sentence.", "Give three facts about {}.",
        "Write a short poem about {}.", "Explain {} to a child, step by step, in detail.")
# Mostly short answers under a generous limit (the case Past-Future admission is for): one ask
# in 32 is open-ended and may run to the limit.
SHORT_ASKS = ("What is {}? Answer in one sentence.", "Is {} alive? Answer yes or no.",
              "Name one colour of {}.", "Describe {} in five words.") * 8
SHORT_ASKS = SHORT_ASKS[:-1] + ("Tell a long story about {}.",)


def make_chat_workload(tokenizer, requests: int, limit_range=(16, 256), mean_gap_s: float = 0.015,
                       seed: int = 0, asks=ASKS) -> Workload:
    """Chat prompts through the tokenizer's own template; output limits mixed, so that some
    answers end at end-of-turn and some at their limit."""
    rng = random.Random(seed)
    texts = [ask.format(topic) for topic in TOPICS for ask in asks]
    rng.shuffle(texts)
    prompts = []
    for i in range(requests):
        ids = tokenizer.apply_chat_template([{"role": "user", "content": texts[i % len(texts)]}],
                                            add_generation_prompt=True, tokenize=True)
        prompts.append(list(ids["input_ids"] if hasattr(ids, "keys") else ids))
    limits = [rng.randint(*limit_range) for _ in range(requests)]
    arrivals, now = [], 0.0
    for _ in range(requests):
        now += rng.expovariate(1.0 / mean_gap_s)
        arrivals.append(now)
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>") if "<|im_end|>" in tokenizer.get_vocab() \
        else tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    return Workload(prompts, limits, arrivals, eos, pad)


def padding_free_bound(outputs: list[list[int]], chunk: int) -> float:
    """Static batching's row-steps over the useful ones: each chunk of ``chunk`` requests runs
    as many steps as its longest output, so this is the most a padding-free method can gain over
    static batching at equal cost per row-step."""
    row_steps = useful = 0
    for start in range(0, len(outputs), chunk):
        lengths = [len(o) for o in outputs[start:start + chunk]]
        row_steps += len(lengths) * max(lengths)
        useful += sum(lengths)
    return row_steps / useful


# --- the four methods: each serves requests given as (index, arrival) and reports finish times

def run_sequential(model, work: Workload, order, clock):
    outputs, finish = {}, {}
    for index in order:
        clock.wait_until(work.arrivals[index] if clock.online else 0.0)
        outputs[index] = _generate(model, [work.prompts[index]], work.limits[index], work)[0]
        finish[index] = clock.now()
    return outputs, finish


def run_static(model, work: Workload, order, clock, chunk: int):
    outputs, finish, queue = {}, {}, list(order)
    while queue:
        if clock.online:
            clock.wait_until(work.arrivals[queue[0]])
            ready = [i for i in queue if work.arrivals[i] <= clock.now()][:chunk]
        else:
            ready = queue[:chunk]
        queue = [i for i in queue if i not in ready]
        limit = max(work.limits[i] for i in ready)
        rows = _generate(model, [work.prompts[i] for i in ready], limit, work)
        done = clock.now()
        for index, row in zip(ready, rows):
            outputs[index] = _cut(row, work.limits[index], work.eos_token_id)
            finish[index] = done
    return outputs, finish


def run_hf_continuous(model, work: Workload, order, clock, max_in_flight: int):
    from transformers import ContinuousBatchingConfig, GenerationConfig

    generation = GenerationConfig(do_sample=False, max_new_tokens=max(work.limits),
                                  eos_token_id=work.eos_token_id, pad_token_id=work.pad_token_id)
    # On CPU it cannot size its paged cache from free GPU memory: give the sizes.
    longest = max(len(p) for p in work.prompts) + max(work.limits)
    cb = ContinuousBatchingConfig(num_blocks=max_in_flight * (-(-longest // 64)) + 4, page_size=64,
                                  max_requests_per_batch=max_in_flight, max_batch_tokens=2048)
    manager = model.init_continuous_batching(generation_config=generation,
                                             continuous_batching_config=cb)
    manager.start()

    def feed():
        for index in order:
            clock.wait_until(work.arrivals[index] if clock.online else 0.0)
            manager.add_request(work.prompts[index], request_id=str(index),
                                max_new_tokens=work.limits[index], eos_token_id=work.eos_token_id)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    outputs, finish = {}, {}
    try:
        while len(outputs) < len(order):
            result = manager.get_result(timeout=30)
            if result is None:
                raise RuntimeError("transformers continuous batching returned no result in 30 s")
            if result.is_finished():
                finish[int(result.request_id)] = clock.now()
                outputs[int(result.request_id)] = list(result.generated_tokens)
    finally:
        feeder.join()
        manager.stop(block=True)
        model.destroy_cached_continuous_batching_manager()
    return outputs, finish


def run_ours(model, work: Workload, order, clock, max_in_flight: int):
    from inference_udf.batch_order import longest_first
    from inference_udf.engine import LLMEngine
    from inference_udf.sampling_params import SamplingParams

    max_len = max(len(p) for p in work.prompts) + max(work.limits)
    engine = LLMEngine(model, max_num_seqs=max_in_flight, max_model_len=max_len,
                       eos_token_ids=[work.eos_token_id])
    if not clock.online:
        # All requests are one batch, as a task's rows are: the UDF's order (longest limit first).
        order = [order[i] for i in longest_first([work.limits[i] for i in order])]
    pending, outputs, finish = list(order), {}, {}
    while pending or engine.has_unfinished:
        now = clock.now()
        while pending and (not clock.online or work.arrivals[pending[0]] <= now):
            index = pending.pop(0)
            engine.add_request(index, work.prompts[index], SamplingParams(work.limits[index]))
        if not engine.has_unfinished:
            clock.wait_until(work.arrivals[pending[0]])
            continue
        finished = engine.step()
        done = clock.now()
        for request in finished:
            outputs[request.request_id] = request.output_ids
            finish[request.request_id] = done
    return outputs, finish


# --- helpers

class Clock:
    def __init__(self, online: bool):
        self.online = online
        self.start = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.start

    def wait_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            time.sleep(delay)


@torch.inference_mode()
def _generate(model, prompts, max_new_tokens, work: Workload) -> list[list[int]]:
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), work.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):      # left padding, as generate expects
        input_ids[row, width - len(prompt):] = torch.tensor(prompt)
        mask[row, width - len(prompt):] = 1
    out = model.generate(input_ids=input_ids.to(model.device), attention_mask=mask.to(model.device),
                         do_sample=False,
                         max_new_tokens=max_new_tokens, eos_token_id=work.eos_token_id,
                         pad_token_id=work.pad_token_id)
    return [_cut(row, max_new_tokens, work.eos_token_id) for row in out[:, width:].tolist()]


def _cut(tokens: list[int], limit: int, eos: int) -> list[int]:
    tokens = tokens[:limit]
    return tokens[:tokens.index(eos) + 1] if eos in tokens else tokens


def run_method(name: str, model, work: Workload, online: bool, max_in_flight: int):
    order = list(range(len(work.prompts)))
    clock = Clock(online)
    cpu_start = time.process_time()
    if name == "sequential":
        outputs, finish = run_sequential(model, work, order, clock)
    elif name == "static":
        outputs, finish = run_static(model, work, order, clock, max_in_flight)
    elif name == "hf_continuous":
        outputs, finish = run_hf_continuous(model, work, order, clock, max_in_flight)
    elif name == "ours":
        outputs, finish = run_ours(model, work, order, clock, max_in_flight)
    else:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    wall = clock.now()
    # Process CPU time (all threads) is what the run cost on a shared machine, whatever else
    # competes for the cores; on an idle machine it equals wall time for one-thread methods.
    cpu = time.process_time() - cpu_start
    tokens = sum(len(o) for o in outputs.values())
    latencies = sorted(finish[i] - (work.arrivals[i] if online else 0.0) for i in order)
    return {"outputs": outputs, "wall_s": wall, "tokens": tokens, "tokens_per_s": tokens / wall,
            "cpu_s": cpu, "tokens_per_cpu_s": tokens / cpu,
            "latency_mean_s": sum(latencies) / len(latencies),
            "latency_p90_s": latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))]}
