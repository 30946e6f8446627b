"""UDF factories in the style of ``pyspark.ml.functions.predict_batch_udf``.

    gen = generate_udf("/models/my-llm", max_new_tokens=64)
    df.withColumn("out", gen("prompt"))                        # struct: text, finish_reason, ...
    df.withColumn("out", gen("messages"))                      # array<struct<role, content>>
    df.withColumn("out", gen("prompt", max_new_tokens="n"))    # per-row override from column n

The model is loaded once per Python worker and reused across tasks. Each task streams its rows
through one engine (temporal fusion), reading Arrow batches ahead so the engine stays full.
They are Arrow UDFs (not pandas UDFs) so that an unreadable value fails only its own row
(``arrow_rows``).
"""

from __future__ import annotations

from typing import Iterator, Tuple

import pyarrow as pa

from inference_udf.admission import admission_policy
from inference_udf.outputs import OutputOptions
from inference_udf.row_params import OVERRIDABLE
from inference_udf.sampling_params import SamplingParams

GENERATE_SCHEMA = OutputOptions().schema
SCORE_SCHEMA = "logprob double, prompt_tokens int, completion_tokens int, error string"


class InferenceUDF:
    """An Arrow UDF plus named override columns: ``udf(col, ..., name=column)``."""

    def __init__(self, spark_udf, allowed_overrides: tuple[str, ...]):
        self.spark_udf = spark_udf
        self.allowed_overrides = allowed_overrides

    def __call__(self, *columns, **overrides):
        from pyspark.sql import functions as F

        unknown = sorted(set(overrides) - set(self.allowed_overrides))
        if unknown:
            raise TypeError(f"unknown per-row override(s) {unknown}: expected some of "
                            f"{list(self.allowed_overrides)}")
        if not self.allowed_overrides:
            return self.spark_udf(*columns)
        if overrides:
            fields = [_column(value).alias(name) for name, value in sorted(overrides.items())]
        else:
            fields = [F.lit(None).cast("string").alias("_none")]
        return self.spark_udf(*columns, F.struct(*fields))


