"""score_rows: the body of the scoring UDF, one Arrow batch at a time, in row order."""

from __future__ import annotations

import pandas as pd

from inference_udf.arrow_rows import Unreadable
from inference_udf.scoring import completion_logprobs

COLUMNS = ("logprob", "prompt_tokens", "completion_tokens", "error")


def score_rows(loaded, encoder, prompts: list, completions: list, batch_size: int,
               max_model_len: int) -> pd.DataFrame:
    """One row per (prompt, completion) pair; a bad pair gets its error and the others go on."""
    results: list[dict] = [None] * len(prompts)
    valid: list[tuple[int, list[int], list[int]]] = []
    for row, (prompt, completion) in enumerate(zip(prompts, completions)):
        try:
            completion_ids = _completion_ids(loaded.tokenizer, completion, max_model_len)
            prompt_ids = encoder.encode(prompt, max_model_len - len(completion_ids))
            valid.append((row, prompt_ids, completion_ids))
        except Exception as exc:  # noqa: BLE001 - e.g. a chat template refusing the prompt
            message = str(exc) if isinstance(exc, ValueError) else \
                f"the row could not be prepared: {type(exc).__name__}: {exc}"
            results[row] = {"logprob": None, "prompt_tokens": None, "completion_tokens": None,
                            "error": message}
    for start in range(0, len(valid), batch_size):
        chunk = valid[start:start + batch_size]
        try:
            scores = completion_logprobs(loaded.model, [(p, c) for _, p, c in chunk])
            errors = [None] * len(chunk)
        except Exception as exc:  # noqa: BLE001 - a failed batch must not lose its rows
            scores = [None] * len(chunk)
            errors = [f"scoring failed: {type(exc).__name__}: {exc}"] * len(chunk)
        for (row, p, c), score, error in zip(chunk, scores, errors):
            results[row] = {"logprob": score, "prompt_tokens": len(p),
                            "completion_tokens": len(c), "error": error}
    frame = pd.DataFrame(results, columns=list(COLUMNS))
    for column in ("prompt_tokens", "completion_tokens"):
        frame[column] = frame[column].astype("Int32")
    return frame


def _completion_ids(tokenizer, completion, max_model_len: int) -> list[int]:
    if isinstance(completion, Unreadable):
        raise ValueError(f"the completion {completion.reason}")
    if isinstance(completion, (bytes, bytearray)):
        raise ValueError(f"the completion is binary ({len(completion)} bytes): give a string "
                         "column (for UTF-8 bytes, CAST(column AS STRING))")
    if completion is not None and not isinstance(completion, str):
        raise ValueError(f"the completion must be a string: got {type(completion).__name__}")
    if not completion:
        raise ValueError("the completion is null or empty: give the text to score")
    ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError("the completion has no tokens")
    if len(ids) >= max_model_len:
        raise ValueError(f"the completion has {len(ids)} tokens; with a prompt at most "
                         f"{max_model_len - 1} fit in the context")
    return ids
