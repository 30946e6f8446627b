"""generate_rows: the body of the generation UDF.

Reads Arrow batches ahead into the engine until enough rows are in flight to keep it full, steps
the engine, and yields each input batch's results as soon as all its rows are done, in input
order. Only the total row count must match for an iterator pandas UDF, but we also keep batch
boundaries, so every output batch lines up with its input batch.

Single-threaded on purpose: admission order is row order and nothing depends on timing, so a
retried task replays the same batches and gives the same output (greedy or seeded).
"""

from __future__ import annotations

from typing import Iterator

import pandas as pd

from inference_udf.engine import LLMEngine
from inference_udf.engine_client import EngineUnavailable
from inference_udf.prompts import PromptEncoder
from inference_udf.request import FinishReason, Request
from inference_udf.row_params import row_params
from inference_udf.sampling_params import SamplingParams

COLUMNS = ("text", "finish_reason", "prompt_tokens", "completion_tokens", "error")


class _Batch:
    def __init__(self, size: int):
        self.results: list[dict | None] = [None] * size
        self.pending = 0


def generate_rows(engine: LLMEngine, encoder: PromptEncoder, defaults: SamplingParams,
                  batches: Iterator[tuple[pd.Series, pd.DataFrame]],
                  rows_ahead: int) -> Iterator[pd.DataFrame]:
    batches = iter(batches)
    open_batches: list[_Batch] = []
    exhausted = False
    while True:
        while not exhausted and _in_flight(engine) < rows_ahead:
            chunk = next(batches, None)
            if chunk is None:
                exhausted = True
            else:
                open_batches.append(_submit(engine, encoder, defaults, *chunk))
        while open_batches and open_batches[0].pending == 0:
            yield _frame(open_batches.pop(0).results)
        if not engine.has_unfinished:
            if exhausted:
                return
            continue
        try:
            finished = engine.step()
        except EngineUnavailable:
            raise                     # the task fails, so that Spark retries it
        except Exception as exc:  # noqa: BLE001 - a failed step must not lose the rows
            finished = _fail_all(engine, f"generation failed: {type(exc).__name__}: {exc}")
        for request in finished:
            batch, row = request.request_id
            batch.results[row] = _result(request, engine.tokenizer)
            batch.pending -= 1


def _submit(engine, encoder, defaults, prompts: pd.Series, overrides: pd.DataFrame) -> _Batch:
    batch = _Batch(len(prompts))
    records = overrides.to_dict("records") if len(overrides.columns) else [{}] * len(prompts)
    for row, (prompt, override) in enumerate(zip(prompts, records)):
        try:
            params, system = row_params(defaults, override)
            room = engine.max_model_len - params.max_new_tokens
            if room < 1:
                raise ValueError(f"max_new_tokens={params.max_new_tokens} leaves no room for a "
                                 f"prompt in the context of {engine.max_model_len} tokens")
            engine.add_request((batch, row), encoder.encode(prompt, room, system), params)
            batch.pending += 1
        except ValueError as exc:
            batch.results[row] = error_result(str(exc))
    return batch


def _in_flight(engine: LLMEngine) -> int:
    return engine.scheduler.num_in_flight


def _fail_all(engine: LLMEngine, message: str) -> list[Request]:
    failed = engine.unfinished()
    engine.reset()
    for request in failed:
        request.finish(FinishReason.ERROR)
        request.error = message
    return failed


def _result(request: Request, tokenizer) -> dict:
    if request.finish_reason is FinishReason.ERROR:
        return error_result(request.error, len(request.prompt_ids))
    text = tokenizer.decode(request.output_ids, skip_special_tokens=True)
    if request.stop_text_end is not None:
        text = text[:request.stop_text_end]
    return {"text": text, "finish_reason": request.finish_reason.value,
            "prompt_tokens": request.prompt_len, "completion_tokens": len(request.output_ids),
            "error": None}


def error_result(message: str, prompt_tokens: int | None = None) -> dict:
    return {"text": None, "finish_reason": FinishReason.ERROR.value,
            "prompt_tokens": prompt_tokens, "completion_tokens": None, "error": message}


def _frame(results: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(results, columns=list(COLUMNS))
    for column in ("prompt_tokens", "completion_tokens"):
        frame[column] = frame[column].astype("Int32")
    return frame
