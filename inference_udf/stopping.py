"""Stopping: after each new token, decide whether a request is done, and why.

Order of checks: a stop token id (kept in the output, like ``generate``), a stop string (the
text is cut before it), then the ``max_new_tokens`` limit.
"""

from __future__ import annotations

from typing import Callable

from inference_udf.request import FinishReason, Request

Detokenize = Callable[[list[int]], str]


def append_token(request: Request, token: int, stop_token_ids: frozenset[int],
                 detokenize: Detokenize | None) -> None:
    request.output_ids.append(token)
    if token in stop_token_ids or token in request.params.stop_token_ids:
        request.finish(FinishReason.STOP)
        return
    if request.params.stop and detokenize is not None:
        cut = find_stop(detokenize(request.output_ids), request.params.stop)
        if cut is not None:
            request.stop_text_end = cut
            request.finish(FinishReason.STOP)
            return
    if len(request.output_ids) >= request.params.max_new_tokens:
        request.finish(FinishReason.LENGTH)


def find_stop(text: str, stops) -> int | None:
    """Index where the earliest stop string starts, or None."""
    hits = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(hits) if hits else None
