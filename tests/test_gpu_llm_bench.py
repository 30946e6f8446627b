"""benchmarks/gpu_llm.py runs end to end on the CPU with a tiny config and writes its table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_benchmark_smoke_runs_on_cpu(tmp_path):
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_llm.py"), "--smoke",
                    "--out", str(tmp_path)], check=True, timeout=600)
    result = json.loads((tmp_path / "gpu_llm.json").read_text())
    assert [(r["shape"], r["batch"]) for r in result["rows"]] == [("tiny", 2), ("tiny", 4)]
    for row in result["rows"]:
        assert row["engine_tokens_per_s"] > 0 and row["generate_static_tokens_per_s"] > 0
        assert 0 < row["engine_roofline_fraction"] < 1
        assert row["graphed_step_ms"] is None              # no CUDA graphs on the CPU
    assert result["meta"]["commit"] and "| tiny |" in (tmp_path / "gpu_llm.md").read_text()
