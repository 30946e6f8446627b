"""uwfq bench-llm: the LLM batching benchmark (needs the ``llm`` extra; torch loads lazily)."""

from __future__ import annotations


def register(sub) -> None:
    from uwfq_lab.llm_bench.run import add_arguments

    parser = sub.add_parser("bench-llm", help="compare LLM batching methods (tokens/s, latency)")
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from uwfq_lab.llm_bench.run import run as run_benchmark

    return run_benchmark(args)
