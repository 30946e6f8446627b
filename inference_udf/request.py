"""Request: one prompt's state through the engine. Plain counters plus a status; derived
values are properties."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from inference_udf.sampling_params import SamplingParams


class Status(enum.Enum):
    WAITING = "waiting"
    STAGED = "staged"      # prefilled, waiting for a decode slot
    RUNNING = "running"
    FINISHED = "finished"


class FinishReason(str, enum.Enum):
    STOP = "stop"        # a stop token or stop string
    LENGTH = "length"    # max_new_tokens reached
    ERROR = "error"


@dataclass(eq=False)
class Request:
    request_id: object
    prompt_ids: list[int]
    params: SamplingParams
    output_ids: list[int] = field(default_factory=list)
    status: Status = Status.WAITING
    finish_reason: FinishReason | None = None
    blocks: list[int] = field(default_factory=list)   # its KV blocks in the pool, in order
    stop_text_end: int | None = None     # where a stop string cut the text, if one did
    generator: object = None             # torch.Generator for seeded sampling
    error: str | None = None
    preemptions: int = 0                 # times the scheduler sent it back to restart
    token_logprobs: list[float] = field(default_factory=list)     # when params.logprobs is set
    top_logprobs: list[list[tuple[int, float]]] = field(default_factory=list)

    @property
    def prompt_len(self) -> int:
        return len(self.prompt_ids)

    @property
    def num_tokens(self) -> int:
        """Tokens whose keys and values the cache holds (or will, after the next step)."""
        return len(self.prompt_ids) + len(self.output_ids)

    @property
    def max_total_tokens(self) -> int:
        """The most KV entries this request can need."""
        return len(self.prompt_ids) + self.params.max_new_tokens

    @property
    def remaining_tokens(self) -> int:
        return self.params.max_new_tokens - len(self.output_ids)

    @property
    def finished(self) -> bool:
        return self.status is Status.FINISHED

    def restart(self) -> None:
        """Back to waiting, as if never run: greedy and seeded decoding give the same tokens
        again (the generator is recreated from the seed)."""
        self.output_ids = []
        self.token_logprobs, self.top_logprobs = [], []
        self.status = Status.WAITING
        self.blocks = []
        self.finish_reason = self.stop_text_end = self.generator = None
        self.preemptions += 1

    def finish(self, reason: FinishReason) -> None:
        self.status = Status.FINISHED
        self.finish_reason = reason
