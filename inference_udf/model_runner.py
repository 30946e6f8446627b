"""ModelRunner: the two forward passes of the engine, over the shared KV block pool.

- ``prefill(requests)``: the prompts of newly admitted requests, right-padded into one batch,
  keys and values written into their blocks; returns next-token logits ``[B, vocab]``.
- ``decode(running)``: ONE fused step over every running request, each at its own length:
  per-row position ids (absolute-position models such as GPT-2 need them as much as RoPE models)
  and a per-row additive mask over its own tokens, read back from its blocks up to the longest
  request's length (on the CPU from the batch's contiguous copy, ``batch_kv``); returns
  ``[B, vocab]``. Tokens, positions and block tables stay on the
  device between steps (``DecodeState``); ``advance(tokens)`` hands the step's sampled ids on.

Both go through the model's own ``forward`` (``logits_to_keep`` picks the rows' last
positions), so whatever its head does to the logits (Gemma2's final softcapping, Granite's
``logits_scaling``, Cohere's ``logit_scale``) is done here too. Masks are 4-D additive float
tensors (0 or the dtype's minimum), which transformers passes to attention unchanged; a model
with both full and sliding-window layers gets one mask per layer type.
"""

from __future__ import annotations

from typing import Sequence

import torch

from inference_udf.batch_kv import BatchKV
from inference_udf.decode_state import DecodeState
from inference_udf.families import FULL, SLIDING, attention_layout, check_supported
from inference_udf.kv_pool import DecodeView, KVBlockPool, PrefillView
from inference_udf.request import Request


