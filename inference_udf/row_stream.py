"""generate_rows: the body of the generation UDF, on three threads so that the engine never
waits for Python between steps.

- The reader thread pulls batches (a batch is a list of prompt values and a list of per-row
  override dicts, as ``arrow_rows.generate_inputs`` reads them from Arrow) and turns each row
  into prompt ids and sampling settings, or its error, up to ``READ_AHEAD`` batches ahead. It
  encodes with its own copy of the tokenizer: a fast tokenizer must not encode on one thread
  while another thread uses it (decoding on two threads at once is safe).
- The engine thread admits prepared rows whenever fewer than ``rows_ahead`` are in flight,
  steps the engine, and hands on each batch whose rows are all done.
- The UDF's own thread turns a finished batch's requests into text and its output rows and
  yields them (Spark writes them out as Arrow on this thread).

Rows keep their order and their batches: every output batch lines up with its input batch (only
the total row count must match for an iterator UDF). A row that cannot be prepared (a bad prompt
or per-row value) gets its error at once and never reaches the engine. Within a batch, rows
enter the engine longest ``max_new_tokens`` first (``batch_order``): a batch is done when its
slowest row is.

Nothing depends on timing: the engine thread takes the next batch exactly where a
single-threaded loop would read it (whenever fewer than ``rows_ahead`` rows are in flight),
waiting for the reader if it is behind, so the engine sees the same batches from run to run and
a retried task gives the same output (greedy or seeded).
"""

from __future__ import annotations

import copy
import dataclasses
import queue
import threading
from collections import deque
from typing import Iterator

from inference_udf.batch_order import longest_first
from inference_udf.engine_client import EngineUnavailable
from inference_udf.outputs import OutputOptions
from inference_udf.prompts import PromptEncoder
from inference_udf.request import FinishReason, Request
from inference_udf.row_params import row_params
from inference_udf.sampling_params import SamplingParams

READ_AHEAD = 4          # prepared batches the reader may hold ahead of the engine
_POLL_S = 0.1           # how often a waiting thread looks whether the task is over


class _Batch:
    def __init__(self, size: int):
        self.results: list[dict | None] = [None] * size
        self.prepared: list[tuple[int, list[int], list[SamplingParams]]] = []
        self.answers: dict[int, list[Request]] = {}     # row -> its finished requests so far
        self.pending = 0                                # rows not finished yet


class _End:
    """The last item of a queue: the input ended (``error`` None) or a thread failed."""

    def __init__(self, error: BaseException | None = None):
        self.error = error


def generate_rows(engine, encoder: PromptEncoder, defaults: SamplingParams,
                  batches: Iterator[tuple[list, list[dict]]], rows_ahead: int,
                  output: OutputOptions = OutputOptions()) -> Iterator:
    stop = threading.Event()
    prepared: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    finished: queue.Queue = queue.Queue()
    reader = threading.Thread(
        target=_read, name="uwfq-rows-reader", daemon=True,
        args=(iter(batches), _own_encoder(encoder), defaults, output, engine.max_model_len,
              prepared, stop))
    driver = threading.Thread(target=_drive, name="uwfq-engine", daemon=True,
                              args=(engine, prepared, finished, rows_ahead, output, stop))
    reader.start()
    driver.start()
    try:
        while True:
            batch = finished.get()
            if isinstance(batch, _End):
                if batch.error is not None:
                    raise batch.error
                return
            for row, answers in batch.answers.items():
                batch.results[row] = output.result(answers, engine.tokenizer)
            yield output.frame(batch.results)
    finally:
        stop.set()
        interrupt = getattr(engine, "interrupt", None)
        if interrupt is not None and driver.is_alive():
            interrupt()
        # The engine is reused by the worker's next task: its thread must be gone first (at
        # most the step it is in). The reader may be blocked on Spark's input; it is a daemon.
        driver.join()


def _read(batches, encoder, defaults, output, max_model_len, prepared, stop) -> None:
    try:
        for prompts, overrides in batches:
            if not _put(prepared, _prepare(encoder, defaults, output, max_model_len, prompts,
                                           overrides), stop):
                return
        _put(prepared, _End(), stop)
    except BaseException as exc:  # noqa: BLE001 - handed to the UDF's thread, which raises it
        _put(prepared, _End(exc), stop)


