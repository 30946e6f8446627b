"""The benchmark's targets, checked on one run's results: each a line saying met or not.

- ours over static batching reaches 0.85 of the padding-free bound (static's row-steps over the
  useful ones), in tokens/s and in tokens per CPU-second;
- ours is at least 1.3x transformers' continuous batching in tokens/s and no worse per CPU-second;
- every method's greedy output equals the one-at-a-time reference;
- at equal KV bytes, on mostly short outputs (median at most 25% of the limit), Past-Future runs
  at least 2x as many requests at once as the full-length slot pool, with under 5% preempted.
"""

from __future__ import annotations

BOUND_SHARE = 0.85
OVER_HF_CONTINUOUS = 1.3
PAST_FUTURE_CONCURRENCY = 2.0
MAX_PREEMPTED_SHARE = 0.05
SHORT_OUTPUT_SHARE = 0.25


def check(result: dict) -> list[dict]:
    """``[{"target": text, "value": text, "met": bool}]`` for the targets the run measured."""
    out = []
    ratios, bound = result["ratios"], result["padding_free_bound"]
    for unit in ("tokens/s", "tokens/CPU-s"):
        ratio = ratios.get(f"ours/static {unit}")
        if ratio is not None:
            out.append(_line(f"ours/static {unit} >= {BOUND_SHARE} x padding-free bound "
                             f"({BOUND_SHARE * bound:.2f})", ratio["median"],
                             ratio["median"] >= BOUND_SHARE * bound))
    for unit, least in (("tokens/s", OVER_HF_CONTINUOUS), ("tokens/CPU-s", 1.0)):
        ratio = ratios.get(f"ours/hf_continuous {unit}")
        if ratio is not None:
            out.append(_line(f"ours/hf_continuous {unit} >= {least}", ratio["median"],
                             ratio["median"] >= least))
    requests = result["config"]["requests"]
    for row in result["rows"]:
        out.append({"target": f"{row['method']}: every output equals one-at-a-time generate",
                    "value": f"{row['exact']}/{requests}", "met": row["exact"] == requests})
    kv = {row["setup"]: row for row in result["kv_comparison"]}
    slot = next((r for name, r in kv.items() if name.startswith("slot pool")), None)
    past = next((r for name, r in kv.items() if name.endswith("past_future")), None)
    if slot and past:
        short = past["median_output_over_limit"] <= SHORT_OUTPUT_SHARE
        concurrency = past["mean_in_flight"] / slot["mean_in_flight"]
        preempted = past["preempted"] / past["requests"]
        out.append(_line(f"workload mostly short: median output / limit <= {SHORT_OUTPUT_SHARE}",
                         past["median_output_over_limit"], short))
        out.append(_line(f"past_future mean in flight >= {PAST_FUTURE_CONCURRENCY} x slot pool's "
                         f"(equal KV bytes: {past['kv_bytes']} vs {slot['kv_bytes']})",
                         concurrency, concurrency >= PAST_FUTURE_CONCURRENCY
                         and past["kv_bytes"] <= slot["kv_bytes"]))
        out.append(_line(f"past_future requests preempted < {MAX_PREEMPTED_SHARE:.0%}", preempted,
                         preempted < MAX_PREEMPTED_SHARE))
    return out


def _line(target: str, value: float, met: bool) -> dict:
    return {"target": target, "value": f"{value:.2f}", "met": bool(met)}


def text(lines: list[dict]) -> str:
    return "\n".join(f"- [{'met' if line['met'] else 'NOT met'}] {line['target']}: {line['value']}"
                     for line in lines)