class ModelRunner:
    def __init__(self, model, num_blocks: int, max_model_len: int, block_size: int,
                 max_batch: int = 0, cuda_graphs: bool = False):
        check_supported(model.config)
        config = model.config.get_text_config()
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        self.model = model
        self.layout = attention_layout(model.config)
        self.device = model.device
        self.dtype = model.dtype
        self.pool = KVBlockPool(config.num_hidden_layers, num_blocks, kv_heads, head_dim,
                                self.dtype, self.device, block_size)
        self.masked = torch.tensor(torch.finfo(self.dtype).min, dtype=self.dtype, device=self.device)
        self.zero = torch.zeros((), dtype=self.dtype, device=self.device)
        self.max_blocks = self.pool.blocks_for(max_model_len)
        self.positions = torch.arange(self.max_blocks * block_size, device=self.device)
        self._state: DecodeState | None = None
        # On the CPU the batch's keys and values stay contiguous while it lasts: one gather per
        # batch instead of one per step (see batch_kv).
        self.contiguous_batch_kv = self.device.type == "cpu"
        self._batch_kv: BatchKV | None = None
        # CUDA graphs of the decode step, on a GPU when asked for; the CPU always runs eager.
        self.graphs = None
        if cuda_graphs and self.device.type == "cuda":
            from inference_udf.cuda_graphs import DecodeGraphs

            self.graphs = DecodeGraphs(self, max_batch)

    def reset(self) -> None:
        """Forget the decode state (the engine dropped its requests)."""
        self._state = None

    @torch.inference_mode()
    def advance(self, tokens: torch.Tensor) -> None:
        """The last decode step's sampled ids (``[B]``, on the device), in its row order."""
        if self._state is not None:
            self._state.advance(tokens)

    @torch.inference_mode()
    def prefill(self, requests: Sequence[Request]) -> torch.Tensor:
        self._state = None        # new requests join: the next decode batch is a new one
        lengths = torch.tensor([r.prompt_len for r in requests], device=self.device)
        width = int(lengths.max())
        input_ids = torch.zeros((len(requests), width), dtype=torch.long)
        for row, request in enumerate(requests):
            input_ids[row, :request.prompt_len] = torch.tensor(request.prompt_ids)
        input_ids = input_ids.to(self.device)
        # Prompts are right-padded, so a plain causal mask already keeps every real token from
        # seeing padding (padding only ever comes after it); one [1, 1, S, S] mask serves all
        # rows. Only the real tokens' keys are written to the pool.
        key_pos = self.positions[:width]
        masks = self._masks(key_pos[:, None], key_pos[None, :])        # [S, S] per layer type
        masks = {kind: mask[None, None] for kind, mask in masks.items()}
        position_ids = key_pos.expand(len(requests), width)             # [B, S]
        pool = self.pool
        rows = pool.token_rows(pool.block_table([r.blocks for r in requests], width), width)
        sources = (key_pos[None, :] < lengths[:, None]).view(-1).nonzero()[:, 0]
        view = PrefillView(pool, sources, rows.reshape(-1)[sources])
        last = (lengths - 1)[:, None]                                    # [B, 1]
        return self._logits(input_ids, masks, position_ids, view, last)

    @torch.inference_mode()
    def decode(self, running: Sequence[Request]) -> torch.Tensor:
        # Each request's last token goes in at position num_tokens - 1. A steady step finds
        # tokens, positions and block tables on the device already; a new batch copies them
        # over once. Attention reads each request's own tokens up to the longest active length,
        # never a worst-case reservation.
        state = self._state
        if state is None or not state.matches(running):
            state = self._state = DecodeState(running, self.pool, self.max_blocks)
            self._batch_kv = None
        else:
            state.sync_blocks()
        width = max(state.host_positions) + 1
        if self.graphs is not None:
            logits = self.graphs.run(state, width)
            if logits is not None:
                return logits
        if self.contiguous_batch_kv:
            if self._batch_kv is None:
                self._batch_kv = BatchKV(self.pool, len(running))
            view = self._batch_kv.view(state.block_table, state.positions, width)
            return self._decode(state.tokens, state.positions, view, width)
        return self.decode_logits(state.tokens, state.positions, state.block_table, width)

    def decode_logits(self, tokens: torch.Tensor, positions: torch.Tensor,
                      block_table: torch.Tensor, width: int) -> torch.Tensor:
        """One decode step from device tensors alone (what a CUDA graph captures): each row's
        last token and its position ``[B]``, its block table ``[B, >= width / block_size]``;
        keys are read up to ``width``. Returns ``[B, vocab]``."""
        pool = self.pool
        rows = pool.token_rows(block_table[:, :pool.blocks_for(width)], width)
        new_rows = rows.gather(1, positions[:, None])[:, 0]
        return self._decode(tokens, positions, DecodeView(pool, new_rows, rows), width)

    def _decode(self, tokens: torch.Tensor, positions: torch.Tensor, view, width: int):
        masks = self._masks(positions[:, None], self.positions[None, :width])   # [B, W]
        masks = {kind: mask[:, None, None, :] for kind, mask in masks.items()}
        return self._logits(tokens[:, None], masks, positions[:, None], view, 1)

    def _masks(self, query_pos: torch.Tensor, key_pos: torch.Tensor) -> dict:
        """Additive masks by layer type: a key is seen if it is not after the query and, in a
        sliding layer, fewer than ``window`` positions before it (transformers' rule)."""
        causal = key_pos <= query_pos
        masks = {}
        if self.layout.has_full:
            masks[FULL] = self._additive(causal)
        if self.layout.window is not None:
            masks[SLIDING] = self._additive(causal & (query_pos - key_pos < self.layout.window))
        return masks

    def _logits(self, input_ids, masks: dict, position_ids, view, logits_to_keep) -> torch.Tensor:
        mask = masks if self.layout.mixed else next(iter(masks.values()))
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids,
                         cache=view, use_cache=True, logits_to_keep=logits_to_keep)
        return out.logits[:, -1]                                         # [B, vocab]

    def _additive(self, allowed: torch.Tensor) -> torch.Tensor:
        return torch.where(allowed, self.zero, self.masked)
