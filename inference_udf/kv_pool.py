"""KVSlotPool: preallocated key/value buffers, one row (slot) per running request.

Buffers are ``[slots, kv_heads, slot_len, head_dim]`` per layer, allocated once and written in
place. Running requests occupy slots ``0..num_active-1``, so a decode step reads one contiguous
window and never re-pads or concatenates. When requests finish, the window is compacted the
Flover way: each hole below the new edge is filled by one survivor from above it, so only as many
slots move as there are holes (finishing at the edge moves nothing).

The model sees the pool through a view with the one method transformers' attention layers call,
``update(key_states, value_states, layer_idx)``.
"""

from __future__ import annotations

import torch


class KVSlotPool:
    def __init__(self, num_layers: int, num_slots: int, slot_len: int, kv_heads: int,
                 head_dim: int, dtype: torch.dtype, device: torch.device | str = "cpu"):
        shape = (num_slots, kv_heads, slot_len, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.num_slots = num_slots
        self.slot_len = slot_len
        self.num_active = 0

    @property
    def bytes_per_token(self) -> int:
        one = self.keys[0]
        return 2 * len(self.keys) * one.shape[1] * one.shape[3] * one.element_size()

    def can_allocate(self, count: int = 1) -> bool:
        return self.num_active + count <= self.num_slots

    def allocate(self) -> int:
        """The next slot at the window's edge."""
        if not self.can_allocate():
            raise RuntimeError("KV slot pool is full: check can_allocate() before allocate()")
        self.num_active += 1
        return self.num_active - 1

    def compact(self, sources: list[int], targets: list[int], new_active: int, width: int) -> None:
        """Move slots ``sources`` into the holes ``targets`` (first ``width`` positions) and
        shrink the window to ``new_active`` slots."""
        if sources:
            src = torch.tensor(sources, device=self.keys[0].device)
            dst = torch.tensor(targets, device=self.keys[0].device)
            for buffers in (self.keys, self.values):
                for layer in buffers:
                    layer[dst, :, :width] = layer[src, :, :width]
        self.num_active = new_active

    def prefill_view(self, first_slot: int) -> "PrefillView":
        return PrefillView(self, first_slot)

    def decode_view(self, positions: torch.Tensor, width: int) -> "DecodeView":
        return DecodeView(self, positions, width)


class PrefillView:
    """Prompts of slots ``first_slot..first_slot+batch-1``, right-padded, written from position
    0. Padding positions are written too; they are masked now and overwritten by decode later."""

    def __init__(self, pool: KVSlotPool, first_slot: int):
        self.pool = pool
        self.first_slot = first_slot

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, S, head_dim]
        batch, _, length, _ = key_states.shape
        rows = slice(self.first_slot, self.first_slot + batch)
        self.pool.keys[layer_idx][rows, :, :length] = key_states
        self.pool.values[layer_idx][rows, :, :length] = value_states
        return key_states, value_states


class DecodeView:
    """One new token per active slot, each at its own position; attention reads the window
    ``[:num_active, :, :width]`` (a view, no copy)."""

    def __init__(self, pool: KVSlotPool, positions: torch.Tensor, width: int):
        self.pool = pool
        self.positions = positions          # [B]
        self.rows = torch.arange(positions.shape[0], device=positions.device)
        self.width = width

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, 1, head_dim]
        keys, values = self.pool.keys[layer_idx], self.pool.values[layer_idx]
        keys[self.rows, :, self.positions] = key_states[:, :, 0]
        values[self.rows, :, self.positions] = value_states[:, :, 0]
        batch = key_states.shape[0]
        return keys[:batch, :, :self.width], values[:batch, :, :self.width]
