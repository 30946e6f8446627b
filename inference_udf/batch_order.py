"""The order in which one input batch's rows enter the engine: longest ``max_new_tokens`` first.

An output batch goes back to Spark when its slowest row is done, and a task when its last batch
is, so within a batch what counts is when the last row finishes, not the mean. Handing the
engine the rows that may run longest first (LPT, the classic rule for makespan) keeps the decode
batch full to the end: short rows fill the seats that long ones leave, instead of a few long
rows decoding alone, one weight pass per token each, after everything else is done. Where much of
a step's cost is fixed whatever the batch size (reading the weights, on a CPU or for a small
batch on a GPU), those half-empty tail steps cost nearly as much as full ones.

The order is stable (equal limits keep their input order), and rows still come back in their
input order. Rows of one batch only: a later batch never overtakes an earlier one, so no row
waits behind an unbounded stream of longer ones.
"""

from __future__ import annotations

from typing import Sequence


def longest_first(max_new_tokens: Sequence[int]) -> list[int]:
    """Indices of a batch's rows, longest ``max_new_tokens`` first, ties in input order."""
    return sorted(range(len(max_new_tokens)), key=lambda row: -max_new_tokens[row])