def generate_udf(model: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                 top_p: float = 1.0, top_k: int = 0, stop: list[str] | None = None,
                 stop_token_ids: list[int] | None = None, seed: int | None = None,
                 chat_template: bool | str = False, system_prompt: str | None = None,
                 max_in_flight: int = 16, max_model_len: int | None = None,
                 kv_budget_tokens: int | None = None, admission: str = "reserve",
                 logprobs: int | None = None, n: int = 1,
                 overflow: str = "error", dtype: str = "auto", device: str = "auto",
                 num_threads: int | None = None, shared_engine: bool = False,
                 cuda_graphs: bool = False) -> InferenceUDF:
    """A generation UDF for the checkpoint folder ``model``.

    The input column holds prompt strings, or chat messages (``array<struct<role string,
    content string>>``, always rendered with a chat template). Returns a struct ``text,
    finish_reason (stop | length | error), prompt_tokens, completion_tokens, error``; with
    ``logprobs=k`` also ``token_logprobs`` (each generated token's log-probability) and, for
    k > 0, ``top_logprobs`` (the k likeliest tokens per step); with ``n > 1`` the answer fields
    become ``choices``, an array of n answers (a seeded row gives answer i the seed + i). A null,
    empty, binary or too-long prompt (``overflow="error"``; with ``"truncate"`` its start is
    dropped), text that is not valid UTF-8, or a per-row value of the wrong type or out of range
    gives an error row saying what to do; the other rows are unchanged and no row is lost. Up to ``max_in_flight`` requests
    share each decode step. Keys and values live in one pool of ``kv_budget_tokens`` tokens
    (default: ``max_in_flight`` x 1.5 x ``max_model_len`` on the CPU, half the free memory on a
    GPU), allocated once; requests take tokens as they grow. ``max_model_len`` (default 2048,
    capped by the model's context) bounds one request. ``device="auto"`` uses the GPU Spark
    assigned to the task, else the CPU with ``num_threads`` threads (default: spark.task.cpus).
    ``admission`` decides who may start within the budget:
    ``"reserve"`` charges each request its prompt + max_new_tokens; ``"past_future"`` (LightLLM)
    charges the peak KV use estimated from the output lengths of finished requests, so more
    requests run at once when outputs stop early (a request that outgrows the estimate is
    preempted and restarted: the same output for greedy or seeded decoding).

    ``shared_engine=True``: every concurrent task on an executor device sends its rows to one
    engine process there (one copy of the weights; all tasks' requests share each decode step;
    ``num_threads`` is then that process's thread count). Free decode slots go to Spark users
    (the task's ``uwfq.user``) by weighted virtual time over decoded tokens, with the weights of
    ``spark.uwfq.weights``, replaced by those of ``spark.uwfq.weightsFile`` when the engine
    process can read that file (re-read once a second). Off by default.

    ``cuda_graphs=True``: on a GPU, the decode step is captured as CUDA graphs per bucket of
    batch size and attention width and replayed (eager on the CPU, or if capture fails). Not
    yet run on a GPU; off by default.
    """
    from pyspark.sql.functions import arrow_udf

    from inference_udf.arrow_rows import arrow_type

    defaults = SamplingParams(max_new_tokens=max_new_tokens, temperature=temperature,
                              top_p=top_p, top_k=top_k, seed=seed, stop=tuple(stop or ()),
                              stop_token_ids=tuple(stop_token_ids or ()), logprobs=logprobs)
    _check_common(max_in_flight, overflow)
    _check_model_on_driver(model)
    admission_policy(admission)           # a bad name fails here, before any job
    output = OutputOptions(logprobs=logprobs, n=n)
    settings = dict(chat_template=chat_template, system_prompt=system_prompt, overflow=overflow,
                    dtype=dtype, device=device, num_threads=num_threads)
    engine_options = dict(max_num_seqs=max_in_flight, max_model_len=max_model_len,
                          kv_budget_tokens=kv_budget_tokens, admission=admission,
                          cuda_graphs=bool(cuda_graphs))
    shared = _shared_engine_config(model, settings, engine_options) if shared_engine else None

    result_type = arrow_type(output.schema)

    @arrow_udf(output.schema)
    def generate(batches: Iterator[Tuple[pa.Array, pa.Array]]) -> Iterator[pa.Array]:
        from inference_udf.arrow_rows import generate_inputs, to_arrow
        from inference_udf.loading import engine_for
        from inference_udf.row_stream import generate_rows

        rows = generate_inputs(batches)
        if shared is not None:
            frames = _generate_shared(shared, settings, defaults, rows, 2 * max_in_flight, output)
        else:
            loaded, encoder = _worker_model(model, settings)
            engine = engine_for(loaded, **engine_options)
            frames = generate_rows(engine, encoder, defaults, rows, rows_ahead=2 * max_in_flight,
                                   output=output)
        for frame in frames:
            yield to_arrow(frame, result_type)

    return InferenceUDF(generate, OVERRIDABLE)


