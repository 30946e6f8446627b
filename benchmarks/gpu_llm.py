"""Decode-step throughput on a GPU against the memory roofline, beside transformers' generate.

    python benchmarks/gpu_llm.py                 # H100/H200: 4 shapes x batch 16/64/128 (< 8 min)
    python benchmarks/gpu_llm.py --smoke         # CPU, a tiny config (the test suite runs this)

Qwen2- and Llama-shaped configs of ~0.5B and ~1B parameters with random bf16 weights (no model
hub). For each batch size the engine's decode step (``LLMEngine.step`` with every slot busy)
is timed over steady steps: tokens/s, step time, and the bytes a step must read (all weights
plus the live KV) over the step time, as a fraction of the device-to-device copy bandwidth
measured here (a copy reads and writes each byte: 2 x size / time), eager and with the decode
step replayed as CUDA graphs (``LLMEngine(cuda_graphs=True)``; on the CPU there are no graphs and
the graphed columns stay empty). Beside it, transformers' ``generate`` with static batching and a
static cache, its prefill subtracted. Writes benchmarks/results/gpu_llm.{json,md} with the
machine and commit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

import torch  # noqa: E402

from inference_udf.engine import LLMEngine  # noqa: E402
from inference_udf.sampling_params import SamplingParams  # noqa: E402
from uwfq_lab.provenance import git_commit, machine_info  # noqa: E402

SHAPES = {
    # name: (family, hidden, layers, heads, kv_heads, intermediate, vocab)
    "qwen2-0.5b": ("qwen2", 896, 24, 14, 2, 4864, 151936),
    "qwen2-1b": ("qwen2", 1536, 20, 12, 2, 8960, 151936),
    "llama-0.5b": ("llama", 1024, 16, 16, 4, 4096, 128256),
    "llama-1b": ("llama", 2048, 16, 32, 8, 8192, 128256),
    "tiny": ("llama", 64, 2, 4, 2, 128, 512),
}
PROMPT_LEN = 128


def build(shape: str, device: torch.device, dtype: torch.dtype):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    family, hidden, layers, heads, kv_heads, inter, vocab = SHAPES[shape]
    config_class, model_class = ((Qwen2Config, Qwen2ForCausalLM) if family == "qwen2"
                                 else (LlamaConfig, LlamaForCausalLM))
    config = config_class(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                          num_key_value_heads=kv_heads, intermediate_size=inter, vocab_size=vocab,
                          max_position_embeddings=4096, tie_word_embeddings=False,
                          eos_token_id=None, bos_token_id=1, pad_token_id=0)
    torch.manual_seed(0)
    with torch.device(device):
        model = model_class(config).to(dtype)
    return model.eval()


def copy_bandwidth(device: torch.device, size_mb: int) -> float:
    """Bytes per second a device-to-device copy moves (read + write)."""
    source = torch.empty(size_mb << 20, dtype=torch.uint8, device=device)
    target = torch.empty_like(source)
    target.copy_(source)
    _sync(device)
    start = time.perf_counter()
    repeats = 10
    for _ in range(repeats):
        target.copy_(source)
    _sync(device)
    return 2 * source.numel() * repeats / (time.perf_counter() - start)


def engine_decode(model, batch: int, steps: int, cuda_graphs: bool = False) -> dict:
    engine = LLMEngine(model, max_num_seqs=batch, num_staging_slots=1,
                       max_model_len=PROMPT_LEN + steps + 8, eos_token_ids=[],
                       cuda_graphs=cuda_graphs)
    prompts = [[(7 * i + j) % 500 + 3 for j in range(PROMPT_LEN)] for i in range(batch)]
    for i, prompt in enumerate(prompts):
        engine.add_request(i, prompt, SamplingParams(max_new_tokens=steps + 4))
    while len(engine.scheduler.running) < batch:          # prefill everything first
        engine.step()
    for _ in range(2):                                     # warm-up decode steps (and captures)
        engine.step()
    device = model.device
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        engine.step()
    _sync(device)
    step_s = (time.perf_counter() - start) / steps
    live_tokens = sum(r.num_tokens for r in engine.scheduler.running)
    kv_bytes = live_tokens * engine.runner.pool.bytes_per_token
    graphs = engine.runner.graphs
    return {"step_ms": step_s * 1e3, "tokens_per_s": batch / step_s, "kv_bytes": kv_bytes,
            "graphed": bool(graphs is not None and graphs.enabled and graphs.captured)}


@torch.inference_mode()
def generate_static(model, batch: int, steps: int) -> dict:
    input_ids = torch.randint(3, 500, (batch, PROMPT_LEN), device=model.device)
    mask = torch.ones_like(input_ids)

    def timed(new_tokens: int) -> float:
        _sync(model.device)
        start = time.perf_counter()
        model.generate(input_ids, attention_mask=mask, do_sample=False, max_new_tokens=new_tokens,
                       min_new_tokens=new_tokens, cache_implementation="static", pad_token_id=0)
        _sync(model.device)
        return time.perf_counter() - start

    timed(2)                                               # warm-up
    step_s = (timed(steps + 1) - timed(1)) / steps         # prefill subtracted
    return {"step_ms": step_s * 1e3, "tokens_per_s": batch / step_s}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(args) -> list[dict]:
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    bandwidth = copy_bandwidth(device, 64 if args.smoke else 2048)
    rows = []
    for shape in args.shapes:
        model = build(shape, device, dtype)
        weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
        for batch in args.batches:
            ours = engine_decode(model, batch, args.steps)
            graphed = (engine_decode(model, batch, args.steps, cuda_graphs=True)
                       if device.type == "cuda" and not args.no_graphs else None)
            if graphed is not None and not graphed["graphed"]:
                graphed = None                             # capture failed: it ran eager
            theirs = generate_static(model, batch, args.steps)
            read = weight_bytes + ours["kv_bytes"]
            rows.append({
                "shape": shape, "params_m": round(weight_bytes / 1e6 / (2 if dtype == torch.bfloat16 else 4), 2),
                "batch": batch, "engine_step_ms": round(ours["step_ms"], 3),
                "engine_tokens_per_s": round(ours["tokens_per_s"], 1),
                "engine_roofline_fraction": round(read / (ours["step_ms"] / 1e3) / bandwidth, 4),
                "graphed_step_ms": round(graphed["step_ms"], 3) if graphed else None,
                "graphed_tokens_per_s": round(graphed["tokens_per_s"], 1) if graphed else None,
                "graphed_roofline_fraction": (round(read / (graphed["step_ms"] / 1e3) / bandwidth, 4)
                                              if graphed else None),
                "generate_static_step_ms": round(theirs["step_ms"], 3),
                "generate_static_tokens_per_s": round(theirs["tokens_per_s"], 1),
                "bytes_per_step_mb": round(read / 2**20, 1),
            })
            print(_line(rows[-1]), flush=True)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def _line(row: dict) -> str:
    return " | ".join(str(row[k]) for k in COLUMNS)


COLUMNS = ("shape", "params_m", "batch", "engine_step_ms", "engine_tokens_per_s",
           "engine_roofline_fraction", "graphed_step_ms", "graphed_tokens_per_s",
           "graphed_roofline_fraction", "generate_static_step_ms",
           "generate_static_tokens_per_s", "bytes_per_step_mb")


def write(rows: list[dict], args, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(args.device)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    meta = {"commit": git_commit(), "machine": machine_info(gpu=gpu, torch=torch.__version__),
            "device": args.device, "steps": args.steps, "prompt_len": PROMPT_LEN}
    (out / "gpu_llm.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    table = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    table += ["| " + _line(row) + " |" for row in rows]
    (out / "gpu_llm.md").write_text(
        f"# Decode step on {gpu or args.device}\n\ncommit {meta['commit']}; "
        f"{json.dumps(meta['machine'])}\n\n" + "\n".join(table) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="CPU, the tiny shape, a few steps")
    parser.add_argument("--device", default=None)
    parser.add_argument("--shapes", nargs="+", default=None, choices=sorted(SHAPES))
    parser.add_argument("--batches", nargs="+", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--no-graphs", action="store_true", help="eager steps only")
    parser.add_argument("--out", default=str(_CHECKOUT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.smoke:
        args.device = args.device or "cpu"
        args.shapes, args.batches = args.shapes or ["tiny"], args.batches or [2, 4]
        args.steps = args.steps or 4
        torch.set_num_threads(1)
    else:
        args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        args.shapes = args.shapes or ["qwen2-0.5b", "qwen2-1b", "llama-0.5b", "llama-1b"]
        args.batches, args.steps = args.batches or [16, 64, 128], args.steps or 32
    print(" | ".join(COLUMNS), flush=True)
    rows = run(args)
    write(rows, args, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
