"""generate_rows: the body of the generation UDF.

Reads batches ahead into the engine until enough rows are in flight to keep it full (a batch is
a list of prompt values and a list of per-row override dicts, as ``arrow_rows.generate_inputs``
makes them from Arrow), steps the engine, and yields each input batch's results as soon as all
its rows are done, in input order. Only the total row count must match for an iterator UDF, but
we also keep batch boundaries, so every output batch lines up with its input batch. A row that
cannot be prepared (a bad prompt or per-row value) gets its error at once and never reaches the
engine.

Single-threaded on purpose: admission order is row order and nothing depends on timing, so a
retried task replays the same batches and gives the same output (greedy or seeded).
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

from inference_udf.engine import LLMEngine
from inference_udf.engine_client import EngineUnavailable
from inference_udf.outputs import OutputOptions
from inference_udf.prompts import PromptEncoder
from inference_udf.request import FinishReason, Request
from inference_udf.row_params import row_params
from inference_udf.sampling_params import SamplingParams


class _Batch:
    def __init__(self, size: int):
        self.results: list[dict | None] = [None] * size
        self.answers: dict[int, list[Request]] = {}     # row -> its finished requests so far
        self.pending = 0                                # rows not finished yet


def generate_rows(engine: LLMEngine, encoder: PromptEncoder, defaults: SamplingParams,
                  batches: Iterator[tuple[list, list[dict]]], rows_ahead: int,
                  output: OutputOptions = OutputOptions()) -> Iterator:
    batches = iter(batches)
    open_batches: list[_Batch] = []
    exhausted = False
    while True:
        while not exhausted and _in_flight(engine) < rows_ahead:
            chunk = next(batches, None)
            if chunk is None:
                exhausted = True
            else:
                open_batches.append(_submit(engine, encoder, defaults, output, *chunk))
        while open_batches and open_batches[0].pending == 0:
            yield output.frame(open_batches.pop(0).results)
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
            batch, row, sample = request.request_id
            answers = batch.answers.setdefault(row, [None] * output.n)
            answers[sample] = request
            if all(a is not None for a in answers):
                batch.results[row] = output.result(answers, engine.tokenizer)
                batch.pending -= 1


def _submit(engine, encoder, defaults, output, prompts: list, overrides: list[dict]) -> _Batch:
    batch = _Batch(len(prompts))
    for row, (prompt, override) in enumerate(zip(prompts, overrides)):
        try:
            params, system = row_params(defaults, override)
            room = engine.max_model_len - params.max_new_tokens
            if room < 1:
                raise ValueError(f"max_new_tokens={params.max_new_tokens} leaves no room for a "
                                 f"prompt in the context of {engine.max_model_len} tokens")
            prompt_ids = encoder.encode(prompt, room, system)
            samples = [_nth(params, sample) for sample in range(output.n)]   # all valid first
            for sample, sample_params in enumerate(samples):
                engine.add_request((batch, row, sample), prompt_ids, sample_params)
            batch.pending += 1
        except EngineUnavailable:
            raise
        except ValueError as exc:
            batch.results[row] = output.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - e.g. a chat template refusing the messages
            batch.results[row] = output.error(f"the row could not be prepared: "
                                              f"{type(exc).__name__}: {exc}")
    return batch


def _nth(params: SamplingParams, sample: int) -> SamplingParams:
    """The ``sample``-th of n answers: a seeded row gives each answer its own seed."""
    if sample == 0 or params.seed is None:
        return params
    return dataclasses.replace(params, seed=params.seed + sample)


def _in_flight(engine: LLMEngine) -> int:
    return engine.scheduler.num_in_flight


def _fail_all(engine: LLMEngine, message: str) -> list[Request]:
    failed = engine.unfinished()
    engine.reset()
    for request in failed:
        request.finish(FinishReason.ERROR)
        request.error = message
    return failed
