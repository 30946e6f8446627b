"""KVSlotPool: preallocated key/value buffers, one row (slot) per running request.

Buffers are ``[slots, kv_heads, slot_len, head_dim]`` per layer, allocated once and written in
place. Decoding requests occupy slots ``0..num_active-1``, so a decode step reads one contiguous
window and never re-pads or concatenates. When requests finish, the window is compacted the
Flover way: each hole below the new edge is filled by one survivor from above it, so only as many
slots move as there are holes (finishing at the edge moves nothing).

Slots past ``num_decode_slots`` are a staging area: requests prefilled ahead of time, in batches,
wait there until a decode slot frees up, then move in (Flover's separate pre-processing path).

The model sees the pool through a view with the one method transformers' attention layers call,
``update(key_states, value_states, layer_idx)``.
"""

from __future__ import annotations

import torch


class KVSlotPool:
    def __init__(self, num_layers: int, num_decode_slots: int, num_staging_slots: int,
                 slot_len: int, kv_heads: int, head_dim: int, dtype: torch.dtype,
                 device: torch.device | str = "cpu"):
        num_slots = num_decode_slots + num_staging_slots
        shape = (num_slots, kv_heads, slot_len, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.num_decode_slots = num_decode_slots
        self.num_slots = num_slots
        self.slot_len = slot_len
        self.num_active = 0
        self.free_staging = list(range(num_slots - 1, num_decode_slots - 1, -1))
        # Decode writes one token per slot per layer: through flat views of the buffers and a
        # flat row index (slot, kv head, position), one index_copy_ per buffer instead of an
        # advanced-indexing scatter. ``_row_base[slot, head]`` is the flat row of position 0.
        self._flat_keys = [k.view(-1, head_dim) for k in self.keys]
        self._flat_values = [v.view(-1, head_dim) for v in self.values]
        heads = torch.arange(kv_heads, device=device)
        self._row_base = (torch.arange(num_slots, device=device)[:, None] * kv_heads + heads) * slot_len

    @property
    def bytes_per_token(self) -> int:
        one = self.keys[0]
        return 2 * len(self.keys) * one.shape[1] * one.shape[3] * one.element_size()

    @property
    def free_decode_slots(self) -> int:
        return self.num_decode_slots - self.num_active

    def allocate(self) -> int:
        """The next decode slot, at the window's edge."""
        if self.num_active >= self.num_decode_slots:
            raise RuntimeError("no free decode slot: check free_decode_slots before allocate()")
        self.num_active += 1
        return self.num_active - 1

    def allocate_staging(self) -> int | None:
        """A staging slot, or None when the staging area is full."""
        return self.free_staging.pop() if self.free_staging else None

    def free_staging_slot(self, slot: int) -> None:
        self.free_staging.append(slot)

    def move(self, sources: list[int], targets: list[int], width: int) -> None:
        """Copy the first ``width`` positions of slots ``sources`` into slots ``targets``."""
        if len(sources) <= 2:
            # The usual case (a finish or two, a promotion): plain slice copies, no index tensors.
            for source, target in zip(sources, targets):
                for buffers in (self.keys, self.values):
                    for layer in buffers:
                        layer[target, :, :width].copy_(layer[source, :, :width])
        else:
            src = torch.tensor(sources, device=self.keys[0].device)
            dst = torch.tensor(targets, device=self.keys[0].device)
            for buffers in (self.keys, self.values):
                for layer in buffers:
                    layer[dst, :, :width] = layer[src, :, :width]

    def reset(self) -> None:
        self.num_active = 0
        self.free_staging = list(range(self.num_slots - 1, self.num_decode_slots - 1, -1))

    def prefill_view(self, slots: list[int]) -> "PrefillView":
        return PrefillView(self, slots)

    def decode_view(self, positions: torch.Tensor, width: int) -> "DecodeView":
        return DecodeView(self, positions, width)


class PrefillView:
    """Right-padded prompts for ``slots`` (one per batch row), written from position 0. Padding
    positions are written too; they are masked now and overwritten by decode later."""

    def __init__(self, pool: KVSlotPool, slots: list[int]):
        self.pool = pool
        contiguous = slots == list(range(slots[0], slots[0] + len(slots)))
        self.rows = slice(slots[0], slots[0] + len(slots)) if contiguous else \
            torch.tensor(slots, device=pool.keys[0].device)

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, S, head_dim]
        length = key_states.shape[2]
        rows = self.rows
        self.pool.keys[layer_idx][rows, :, :length] = key_states
        self.pool.values[layer_idx][rows, :, :length] = value_states
        return key_states, value_states


class DecodeView:
    """One new token per active slot (slots ``0..B-1``), each at its own position; attention
    reads the window ``[:B, :, :width]`` (a view, no copy)."""

    def __init__(self, pool: KVSlotPool, positions: torch.Tensor, width: int):
        self.pool = pool
        self.batch = positions.shape[0]
        # [B * kv_heads] flat rows, computed once per step and shared by every layer
        self.flat_rows = (pool._row_base[:self.batch] + positions[:, None]).view(-1)
        self.width = width

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        # key_states: [B, kv_heads, 1, head_dim]
        pool, rows, batch = self.pool, self.flat_rows, self.batch
        head_dim = key_states.shape[-1]
        pool._flat_keys[layer_idx].index_copy_(0, rows, key_states.reshape(-1, head_dim))
        pool._flat_values[layer_idx].index_copy_(0, rows, value_states.reshape(-1, head_dim))
        return (pool.keys[layer_idx][:batch, :, :self.width],
                pool.values[layer_idx][:batch, :, :self.width])
