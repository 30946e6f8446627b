"""Stopping: after each new token, decide whether a request is done, and why.

Order of checks: a stop token id (kept in the output, like ``generate``), a stop string (the
text is cut before it), then the ``max_new_tokens`` limit.

Stop strings are looked for only in the newly decoded tail: ``TailDecoder`` turns the output
into text a few tokens at a time (the last couple of tokens are decoded again for context, so
tokenizers that merge across token boundaries and multi-byte characters split over tokens come
out as a full decode would), and a new match can only start within the longest stop string's
length of the new text. A step costs the same at token 10 and at token 10,000.
"""

from __future__ import annotations

import weakref
from typing import Callable

from inference_udf.request import FinishReason, Request

Detokenize = Callable[[list[int]], str]

_INCOMPLETE = "\ufffd"   # what a decoder gives for a multi-byte character cut in half


def append_token(request: Request, token: int, stop_token_ids: frozenset[int],
                 detokenize: Detokenize | None, *, is_stop_token: bool | None = None,
                 tails: "TailDecoder | None" = None) -> None:
    """Append ``token``. ``is_stop_token`` is the device's verdict when the sampler checked the
    stop ids already; ``tails`` keeps the incremental text (a full decode without it)."""
    request.output_ids.append(token)
    if is_stop_token is None:
        is_stop_token = token in stop_token_ids or token in request.params.stop_token_ids
    if is_stop_token:
        request.finish(FinishReason.STOP)
        return
    if request.params.stop and detokenize is not None:
        if tails is not None:
            cut = tails.find_new_stop(request, detokenize)
        else:
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


class _Tail:
    __slots__ = ("text", "prefix", "read", "tokens")

    def __init__(self):
        self.text = ""          # the output's text so far (complete characters only)
        self.prefix = 0         # output index where the context decoded again starts
        self.read = 0           # output index up to which ``text`` is complete
        self.tokens = 0         # output tokens seen (a restarted request has fewer)


class TailDecoder:
    """Incremental detokenization per request, for stop strings (kept by the engine)."""

    def __init__(self):
        self._tails: "weakref.WeakKeyDictionary[Request, _Tail]" = weakref.WeakKeyDictionary()

    def find_new_stop(self, request: Request, detokenize: Detokenize) -> int | None:
        """Where a stop string that ends in the newest text starts (an index into the full
        text), or None. Call once per appended token."""
        ids = request.output_ids
        tail = self._tails.get(request)
        if tail is None or tail.tokens >= len(ids):    # new, or restarted from its prompt
            tail = self._tails[request] = _Tail()
        tail.tokens = len(ids)
        before = len(tail.text)
        self._advance(tail, ids, detokenize)
        if len(tail.text) == before:
            return None
        stops = request.params.stop
        start = max(0, before - max(map(len, stops)) + 1)
        hit = find_stop(tail.text[start:], stops)
        return None if hit is None else start + hit

    @staticmethod
    def _advance(tail: _Tail, ids: list[int], detokenize: Detokenize) -> None:
        context = detokenize(ids[tail.prefix:tail.read])
        decoded = detokenize(ids[tail.prefix:])
        if len(decoded) > len(context) and not decoded.endswith(_INCOMPLETE):
            tail.text += decoded[len(context):]
            tail.prefix, tail.read = tail.read, len(ids)
