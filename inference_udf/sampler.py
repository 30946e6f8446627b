"""Sampler: next token per row from a ``[B, vocab]`` logits tensor.

Greedy rows take the argmax. Sampling rows apply temperature, top-k and top-p, then draw with
their request's own generator, so a seeded request gives the same tokens whatever else shares
its batch.
"""

from __future__ import annotations

from typing import Sequence

import torch

from inference_udf.request import Request


def sample(logits: torch.Tensor, requests: Sequence[Request]) -> list[int]:
    # logits: [B, vocab]
    tokens = logits.argmax(dim=-1)
    sampling_rows = [i for i, r in enumerate(requests) if not r.params.greedy]
    if not sampling_rows:
        return tokens.tolist()
    tokens = tokens.tolist()
    for row in sampling_rows:
        request = requests[row]
        tokens[row] = _draw(logits[row].float(), request)
    return tokens


def _draw(logits: torch.Tensor, request: Request) -> int:
    # logits: [vocab], float32
    params = request.params
    logits = logits / params.temperature
    if 0 < params.top_k < logits.shape[0]:
        kth = torch.topk(logits, params.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if params.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        # Keep the smallest prefix whose mass reaches top_p (always at least the top token).
        outside = probs.cumsum(dim=-1) - probs >= params.top_p
        logits = logits.scatter(0, order[outside], float("-inf"))
    probs = logits.softmax(dim=-1)
    if request.generator is None:
        request.generator = _generator(params.seed, probs.device)
    return int(torch.multinomial(probs, 1, generator=request.generator))


def _generator(seed: int | None, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator
