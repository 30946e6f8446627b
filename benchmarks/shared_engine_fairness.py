"""The shared engine's user order, counted in engine steps and decoded tokens (no wall time).

    python benchmarks/shared_engine_fairness.py

(1) Two users with weights 2:1, both backlogged: decode tokens per user while both wait.
(2) A small job (4 requests) arriving behind a large one (48 requests): engine steps until the
small job is done, user-fair against FIFO admission. Tiny Llama on the CPU; writes
benchmarks/results/shared_engine_fairness.{json,md} with the machine and commit.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

import torch  # noqa: E402

from inference_udf.engine import LLMEngine  # noqa: E402
from inference_udf.sampling_params import SamplingParams  # noqa: E402
from inference_udf.shared_engine import SharedEngine  # noqa: E402
from inference_udf.tiny import write_tiny_checkpoint  # noqa: E402
from uwfq_lab.provenance import git_commit, machine_info  # noqa: E402

NO_EOS = 10_000


def shared(model, fifo=False, weights=None):
    engine = LLMEngine(model, max_num_seqs=8, max_model_len=128, eos_token_ids=[NO_EOS])
    return SharedEngine(engine, weights, fifo=fifo)


def weighted_split(model) -> dict:
    core = shared(model, weights={"alice": 2, "bob": 1})
    for i in range(64):
        core.submit("a", i, [3 + i % 50, 7], SamplingParams(16), "alice")
        core.submit("b", i, [5 + i % 40, 9], SamplingParams(16), "bob")
    while len(core.queue.backlogged_users()) >= 2:
        core.step()
    tokens = dict(core.contended_tokens)
    return {"alice_tokens": tokens["alice"], "bob_tokens": tokens["bob"],
            "ratio": round(tokens["alice"] / tokens["bob"], 3)}


def small_behind_large(model, fifo: bool) -> int:
    core = shared(model, fifo=fifo)
    for i in range(48):
        core.submit("large", i, [3 + i, 4], SamplingParams(24), "big")
    for _ in range(3):
        core.step()
    for i in range(4):
        core.submit("small", i, [8 + i, 6], SamplingParams(8), "small")
    start, left = core.steps, 4
    while left:
        left -= sum(1 for pending, _ in core.step() if pending.owner == "small")
    return core.steps - start


def main() -> int:
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        model = AutoModelForCausalLM.from_pretrained(write_tiny_checkpoint(folder)).eval()
    split = weighted_split(model)
    fair, fifo = small_behind_large(model, False), small_behind_large(model, True)
    result = {"weights_2_to_1": split,
              "small_job_steps": {"user_fair": fair, "fifo": fifo, "speedup": round(fifo / fair, 2)}}
    lines = ["| measure | value |", "|---|---|",
             f"| weights 2:1, both backlogged: alice / bob decode tokens | {split['alice_tokens']} / "
             f"{split['bob_tokens']} (ratio {split['ratio']}) |",
             f"| small job behind a large one: engine steps to finish, user-fair | {fair} |",
             f"| same, FIFO admission | {fifo} |",
             f"| FIFO / user-fair | {result['small_job_steps']['speedup']}x |"]
    print("\n".join(lines))
    meta = {"commit": git_commit(), "machine": machine_info(torch=torch.__version__)}
    out = _CHECKOUT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "shared_engine_fairness.json").write_text(json.dumps({"meta": meta, **result}, indent=2))
    (out / "shared_engine_fairness.md").write_text(
        f"# Shared engine: user-fair decode slots\n\ncommit {meta['commit']}; "
        f"{json.dumps(meta['machine'])}\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
