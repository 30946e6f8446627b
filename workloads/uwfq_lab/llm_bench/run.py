"""Run the batching benchmark end to end: load the model, run every method offline and online in
interleaved rounds, check outputs against the sequential reference, print every round and a table
of medians, write JSON and Markdown results with machine information and the git commit. Shared by ``uwfq bench-llm`` and
``benchmarks/bench_llm.py``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from uwfq_lab.llm_bench import targets
from uwfq_lab.provenance import cpu_model, git_commit


def add_arguments(parser) -> None:
    parser.add_argument("--model", default="smollm2",
                        help="smollm2 (SmolLM2-135M-Instruct, built once into .uwfq-cache/ by "
                             "inference_udf.smollm2), tiny (a tiny random model built here: fast), "
                             "or a checkpoint folder")
    parser.add_argument("--tiny-kind", default="llama", choices=["llama", "gpt2"],
                        help="tiny model to build with --model tiny")
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--limits", default="16,256",
                        help="output limits drawn uniformly from LOW,HIGH per request")
    parser.add_argument("--kv-slots", type=int, default=4,
                        help="KV comparison: bytes of this many max_model_len slots (0: skip)")
    parser.add_argument("--kv-limit", type=int, default=256,
                        help="KV comparison: max_new_tokens of every request")
    parser.add_argument("--max-in-flight", type=int, default=16,
                        help="slots (ours), requests per batch (transformers CB), chunk (static)")
    parser.add_argument("--mean-gap-ms", type=float, default=15.0, help="Poisson arrivals (online)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--methods", default="sequential,static,hf_continuous,ours",
                        help="comma-separated; 'none' runs only the KV comparison")
    parser.add_argument("--repeats", type=int, default=5,
                        help="rounds; each round runs every method back to back, alternating the "
                             "order (ABC, CBA, ...) so they see the same machine load. Medians "
                             "over rounds are reported, and every round is printed")
    parser.add_argument("--sequential-rounds", type=int, default=1,
                        help="rounds that include the slow one-at-a-time reference (at least 1: "
                             "its outputs are what every method is checked against)")
    parser.add_argument("--no-online", dest="online", action="store_false",
                        help="skip the Poisson-arrival runs (latency columns then come from the "
                             "offline runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/bench_llm",
                        help="results path without extension (.json and .md are written)")


def run(args) -> int:
    import torch

    from uwfq_lab.llm_bench import kv_compare, reference_cache
    from inference_udf.device import resolve_dtype
    from uwfq_lab.llm_bench.methods import (METHODS, SHORT_ASKS, make_chat_workload,
                                            make_workload, padding_free_bound, run_method)

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = resolve_dtype(args.dtype, device)
    methods = [] if args.methods == "none" else \
        [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if not (methods or args.methods == "none" and args.kv_slots) or unknown:
        print(f"uwfq bench-llm: --methods: {', '.join(unknown) or 'nothing given'} is not a "
              f"method; expected a comma-separated list of {', '.join(METHODS)}",
              file=sys.stderr)
        return 2
    load_before = _load_average()
    # The commit of the code that runs, read now: a run takes long enough for HEAD to move.
    commit = _git()
    with tempfile.TemporaryDirectory() as scratch:
        path = _model_path(args, scratch)
        model, vocab, eos, pad = _load(path, device, dtype)
        limits = tuple(int(x) for x in args.limits.split(","))
        tokenizer = _tokenizer(path)
        chat = bool(getattr(tokenizer, "chat_template", None)) and args.model != "tiny"
        if chat:
            work = make_chat_workload(tokenizer, args.requests, limits,
                                      mean_gap_s=args.mean_gap_ms / 1000, seed=args.seed)
            warm = make_chat_workload(tokenizer, 4, (4, 8), seed=args.seed + 1)
        else:
            work = make_workload(vocab, args.requests, limit_range=limits,
                                 mean_gap_s=args.mean_gap_ms / 1000,
                                 eos_token_id=eos, pad_token_id=pad, seed=args.seed)
            warm = make_workload(vocab, 4, eos_token_id=eos, pad_token_id=pad, seed=args.seed + 1)
        rows, rounds, round_loads, bound = [], [], [], None
        if methods:
            others = [m for m in methods if m != "sequential"]
            cache_key = reference_cache.key(path, work, dtype, device)
            # transformers' CB switches the model's attention implementation: it gets its own copy.
            models = {m: (_load(path, device, dtype)[0] if m == "hf_continuous" else model)
                      for m in ["sequential"] + others}
            for method in methods:
                run_method(method, models[method], warm, False, args.max_in_flight)
            raw: list[dict[str, tuple[dict, dict]]] = []
            round_loads: list[float | None] = []    # 1-minute load average after each round
            reference = None
            for index in range(max(1, args.repeats)):
                # Alternate the order so that no method always runs first (or last) in a round.
                order = others if index % 2 == 0 else others[::-1]
                if index < max(1, args.sequential_rounds) and "sequential" in methods:
                    order = ["sequential"] + order
                # The offline runs back to back, then the online ones: the throughput ratio compares
                # runs seconds apart, under about the same load from whatever else shares the cores.
                offline = {}
                for method in order:
                    offline[method] = run_method(method, models[method], work, False, args.max_in_flight)
                    if method == "sequential":
                        reference = offline[method]["outputs"]
                        reference_cache.store(cache_key, reference)
                raw.append({method: (offline[method], run_method(method, models[method], work, True,
                                                                 args.max_in_flight)
                                     if args.online else offline[method]) for method in order})
                round_loads.append(_load_average())
                print(f"  round {index + 1}/{args.repeats} (load {round_loads[-1]}): " + ", ".join(
                    f"{m} {o['tokens_per_s']:.0f} tok/s ({o['tokens_per_cpu_s']:.0f}/CPU-s)"
                    for m, (o, _) in raw[-1].items()), flush=True)
            if reference is None:
                # Without sequential in --methods: the stored reference for this model, workload and
                # versions (read only now, so a reference run elsewhere may finish meanwhile), else
                # one untimed sequential run.
                reference = reference_cache.load(cache_key)
                if reference is None:
                    reference = run_method("sequential", models["sequential"], work, False,
                                           args.max_in_flight)["outputs"]
                    reference_cache.store(cache_key, reference)
                else:
                    print(f"  one-at-a-time reference outputs from the cache ({cache_key})", flush=True)
            rounds = [{m: _figures(o, online, reference) for m, (o, online) in r.items()} for r in raw]
            rows = [_summary(m, [r[m] for r in rounds if m in r]) for m in methods]
            order = list(range(len(work.prompts)))
            bound = padding_free_bound([reference[i] for i in order], args.max_in_flight)
        kv_rows = []
        if args.kv_slots:
            # Mostly short answers under one generous limit: what Past-Future admission is for.
            kv_work = make_chat_workload(tokenizer, args.requests, (args.kv_limit, args.kv_limit),
                                         seed=args.seed, asks=SHORT_ASKS) if chat else work
            max_len = max(len(p) for p in kv_work.prompts) + args.kv_limit
            kv_rows = kv_compare.compare(model, kv_work.prompts, args.kv_limit, max_len,
                                         args.kv_slots, kv_work.eos_token_id)
    result = {"config": {k: v for k, v in vars(args).items() if k not in ("run", "command")},
              "model": path if args.model not in ("tiny", "smollm2") else (
                  "SmolLM2-135M-Instruct (inference_udf.smollm2)" if args.model == "smollm2"
                  else f"tiny random {args.tiny_kind} (inference_udf.tiny)"),
              "padding_free_bound": bound, "kv_comparison": kv_rows,
              "machine": {**_machine(), "load_average_1m": [load_before, _load_average()]},
              "git": commit, "rows": rows, "rounds": rounds, "round_load_average_1m": round_loads,
              "ratios": _ratios(rows, rounds),
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    result["targets"] = targets.check(result)
    table = _table(rows, len(work.prompts)) if rows else ""
    print(table)
    for name, value in result["ratios"].items():
        print(f"{name}: {_ratio_text(value)}")
    if bound is not None:
        print(f"padding-free bound over static (static row-steps / useful row-steps): {bound:.2f}")
    if kv_rows:
        table += ("\n\n" if table else "") + kv_compare.table(kv_rows)
        print(kv_compare.table(kv_rows))
    print("targets:\n" + targets.text(result["targets"]))
    _write(Path(args.out), result, table)
    return 0


def _figures(offline: dict, online: dict, reference: dict) -> dict:
    """One method's figures in one round, with how many outputs equal the reference."""
    return {"offline_s": offline["wall_s"], "offline_cpu_s": offline["cpu_s"],
            "tokens": offline["tokens"], "tokens_per_s": offline["tokens_per_s"],
            "tokens_per_cpu_s": offline["tokens_per_cpu_s"],
            "online_mean_s": online["latency_mean_s"], "online_p90_s": online["latency_p90_s"],
            "exact": sum(offline["outputs"].get(i) == reference[i] for i in reference),
            "exact_online": sum(online["outputs"].get(i) == reference[i] for i in reference)}


