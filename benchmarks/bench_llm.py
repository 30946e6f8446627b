"""LLM batching benchmark: sequential vs static vs transformers CB vs ours (inference_udf).

    python benchmarks/bench_llm.py                # tiny Llama, CPU, 1 thread
    python benchmarks/bench_llm.py --model /path/to/checkpoint --device cuda --threads 4

Same as ``uwfq bench-llm``. Writes benchmarks/results/bench_llm.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

from uwfq_lab.llm_bench.run import add_arguments, run  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