def score_udf(model: str, *, chat_template: bool | str = False, system_prompt: str | None = None,
              batch_size: int = 16, max_model_len: int | None = None, overflow: str = "error",
              dtype: str = "auto", device: str = "auto",
              num_threads: int | None = None) -> InferenceUDF:
    """A scoring UDF: ``score("prompt", "completion")`` gives a struct ``logprob`` (the summed
    log-likelihood of the completion's tokens given the prompt), ``prompt_tokens``,
    ``completion_tokens`` and ``error``. Too-long rows lose the prompt's start with
    ``overflow="truncate"``, else become error rows."""
    from pyspark.sql.functions import arrow_udf

    from inference_udf.arrow_rows import arrow_type

    _check_common(batch_size, overflow)
    _check_model_on_driver(model)
    settings = dict(chat_template=chat_template, system_prompt=system_prompt, overflow=overflow,
                    dtype=dtype, device=device, num_threads=num_threads)

    result_type = arrow_type(SCORE_SCHEMA)

    @arrow_udf(SCORE_SCHEMA)
    def score(batches: Iterator[Tuple[pa.Array, pa.Array]]) -> Iterator[pa.Array]:
        from inference_udf.arrow_rows import to_arrow, values
        from inference_udf.score_rows import score_rows

        loaded, encoder = _worker_model(model, settings)
        context = loaded.model.config.get_text_config().max_position_embeddings
        limit = min(max_model_len or context, context)
        for prompts, completions in batches:
            frame = score_rows(loaded, encoder, values(prompts), values(completions), batch_size,
                               limit)
            yield to_arrow(frame, result_type)

    return InferenceUDF(score, ())


def _shared_engine_config(model: str, settings: dict, engine_options: dict) -> dict:
    from inference_udf.task_user import driver_weights_and_default_user

    weights, weights_file, default_user = driver_weights_and_default_user()
    return dict(model=str(model), dtype=settings["dtype"], engine_options=engine_options,
                weights=weights, weights_file=weights_file, default_user=default_user)


def _generate_shared(shared: dict, settings: dict, defaults, batches, rows_ahead: int, output):
    from inference_udf.device import resolve_device, task_cpus
    from inference_udf.engine_client import connect
    from inference_udf.prompts import PromptEncoder
    from inference_udf.row_stream import generate_rows
    from inference_udf.task_user import task_user

    tokenizer = _worker_tokenizer(shared["model"])
    encoder = PromptEncoder(tokenizer, settings["chat_template"], settings["system_prompt"],
                            settings["overflow"])
    config = dict(shared, device=str(resolve_device(settings["device"])),
                  num_threads=settings["num_threads"] or task_cpus())
    config.pop("default_user")
    engine = connect(config, tokenizer, task_user(shared["default_user"]))
    try:
        yield from generate_rows(engine, encoder, defaults, batches, rows_ahead=rows_ahead,
                                 output=output)
    finally:
        engine.close()


_tokenizers: dict = {}


def _worker_tokenizer(model: str):
    """The task side of a shared engine needs only the tokenizer, loaded once per worker."""
    if model not in _tokenizers:
        from transformers import AutoTokenizer

        _tokenizers[model] = AutoTokenizer.from_pretrained(model)
    return _tokenizers[model]


def _worker_model(model: str, settings: dict):
    from inference_udf.device import resolve_device, set_cpu_threads
    from inference_udf.loading import load_model
    from inference_udf.prompts import PromptEncoder

    device = resolve_device(settings["device"])
    set_cpu_threads(device, settings["num_threads"])
    loaded = load_model(model, device, settings["dtype"])
    encoder = PromptEncoder(loaded.tokenizer, settings["chat_template"],
                            settings["system_prompt"], settings["overflow"])
    return loaded, encoder


def _check_common(size: int, overflow: str) -> None:
    from inference_udf.prompts import OVERFLOW_MODES

    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"max_in_flight / batch_size must be an integer >= 1: got {size!r}")
    if overflow not in OVERFLOW_MODES:
        raise ValueError(f"overflow must be one of {OVERFLOW_MODES}: got {overflow!r}")


def _check_model_on_driver(model: str) -> None:
    """Refuse an architecture the engine cannot run before any job starts, when the driver can
    read the folder (executors may see paths the driver cannot; they check again at load)."""
    import os

    if not os.path.isfile(os.path.join(str(model), "config.json")):
        return
    from transformers import AutoConfig

    from inference_udf.families import check_supported

    check_supported(AutoConfig.from_pretrained(model))


def _column(value):
    from pyspark.sql import Column, functions as F

    return value if isinstance(value, Column) else F.col(value)
