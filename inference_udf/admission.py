"""Admission policies: may a waiting request join the running batch now?

A policy is one small class with ``admits(request, running, budget_tokens)``; the scheduler asks
it for each waiting request in FIFO order and stops at the first refusal. A policy may also have
``observe_finished(request)``: the scheduler calls it for every finished request (Past-Future
learns output lengths from it). Pick one by name (``admission="reserve"`` or ``"past_future"``)
or pass an instance to the engine.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from inference_udf.request import Request


class AdmissionPolicy(Protocol):
    def admits(self, request: Request, running: Sequence[Request], budget_tokens: int) -> bool:
        ...


class ReserveMaxTokens:
    """Conservative: every running request is charged its prompt plus its full
    ``max_new_tokens``, so admitted work can never outgrow the KV budget."""

    def admits(self, request: Request, running: Sequence[Request], budget_tokens: int) -> bool:
        reserved = sum(r.max_total_tokens for r in running)
        return reserved + request.max_total_tokens <= budget_tokens


ADMISSION_POLICIES = ("reserve", "past_future")


def admission_policy(choice: "str | AdmissionPolicy | None") -> AdmissionPolicy:
    """A policy from its name (``reserve``: the conservative rule, the default;
    ``past_future``: LightLLM's estimate of peak KV use), or the given policy itself."""
    if choice is None or choice == "reserve":
        return ReserveMaxTokens()
    if choice == "past_future":
        from inference_udf.past_future import PastFuture

        return PastFuture()
    if isinstance(choice, str):
        raise ValueError(f"admission={choice!r}: expected one of {', '.join(ADMISSION_POLICIES)}, "
                         "or an object with admits(request, running, budget_tokens)")
    return choice
