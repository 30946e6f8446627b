"""Sampler: the next token of every row of a ``[B, vocab]`` logits tensor, on the device.

Greedy rows take the argmax. Sampling rows apply their temperature, top-k and top-p as batched
tensor operations, then draw with their request's own generator, so a seeded request gives the
same tokens whatever else shares its batch. Nothing here reads a value back to the host: the
result stays on the device until the engine copies the step's ids (and stop flags) in one go.

The draw is the one ``torch.multinomial(probs, 1, generator=g)`` makes for a single sample
(ATen's fast path: ``argmax(probs / q)`` with ``q ~ Exp(1)`` drawn from ``g``), written out so
that the ``q`` of each row comes from that row's generator and the argmax runs for the whole
batch at once. A seed therefore gives the tokens the per-row sampler gave.

Per-row settings (temperature, top-k, top-p, stop ids) become device tensors once per batch
composition, not once per step: a steady decode step only launches kernels.

Rows whose request asked for log-probabilities (``logprobs=k``) get the chosen token's
log-probability and the ``k`` most likely alternatives (``record_logprobs``), from the model's
own distribution (before temperature, top-k and top-p, as vLLM reports them by default).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch

from inference_udf.request import Request


class BatchSampler:
    """Samples the decode batch; caches the batch's settings on the device between steps."""

    def __init__(self, device: torch.device | str, stop_token_ids: Iterable[int] = ()):
        self.device = torch.device(device)
        self.stop_token_ids = tuple(stop_token_ids)
        self._key: tuple | None = None
        self._settings: _BatchSettings | None = None
        self.last_tokens: torch.Tensor | None = None    # the last step's ids, on the device

    def sample(self, logits: torch.Tensor, requests: Sequence[Request]) -> torch.Tensor:
        """Next token per row, ``[B]`` long, on the logits' device."""
        return self._settings_for(requests).sample(logits, requests)

    def step(self, logits: torch.Tensor, requests: Sequence[Request]) -> tuple[list[int], list[bool]]:
        """Next token and whether it is a stop token, per row: one device-to-host copy."""
        settings = self._settings_for(requests)
        tokens = settings.sample(logits, requests)
        self.last_tokens = tokens
        stopped = settings.stop_hits(tokens)
        both = torch.stack((tokens, stopped.long())).tolist()            # the step's one transfer
        record_logprobs(logits, requests, both[0])
        return both[0], [bool(flag) for flag in both[1]]

    def _settings_for(self, requests: Sequence[Request]) -> "_BatchSettings":
        # The requests themselves (compared by identity): holding them means no id is reused.
        key = tuple(requests)
        if key != self._key or self._settings is None:
            self._settings = _BatchSettings(requests, self.stop_token_ids, self.device)
            self._key = key
        return self._settings


