"""KVBlockPool: one pool of key/value token rows shared by every request, in small blocks.

Buffers are ``[kv_heads, num_blocks * block_size, head_dim]`` per layer, allocated once and
written in place. A request holds a list of blocks that grows with it (one block per
``block_size`` tokens), so memory follows real lengths rather than each request's worst case:
how many requests run at once is decided by admission against the token budget, not by slots.
Blocks can lie anywhere; each step reads a request's tokens back in position order through its
block table, so nothing ever moves when requests finish (no compaction).

The model sees the pool through a view with the one method transformers' attention layers call,
``update(key_states, value_states, layer_idx)``:

- ``PrefillView``: right-padded prompts; the real tokens' keys go into their blocks, and the
  prompt's own keys are returned (a fresh prompt attends only to itself).
- ``DecodeView``: one new token per request, written at its position; returned are the
  requests' tokens gathered into ``[B, kv_heads, W, head_dim]`` (W: the longest request now),
  padding entries pointing at a scratch block that the mask hides.
"""

from __future__ import annotations

import torch

DEFAULT_BLOCK_SIZE = 16


class KVBlockPool:
    def __init__(self, num_layers: int, num_blocks: int, kv_heads: int, head_dim: int,
                 dtype: torch.dtype, device: torch.device | str = "cpu",
                 block_size: int = DEFAULT_BLOCK_SIZE):
        if num_blocks < 1:
            raise ValueError(f"num_blocks={num_blocks}: the KV pool needs at least one block")
        # One extra block at the end is scratch: padding entries of block tables point there.
        shape = (kv_heads, (num_blocks + 1) * block_size, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.block_size = block_size
        self.num_blocks = num_blocks
        self.scratch = num_blocks
        self.device = torch.device(device)
        self.free_blocks = list(range(num_blocks - 1, -1, -1))
        self.offsets = torch.arange(block_size, device=device)

    @property
    def capacity_tokens(self) -> int:
        return self.num_blocks * self.block_size

    @property
    def bytes_per_token(self) -> int:
        one = self.keys[0]
        return 2 * len(self.keys) * one.shape[0] * one.shape[2] * one.element_size()

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.keys + self.values)

    def blocks_for(self, num_tokens: int) -> int:
        return -(-num_tokens // self.block_size)

    def can_grow(self, blocks: list[int], num_tokens: int) -> bool:
        return self.blocks_for(num_tokens) - len(blocks) <= len(self.free_blocks)

    def grow(self, blocks: list[int], num_tokens: int) -> None:
        """Extend ``blocks`` (in place) to hold ``num_tokens``; check ``can_grow`` first."""
        missing = self.blocks_for(num_tokens) - len(blocks)
        if missing > len(self.free_blocks):
            raise RuntimeError("the KV pool is out of blocks: check can_grow() before grow()")
        for _ in range(missing):
            blocks.append(self.free_blocks.pop())

    def release(self, blocks: list[int]) -> None:
        self.free_blocks.extend(reversed(blocks))
        blocks.clear()

    def reset(self) -> None:
        self.free_blocks = list(range(self.num_blocks - 1, -1, -1))

    def token_rows(self, block_table: torch.Tensor, width: int) -> torch.Tensor:
        """Pool rows of positions ``0..width-1`` for each block-table row: ``[B, width]``."""
        rows = block_table[:, :, None] * self.block_size + self.offsets   # [B, nb, block]
        return rows.view(block_table.shape[0], -1)[:, :width]

    def block_table(self, tables: list[list[int]], width: int) -> torch.Tensor:
        """``[B, ceil(width / block_size)]`` block ids, padded with the scratch block."""
        count = self.blocks_for(width)
        padded = [blocks[:count] + [self.scratch] * (count - len(blocks)) for blocks in tables]
        return torch.tensor(padded, dtype=torch.long, device=self.device)


class PrefillView:
    """Right-padded prompts ``[B, S]``: ``rows`` are the pool rows of the real tokens and
    ``sources`` their indices in the flattened ``[B * S]`` batch."""

    def __init__(self, pool: KVBlockPool, sources: torch.Tensor, rows: torch.Tensor):
        self.pool, self.sources, self.rows = pool, sources, rows

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, S, head_dim] -> [kv_heads, B * S, head_dim], real tokens only
        for buffers, states in ((self.pool.keys, key_states), (self.pool.values, value_states)):
            flat = states.transpose(0, 1).reshape(states.shape[1], -1, states.shape[3])
            buffers[layer_idx].index_copy_(1, self.rows, flat.index_select(1, self.sources))
        return key_states, value_states


class DecodeView:
    """One new token per request, written at pool row ``new_rows[b]``; attention reads the
    gathered ``rows`` ``[B, W]`` (positions 0..W-1 of each request, in order)."""

    def __init__(self, pool: KVBlockPool, new_rows: torch.Tensor, rows: torch.Tensor):
        self.pool, self.new_rows = pool, new_rows
        self.batch, self.width = rows.shape
        self.flat_rows = rows.reshape(-1)

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, 1, head_dim]
        out = []
        for buffers, states in ((self.pool.keys, key_states), (self.pool.values, value_states)):
            buffer = buffers[layer_idx]
            buffer.index_copy_(1, self.new_rows, states[:, :, 0].transpose(0, 1))
            gathered = buffer.index_select(1, self.flat_rows)            # [kv, B * W, hd]
            out.append(gathered.view(buffer.shape[0], self.batch, self.width, -1).transpose(0, 1))
        return out[0], out[1]