def _drive(engine, prepared, finished, rows_ahead, output, stop) -> None:
    try:
        open_batches: deque[_Batch] = deque()
        exhausted = False
        while not stop.is_set():
            while not exhausted and engine.scheduler.num_in_flight < rows_ahead:
                batch = _get(prepared, stop)
                if batch is None:
                    return
                if isinstance(batch, _End):
                    if batch.error is not None:
                        raise batch.error
                    exhausted = True
                else:
                    _submit(engine, output, batch)
                    open_batches.append(batch)
            while open_batches and open_batches[0].pending == 0:
                finished.put(open_batches.popleft())
            if not engine.has_unfinished:
                if exhausted:
                    finished.put(_End())
                    return
                continue
            try:
                done = engine.step()
            except EngineUnavailable:
                raise                     # the task fails, so that Spark retries it
            except Exception as exc:  # noqa: BLE001 - a failed step must not lose the rows
                done = _fail_all(engine, f"generation failed: {type(exc).__name__}: {exc}")
            for request in done:
                batch, row, sample = request.request_id
                answers = batch.answers.setdefault(row, [None] * output.n)
                answers[sample] = request
                if all(a is not None for a in answers):
                    batch.pending -= 1
    except BaseException as exc:  # noqa: BLE001 - handed to the UDF's thread, which raises it
        finished.put(_End(exc))


def _prepare(encoder, defaults, output, max_model_len, prompts: list,
             overrides: list[dict]) -> _Batch:
    """Prompt ids and settings for each row of a batch (reader thread); errors in their rows."""
    batch = _Batch(len(prompts))
    for row, (prompt, override) in enumerate(zip(prompts, overrides)):
        try:
            params, system = row_params(defaults, override)
            room = max_model_len - params.max_new_tokens
            if room < 1:
                raise ValueError(f"max_new_tokens={params.max_new_tokens} leaves no room for a "
                                 f"prompt in the context of {max_model_len} tokens")
            prompt_ids = encoder.encode(prompt, room, system)
            samples = [_nth(params, sample) for sample in range(output.n)]   # all valid first
            batch.prepared.append((row, prompt_ids, samples))
        except ValueError as exc:
            batch.results[row] = output.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - e.g. a chat template refusing the messages
            batch.results[row] = output.error(f"the row could not be prepared: "
                                              f"{type(exc).__name__}: {exc}")
    return batch


def _submit(engine, output, batch: _Batch) -> None:
    """Queue a prepared batch's rows in the engine (engine thread), longest limit first."""
    prepared = batch.prepared
    order = longest_first([samples[0].max_new_tokens for _, _, samples in prepared])
    for row, prompt_ids, samples in (prepared[i] for i in order):
        try:
            for sample, sample_params in enumerate(samples):
                engine.add_request((batch, row, sample), prompt_ids, sample_params)
            batch.pending += 1
        except ValueError as exc:       # it can never fit the engine
            batch.results[row] = output.error(str(exc))
    batch.prepared = []


def _own_encoder(encoder: PromptEncoder) -> PromptEncoder:
    """The encoder with a copy of its tokenizer, made once per tokenizer (for the reader)."""
    tokenizer = encoder.tokenizer
    entry = _TOKENIZER_COPIES.get(id(tokenizer))
    if entry is None or entry[0] is not tokenizer:
        entry = _TOKENIZER_COPIES[id(tokenizer)] = (tokenizer, copy.deepcopy(tokenizer))
    own = copy.copy(encoder)
    own.tokenizer = entry[1]
    return own


_TOKENIZER_COPIES: dict[int, tuple] = {}


def _put(target: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            target.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            pass
    return False


def _get(source: queue.Queue, stop: threading.Event):
    while not stop.is_set():
        try:
            return source.get(timeout=_POLL_S)
        except queue.Empty:
            pass
    return None


def _nth(params: SamplingParams, sample: int) -> SamplingParams:
    """The ``sample``-th of n answers: a seeded row gives each answer its own seed."""
    if sample == 0 or params.seed is None:
        return params
    return dataclasses.replace(params, seed=params.seed + sample)


def _fail_all(engine, message: str) -> list[Request]:
    failed = engine.unfinished()
    engine.reset()
    for request in failed:
        request.finish(FinishReason.ERROR)
        request.error = message
    return failed
