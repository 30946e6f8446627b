"""ModelRunner: the two forward passes of the engine, over a KV slot pool.

- ``prefill(requests)``: the prompts of newly admitted requests, right-padded into one batch,
  keys and values written into their slots; returns next-token logits ``[B, vocab]``.
- ``decode(running)``: ONE fused step over every running request, each at its own length:
  per-row position ids (absolute-position models such as GPT-2 need them as much as RoPE models)
  and a per-row additive mask over the slot window; returns ``[B, vocab]``.

Masks are 4-D additive float tensors (0 or the dtype's minimum), which transformers passes to
eager and SDPA attention unchanged.
"""

from __future__ import annotations

from typing import Sequence

import torch

from inference_udf.kv_pool import KVSlotPool
from inference_udf.request import Request


class ModelRunner:
    def __init__(self, model, num_decode_slots: int, num_staging_slots: int, slot_len: int):
        config = model.config.get_text_config()
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        self.model = model
        self.decoder = model.base_model           # the stack without the output head
        self.head = model.get_output_embeddings()
        self.device = model.device
        self.dtype = model.dtype
        self.pool = KVSlotPool(config.num_hidden_layers, num_decode_slots, num_staging_slots,
                               slot_len, kv_heads, head_dim, self.dtype, self.device)
        self.masked = torch.tensor(torch.finfo(self.dtype).min, dtype=self.dtype, device=self.device)
        self.zero = torch.zeros((), dtype=self.dtype, device=self.device)
        self.positions = torch.arange(slot_len, device=self.device)

    @torch.inference_mode()
    def prefill(self, requests: Sequence[Request]) -> torch.Tensor:
        lengths = torch.tensor([r.prompt_len for r in requests], device=self.device)
        width = int(lengths.max())
        input_ids = torch.zeros((len(requests), width), dtype=torch.long)
        for row, request in enumerate(requests):
            input_ids[row, :request.prompt_len] = torch.tensor(request.prompt_ids)
        input_ids = input_ids.to(self.device)
        # Prompts are right-padded, so a plain causal mask already keeps every real token from
        # seeing padding (padding only ever comes after it); one [1, 1, S, S] mask serves all
        # rows. Padding rows compute garbage that is never read: their keys land past the
        # prompt in the slot, and decode writes each position before it attends to it.
        key_pos = self.positions[:width]
        mask = self._additive(key_pos[None, :] <= key_pos[:, None])[None, None]
        position_ids = key_pos.expand(len(requests), width)   # [B, S]
        view = self.pool.prefill_view([r.slot for r in requests])
        hidden = self._hidden(input_ids, mask, position_ids, view)  # [B, S, H]
        last = hidden[torch.arange(len(requests), device=self.device), lengths - 1]
        return self.head(last)

    @torch.inference_mode()
    def decode(self, running: Sequence[Request]) -> torch.Tensor:
        # One small tensor from Python per step: each request's last sampled token and the
        # position it goes in at (num_tokens - 1). Attention reads exactly the longest active
        # length, not the slot length.
        state = torch.tensor([(r.output_ids[-1], r.num_tokens - 1) for r in running],
                             device=self.device)
        input_ids, positions = state[:, :1], state[:, 1]
        width = max(r.num_tokens for r in running)
        mask = torch.where(self.positions[:width] <= positions[:, None], self.zero, self.masked)
        view = self.pool.decode_view(positions, width)
        hidden = self._hidden(input_ids, mask[:, None, None, :], positions[:, None], view)
        return self.head(hidden[:, 0])

    def _hidden(self, input_ids, mask, position_ids, view) -> torch.Tensor:
        out = self.decoder(input_ids=input_ids, attention_mask=mask, position_ids=position_ids,
                           cache=view, use_cache=True)
        return out.last_hidden_state

    def _additive(self, allowed: torch.Tensor) -> torch.Tensor:
        return torch.where(allowed, self.zero, self.masked)
