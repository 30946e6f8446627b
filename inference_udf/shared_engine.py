"""SharedEngine: one LLMEngine serving the requests of many tasks (owners) and users.

Requests wait in a ``UserFairQueue`` and enter the engine only as room frees up, so the user
order decides who decodes next. Every decoded token is charged to its user's virtual time. An
owner that goes away (a killed or failed task) has its requests dropped: waiting ones at once,
admitted ones at the end of the next step, with nothing sent back.

Single-threaded: the engine server calls every method from its engine thread.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from inference_udf.engine import LLMEngine
from inference_udf.fair_queue import UserFairQueue
from inference_udf.request import FinishReason, Request
from inference_udf.sampling_params import SamplingParams


@dataclass(eq=False)
class Pending:
    owner: object
    request_id: object
    prompt_ids: list[int]
    params: SamplingParams
    user: str


class SharedEngine:
    def __init__(self, engine: LLMEngine, weights: dict[str, float] | None = None,
                 fifo: bool = False, capacity: int | None = None):
        self.engine = engine
        self.queue = UserFairQueue(weights, fifo=fifo)
        scheduler = engine.scheduler
        self.capacity = capacity or getattr(scheduler, "max_num_seqs", None) or \
            scheduler.pool.num_decode_slots
        self.steps = 0
        self.contended_tokens: dict[str, int] = defaultdict(int)   # while >= 2 users waited
        self._admitted: dict[Request, Pending] = {}
        self._seen: dict[Request, int] = {}
        self._dropped: set[Request] = set()

    @property
    def has_work(self) -> bool:
        return bool(len(self.queue) or self._admitted)

    def submit(self, owner, request_id, prompt_ids: list[int], params: SamplingParams,
               user: str) -> None:
        self.queue.push(user, Pending(owner, request_id, list(prompt_ids), params, user),
                        cost=params.max_new_tokens)

    def drop_owner(self, owner) -> None:
        """Forget every request of ``owner``."""
        self.queue.remove(lambda pending: pending.owner is not owner)
        waiting = self.engine.scheduler.waiting
        for request, pending in list(self._admitted.items()):
            if pending.owner is not owner:
                continue
            if request in waiting:
                waiting.remove(request)
                self._forget(request)
            else:
                # Decoding or staged: finished requests leave the batch at the step's retire.
                request.finish(FinishReason.ERROR)
                self._dropped.add(request)

    def step(self) -> list[tuple[Pending, Request]]:
        """Admit by user order, run one engine step, charge tokens; returns what finished
        (errors for requests that could never fit come back at once)."""
        done = self._admit()
        if not self.engine.has_unfinished:
            return done
        contended = len(self.queue.backlogged_users()) >= 2
        finished = self.engine.step()
        self.steps += 1
        for request, pending in self._admitted.items():
            new = max(0, len(request.output_ids) - self._seen[request])
            self._seen[request] = len(request.output_ids)
            if new:
                self.queue.charge(pending.user, new)
                if contended:
                    self.contended_tokens[pending.user] += new
        for request in finished:
            pending = self._forget(request)
            if request in self._dropped:
                self._dropped.discard(request)
            elif pending is not None:
                done.append((pending, request))
        return done

    def _admit(self) -> list[tuple[Pending, Request]]:
        errors = []
        while len(self._admitted) < self.capacity:
            popped = self.queue.pop()
            if popped is None:
                break
            user, pending = popped
            try:
                request = self.engine.add_request(pending, pending.prompt_ids, pending.params)
            except ValueError as exc:
                self.queue.left_engine(user, pending.params.max_new_tokens)
                failed = Request(pending, pending.prompt_ids, pending.params)
                failed.finish(FinishReason.ERROR)
                failed.error = str(exc)
                errors.append((pending, failed))
                continue
            self._admitted[request] = pending
            self._seen[request] = 0
        return errors

    def _forget(self, request: Request) -> Pending | None:
        pending = self._admitted.pop(request, None)
        charged = self._seen.pop(request, 0)
        if pending is not None:
            self.queue.left_engine(pending.user, pending.params.max_new_tokens - charged)
        return pending
