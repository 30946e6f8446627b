"""uwfq bench-llm: the LLM batching benchmark (needs the ``llm`` extra; torch loads lazily)."""

from __future__ import annotations


def register(sub) -> None:
    from inference_udf.benchmark_run import add_arguments

    parser = sub.add_parser("bench-llm", help="compare LLM batching methods (tokens/s, latency)")
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from inference_udf.benchmark_run import run as run_benchmark

    return run_benchmark(args)
