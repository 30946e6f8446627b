"""Batched LLM generation and scoring for Spark DataFrames, with temporal fusion.

Files, one concept each: ``request`` (state), ``sampling_params``, ``kv_pool`` (block KV pool),
``admission`` (policies), ``scheduler``, ``families`` (what runs exactly), ``model_runner``,
``sampler``, ``stopping``, ``engine`` (the loop), ``prompts``, ``device``, ``loading``,
``arrow_rows`` (Arrow batches to Python rows and back), ``row_params``, ``row_stream`` and
``score_rows`` (UDF bodies), ``outputs`` (the result struct),
``scoring``, ``udf`` (factories), ``tiny`` and ``smollm2`` (checkpoints for tests and examples).

torch and transformers are imported lazily, so ``import inference_udf`` stays cheap.
"""

from __future__ import annotations

from inference_udf.udf import GENERATE_SCHEMA, SCORE_SCHEMA, generate_udf, score_udf

__all__ = ["generate_udf", "score_udf", "GENERATE_SCHEMA", "SCORE_SCHEMA"]