def _summary(method: str, measured: list[dict]) -> dict:
    """Medians over rounds; the fewest exact outputs seen in any round."""
    row = {"method": method, "rounds": len(measured)}
    for key in ("offline_s", "offline_cpu_s", "tokens_per_s", "tokens_per_cpu_s",
                "online_mean_s", "online_p90_s"):
        row[key] = statistics.median(m[key] for m in measured)
    row["tokens"] = measured[0]["tokens"]
    row["tokens_per_s_range"] = [min(m["tokens_per_s"] for m in measured),
                                 max(m["tokens_per_s"] for m in measured)]
    row["exact"] = min(m["exact"] for m in measured)
    row["exact_online"] = min(m["exact_online"] for m in measured)
    return row


def _model_path(args, scratch: str) -> str:
    if args.model == "tiny":
        return _tiny(scratch, args.tiny_kind)
    if args.model == "smollm2":
        from inference_udf.smollm2 import smollm2_checkpoint

        return str(smollm2_checkpoint())
    return args.model


def _tokenizer(path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def _tiny(folder: str, kind: str) -> str:
    from inference_udf.tiny import write_tiny_checkpoint

    return str(write_tiny_checkpoint(Path(folder) / kind, kind))


def _load(path, device, dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    eos = model.generation_config.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return model, len(tokenizer), eos if eos is not None else 2, pad


def _ratios(rows, rounds) -> dict:
    """ours against each other method: the median over rounds of the ratio within a round (the
    two ran back to back, under the same load), with the lowest and highest round."""
    names = {r["method"] for r in rows}
    out = {}
    if "ours" not in names:
        return out
    for other in ("static", "hf_continuous", "sequential"):
        if other not in names:
            continue
        for key, label in (("tokens_per_s", "tokens/s"), ("tokens_per_cpu_s", "tokens/CPU-s")):
            out[f"ours/{other} {label}"] = _paired(rounds, other, lambda r, o: r["ours"][key] / r[o][key])
    if "hf_continuous" in names:
        out["ours/hf_continuous mean latency"] = _paired(
            rounds, "hf_continuous", lambda r, o: r["ours"]["online_mean_s"] / r[o]["online_mean_s"])
    return out


def _paired(rounds, other, ratio) -> dict:
    values = [ratio(r, other) for r in rounds if "ours" in r and other in r]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": values}


def _ratio_text(value: dict) -> str:
    return (f"{value['median']:.2f} (median of {len(value['rounds'])} rounds; "
            f"range {value['min']:.2f}-{value['max']:.2f})")


def _table(rows, total: int) -> str:
    lines = ["| method | rounds | offline tokens/s (median) | range | offline tokens/CPU-s | "
             "online mean s | online p90 s | exact (offline/online) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        low, high = r["tokens_per_s_range"]
        lines.append(f"| {r['method']} | {r['rounds']} | {r['tokens_per_s']:.0f} | "
                     f"{low:.0f}-{high:.0f} | {r['tokens_per_cpu_s']:.0f} | "
                     f"{r['online_mean_s']:.3f} | {r['online_p90_s']:.3f} | "
                     f"{r['exact']}/{total} / {r['exact_online']}/{total} |")
    return "\n".join(lines)


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _machine() -> dict:
    import torch
    import transformers

    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__,
            "transformers": transformers.__version__, "torch_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def _git() -> dict:
    commit = git_commit()
    return {"commit": commit.split("+")[0], "dirty": commit.endswith("+uncommitted-changes")}


def _write(base: Path, result: dict, table: str) -> None:
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    config = result["config"]
    arrivals = (f"Poisson mean gap {config['mean_gap_ms']} ms" if config.get("online", True) else
                "offline runs only (--no-online: the latency columns are the offline runs')")
    workload = (f"{config['requests']} requests, output limits {config['limits']}, max in flight "
                f"{config['max_in_flight']}, {arrivals}"
                if result["rows"] else
                f"KV comparison only: {config['requests']} short-answer chat prompts, limit "
                f"{config['kv_limit']}, the bytes of {config['kv_slots']} full-length slots")
    lines = [f"# LLM batching benchmark ({result['when']})", "",
             f"Model: {result['model']}. {workload}, "
             f"{config['threads']} torch thread(s), device {config['device']}.", "",
             f"Machine: {result['machine']}", "",
             f"Commit: {result['git']['commit']}{' (dirty)' if result['git']['dirty'] else ''}",
             "", table, ""]
    lines += [f"- {name}: {_ratio_text(value)}" for name, value in result["ratios"].items()]
    if result["padding_free_bound"] is not None:
        lines += [f"- padding-free bound over static (static row-steps / useful row-steps): "
                  f"{result['padding_free_bound']:.2f}"]
    lines += ["", "Targets:", "", targets.text(result["targets"])]
    lines += ["", "Every round (offline tokens/s, then tokens per CPU-second):", ""]
    for index, (measured, load) in enumerate(zip(result["rounds"],
                                                 result["round_load_average_1m"]), 1):
        lines.append(f"- round {index} (load average {load}): " + ", ".join(
            f"{m} {f['tokens_per_s']:.0f} ({f['tokens_per_cpu_s']:.0f})" for m, f in measured.items()))
    base.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {base.with_suffix('.json')} and {base.with_suffix('.md')}")
