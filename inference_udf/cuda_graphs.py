"""CUDA graphs of the decode step: one captured graph per (batch, attention width) bucket.

On a GPU a small model's decode step is bound by kernel launches, not by the device: a few
hundred kernels per step, each launched from Python. A graph captured once per bucket replays
them all in one launch. Shapes must be fixed inside a graph, so the step runs on static buffers
of a bucket's size: the batch is padded up to the next of ``BATCH_BUCKETS`` (padding rows sit at
position 0 of the scratch block, which no real row's mask lets it see) and the keys read up to
the next multiple of ``WIDTH_STEP`` (the extra positions are masked). Widths stay multiples of
the KV block size, so the additive mask's last dimension is aligned as SDPA's fused
memory-efficient kernel requires.

``StaticDecode`` is the padded step on a bucket's buffers; ``DecodeGraphs`` captures it per
bucket on first use (warm-up on a side stream, one memory pool shared by all graphs) and replays
it. A batch or width past the largest bucket, or a capture that fails (a model whose forward
reads a value back to the host cannot be captured), runs eager; a failed capture turns graphs
off for the engine, with a warning. The CPU never takes this path (``ModelRunner`` creates
``DecodeGraphs`` only on a GPU); ``StaticDecode`` itself runs anywhere, which is how its padding
is checked against the eager step on the CPU.
"""

from __future__ import annotations

import logging

import torch

BATCH_BUCKETS = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
WIDTH_STEP = 256
log = logging.getLogger(__name__)


def batch_bucket(batch: int, max_batch: int) -> int | None:
    """The smallest bucket holding ``batch`` rows (the largest is at least ``max_batch``), or
    None when ``batch`` is past every bucket."""
    buckets = [b for b in BATCH_BUCKETS if b < max_batch] + [max(1, max_batch)]
    return next((b for b in buckets if b >= batch), None)


def width_bucket(width: int, max_width: int, block_size: int) -> int:
    """``width`` rounded up to a multiple of ``WIDTH_STEP``, at most ``max_width`` rounded up to
    a whole block."""
    cap = -(-max_width // block_size) * block_size
    return min(-(-width // WIDTH_STEP) * WIDTH_STEP, cap)


class StaticDecode:
    """A bucket's fixed buffers and the decode step over them."""

    def __init__(self, runner, batch: int, width: int):
        pool = runner.pool
        device = runner.device
        self.runner, self.batch, self.width = runner, batch, width
        self.tokens = torch.zeros(batch, dtype=torch.long, device=device)
        self.positions = torch.zeros(batch, dtype=torch.long, device=device)
        self.block_table = torch.full((batch, pool.blocks_for(width)), pool.scratch,
                                      dtype=torch.long, device=device)
        self.logits: torch.Tensor | None = None

    def load(self, state, rows: int) -> None:
        """The first ``rows`` rows from ``state`` (device to device); the rest are padding."""
        columns = min(self.block_table.shape[1], state.block_table.shape[1])
        self.tokens[:rows].copy_(state.tokens)
        self.tokens[rows:].zero_()
        self.positions[:rows].copy_(state.positions)
        self.positions[rows:].zero_()
        self.block_table[:rows, :columns].copy_(state.block_table[:, :columns])
        self.block_table[rows:].fill_(self.runner.pool.scratch)

    def forward(self) -> torch.Tensor:
        self.logits = self.runner.decode_logits(self.tokens, self.positions, self.block_table,
                                                self.width)
        return self.logits


class DecodeGraphs:
    def __init__(self, runner, max_batch: int, warmup_steps: int = 2):
        self.runner = runner
        self.max_batch = max_batch
        self.max_width = len(runner.positions)
        self.warmup_steps = warmup_steps
        self.enabled = True
        self.captured: dict[tuple[int, int], tuple[StaticDecode, torch.cuda.CUDAGraph]] = {}
        self._pool = None

    def run(self, state, width: int) -> torch.Tensor | None:
        """The step's logits ``[B, vocab]`` from the bucket's graph, or None to run eager."""
        rows = len(state.requests)
        batch = batch_bucket(rows, self.max_batch)
        if not self.enabled or batch is None:
            return None
        key = (batch, width_bucket(width, self.max_width, self.runner.pool.block_size))
        entry = self.captured.get(key)
        if entry is None:
            entry = self._capture(*key, state, rows)
            if entry is None:
                return None
        static, graph = entry
        static.load(state, rows)
        graph.replay()
        return static.logits[:rows]

    def _capture(self, batch: int, width: int, state, rows: int):
        static = StaticDecode(self.runner, batch, width)
        static.load(state, rows)
        try:
            # Warm-up on a side stream (lazy initialisations, cuBLAS workspaces), then capture.
            # Each run writes the rows' current keys again: the same values, so harmless.
            stream = torch.cuda.Stream(self.runner.device)
            stream.wait_stream(torch.cuda.current_stream(self.runner.device))
            with torch.cuda.stream(stream), torch.inference_mode():
                for _ in range(self.warmup_steps):
                    static.forward()
            torch.cuda.current_stream(self.runner.device).wait_stream(stream)
            if self._pool is None:
                self._pool = torch.cuda.graph_pool_handle()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self._pool), torch.inference_mode():
                static.forward()
        except Exception as exc:  # noqa: BLE001 - any model that cannot be captured runs eager
            self.enabled = False
            log.warning("CUDA graph capture failed (%s: %s); the decode step runs eager",
                        type(exc).__name__, exc)
            return None
        self.captured[(batch, width)] = (static, graph)
        return static, graph