class _BatchSettings:
    """One batch composition's settings as tensors (built from Python once, then reused)."""

    def __init__(self, requests: Sequence[Request], stop_token_ids: tuple[int, ...],
                 device: torch.device):
        self.sampled_rows = [i for i, r in enumerate(requests) if not r.params.greedy]
        params = [requests[i].params for i in self.sampled_rows]
        self.any_top_k = any(0 < p.top_k for p in params)
        self.any_top_p = any(p.top_p < 1.0 for p in params)
        host = dict(
            rows=torch.tensor(self.sampled_rows, dtype=torch.long),
            temperature=torch.tensor([[p.temperature] for p in params], dtype=torch.float32),
            # 0 (no cut) becomes "keep everything": the kth value is then -inf
            top_k=torch.tensor([[p.top_k - 1] for p in params], dtype=torch.long),
            top_p=torch.tensor([[p.top_p] for p in params], dtype=torch.float32),
        )
        # Every request's stop ids in one table, padded with -1 (never a token id).
        stops = [sorted(set(stop_token_ids) | set(r.params.stop_token_ids)) for r in requests]
        width = max(1, max(map(len, stops), default=1))
        host["stops"] = torch.tensor([s + [-1] * (width - len(s)) for s in stops], dtype=torch.long)
        # Built once per batch change; pinned + non_blocking keeps even that copy asynchronous.
        pin = device.type == "cuda"
        self.t = {name: (value.pin_memory() if pin else value).to(device, non_blocking=pin)
                  for name, value in host.items()}

    def sample(self, logits: torch.Tensor, requests: Sequence[Request]) -> torch.Tensor:
        # logits: [B, vocab]
        tokens = logits.argmax(dim=-1)
        if not self.sampled_rows:
            return tokens
        rows = self.t["rows"]
        drawn = self._draw(logits.index_select(0, rows).float(), requests)
        return tokens.index_copy(0, rows, drawn)

    def stop_hits(self, tokens: torch.Tensor) -> torch.Tensor:
        # tokens: [B] -> [B] bool, True where the token is one of the row's stop ids
        return (tokens[:, None] == self.t["stops"]).any(dim=-1)

    def _draw(self, logits: torch.Tensor, requests: Sequence[Request]) -> torch.Tensor:
        # logits: [S, vocab] float32, one row per sampling request
        logits = logits / self.t["temperature"]
        vocab = logits.shape[-1]
        if self.any_top_k or self.any_top_p:
            sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        if self.any_top_k:
            k = self.t["top_k"]
            kth = sorted_logits.gather(-1, k.clamp(0, vocab - 1))
            # top_k = 0 (k = -1) or top_k >= vocab: no cut
            kth = kth.masked_fill((k < 0) | (k >= vocab - 1), float("-inf"))
            logits = logits.masked_fill(logits < kth, float("-inf"))
            sorted_logits = sorted_logits.masked_fill(sorted_logits < kth, float("-inf"))
        if self.any_top_p:
            probs = sorted_logits.softmax(dim=-1)
            # Keep the smallest prefix whose mass reaches top_p (always at least the top token).
            outside = (probs.cumsum(dim=-1) - probs >= self.t["top_p"]) & (self.t["top_p"] < 1.0)
            logits = logits.scatter(-1, order, sorted_logits.masked_fill(outside, float("-inf")))
        probs = logits.softmax(dim=-1)
        q = torch.empty_like(probs)
        for row, index in enumerate(self.sampled_rows):
            request = requests[index]
            if request.generator is None:
                request.generator = _generator(request.params.seed, probs.device)
            q[row].exponential_(1, generator=request.generator)
        return (probs / q).argmax(dim=-1)


def sample(logits: torch.Tensor, requests: Sequence[Request]) -> list[int]:
    """Next token per row as a list (one transfer); for callers without a BatchSampler.
    Rows that asked for log-probabilities get them recorded."""
    tokens = _BatchSettings(requests, (), logits.device).sample(logits, requests).tolist()
    record_logprobs(logits, requests, tokens)
    return tokens


def record_logprobs(logits: torch.Tensor, requests: Sequence[Request], tokens: list[int]) -> None:
    """Append each asking row's chosen-token log-probability (and its top ``k``) to its request."""
    rows = [i for i, r in enumerate(requests) if r.params.logprobs is not None]
    if not rows:
        return
    logprobs = logits[rows].float().log_softmax(dim=-1)                 # [R, vocab]
    chosen = torch.tensor([tokens[row] for row in rows], device=logits.device)
    picked = logprobs.gather(1, chosen[:, None])[:, 0].tolist()
    widest = max(requests[row].params.logprobs for row in rows)
    top = logprobs.topk(widest, dim=-1) if widest else None
    for i, row in enumerate(rows):
        request = requests[row]
        request.token_logprobs.append(picked[i])
        k = request.params.logprobs
        if k:
            request.top_logprobs.append(list(zip(top.indices[i, :k].tolist(),
                                                 top.values[i, :k].tolist())))


def _generator(seed: int | None, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator
