"""DecodeState: what a decode step reads, kept on the device while the batch stays the same.

A steady decode step (the same requests as the step before, each one token further) builds
nothing on the host: each request's last token is the sampler's output of the previous step
(a device tensor), its position is the previous one plus one (incremented on the device), and
its block table lives on the device, so masks and gather rows are computed there. Only a block
a request took since the last step (one per ``block_size`` tokens) is written into the table,
in one small copy. When the batch changes (a request joined, finished, was preempted or
restarted), the state is rebuilt from the requests in one copy.

The host keeps what it needs to know without reading the device back: each row's position (it
checks every step that the requests are where the state says) and how many blocks each row's
table holds.
"""

from __future__ import annotations

from typing import Sequence

import torch

from inference_udf.kv_pool import KVBlockPool
from inference_udf.request import Request


class DecodeState:
    def __init__(self, requests: Sequence[Request], pool: KVBlockPool, max_blocks: int):
        device = pool.device
        self.requests = tuple(requests)
        self.pool = pool
        self.host_positions = [r.num_tokens - 1 for r in requests]
        self.host_blocks = [len(r.blocks) for r in requests]
        table = [r.blocks[:max_blocks] + [pool.scratch] * (max_blocks - len(r.blocks))
                 for r in requests]
        state = torch.tensor([[r.output_ids[-1], r.num_tokens - 1] + row
                              for r, row in zip(requests, table)], dtype=torch.long)
        state = _to_device(state, device)
        self.tokens = state[:, 0].contiguous()                   # [B] last sampled token
        self.positions = state[:, 1].contiguous()                # [B] where it is written
        self.block_table = state[:, 2:].contiguous()             # [B, max_blocks]

    def matches(self, requests: Sequence[Request]) -> bool:
        """The same requests, each exactly one token past the state's last step."""
        if len(requests) != len(self.requests):
            return False
        for request, mine, position in zip(requests, self.requests, self.host_positions):
            if request is not mine or request.num_tokens - 1 != position:
                return False
        return True

    def sync_blocks(self) -> None:
        """Write the blocks the requests took since the last step into the device table."""
        updates = []
        for row, request in enumerate(self.requests):
            have = self.host_blocks[row]
            if len(request.blocks) > have:
                updates += [(row, column, request.blocks[column])
                            for column in range(have, len(request.blocks))]
                self.host_blocks[row] = len(request.blocks)
        if updates:
            where = _to_device(torch.tensor(updates, dtype=torch.long), self.pool.device)
            self.block_table.index_put_((where[:, 0], where[:, 1]), where[:, 2])

    def advance(self, tokens: torch.Tensor) -> None:
        """The step's sampled tokens (on the device) become the next step's inputs."""
        self.tokens = tokens
        self.positions += 1
        self.host_positions = [p + 1 for p in self.host_positions]


def _to_device(host: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda":
        return host.pin_memory().to(device, non_blocking=True)
    return host.to(device)
