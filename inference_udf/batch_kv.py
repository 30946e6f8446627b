"""BatchKV: the decoding batch's keys and values, kept contiguous across steps (CPU decode).

The pool's view (``DecodeView``) gathers every request's tokens out of their blocks on every
step, in every layer: a copy of the whole batch's keys and values per token generated, which on
the CPU costs about as much as the attention it feeds. While the batch stays the same (no request
joined or left), nothing but one token per request changes, so this copy is made once, when the
batch forms, and then only the step's new token is written into it (and into the pool, which
stays the truth that a new batch is gathered from).

Layout per layer ``[B, kv_heads, capacity, head_dim]``; positions past a request's length hold
stale values that the mask hides, as the gather's padding did. When the longest request outgrows
the capacity the copy is gathered again with room for ``GROWTH`` more tokens. On a GPU the
engine keeps gathering (the copy would double the KV memory that sizes the batch).
"""

from __future__ import annotations

import torch

from inference_udf.kv_pool import KVBlockPool

GROWTH = 64


class BatchKV:
    def __init__(self, pool: KVBlockPool, batch: int):
        self.pool = pool
        self.batch_index = torch.arange(batch, device=pool.device)
        layers = len(pool.keys)
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers

    def view(self, block_table: torch.Tensor, positions: torch.Tensor, width: int) -> "BatchKVView":
        return BatchKVView(self, block_table, positions, width)


class BatchKVView:
    """The cache object of one decode step over a ``BatchKV`` (what transformers' attention
    layers call ``update`` on): the new token goes into the pool and the copy; attention reads
    the copy's first ``width`` positions."""

    def __init__(self, kv: BatchKV, block_table: torch.Tensor, positions: torch.Tensor, width: int):
        self.kv, self.block_table, self.positions, self.width = kv, block_table, positions, width
        pool = kv.pool
        self.new_rows = (block_table.gather(1, (positions // pool.block_size)[:, None])[:, 0]
                         * pool.block_size + positions % pool.block_size)

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, 1, head_dim]
        kv, pool, width = self.kv, self.kv.pool, self.width
        out = []
        for buffers, copies, states in ((pool.keys, kv.keys, key_states),
                                        (pool.values, kv.values, value_states)):
            buffers[layer_idx].index_copy_(1, self.new_rows, states[:, :, 0].transpose(0, 1))
            copy = copies[layer_idx]
            if copy is None or copy.shape[2] < width:
                copy = copies[layer_idx] = self._gather(buffers[layer_idx], width + GROWTH)
            else:
                copy[kv.batch_index, :, self.positions] = states[:, :, 0]
            out.append(copy[:, :, :width])
        return out[0], out[1]

    def _gather(self, buffer: torch.Tensor, capacity: int) -> torch.Tensor:
        """The batch's positions ``0..capacity-1`` out of the pool: ``[B, kv, capacity, hd]``."""
        pool = self.kv.pool
        blocks = min(self.block_table.shape[1], pool.blocks_for(capacity))
        rows = pool.token_rows(self.block_table[:, :blocks], blocks * pool.block_size)
        gathered = buffer.index_select(1, rows.reshape(-1))              # [kv, B * cap, hd]
        batch = rows.shape[0]
        return gathered.view(buffer.shape[0], batch, -1, buffer.shape[2]).transpose(0, 1).contiguous()
