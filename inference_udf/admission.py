"""Admission policies: may a waiting request join the running batch now?

A policy is one small class with ``admits(request, running, budget_tokens)``; the scheduler asks
it for each waiting request in FIFO order and stops at the first refusal. Swap in another policy
(e.g. LightLLM's Past-Future estimate of peak KV use) by passing it to the engine.
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
