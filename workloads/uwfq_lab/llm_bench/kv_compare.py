"""KV memory at equal bytes: the engine's token pool with Past-Future admission against the
slot pool it replaced (one slot of ``max_model_len`` tokens per request, so the number running
at once is the bytes divided by the worst case).

Counts, not timings: requests held at once (most, mean over decode steps, and mean over the
steps that began with requests waiting: the tail after the queue empties is the workload's, not
admission's), preemptions, and
the KV bytes each configuration allocates. Outputs are checked against the reference, so a
preempted and recomputed request must give the same tokens.
"""

from __future__ import annotations


def compare(model, prompts, limit: int, max_model_len: int, slots: int,
            eos_token_id: int) -> list[dict]:
    """Every request gets ``limit`` new tokens at most; the first setup's outputs are the
    reference for the others."""
    from inference_udf.engine import LLMEngine
    from inference_udf.kv_pool import DEFAULT_BLOCK_SIZE

    budget = slots * max_model_len
    # The pool keeps one block of slack per seat: the token pools, with 4x the seats, get a
    # budget smaller by the difference so that every setup allocates the same bytes.
    token_budget = budget - 3 * slots * DEFAULT_BLOCK_SIZE
    setups = (
        # The slot pool: every request charged the full context, ``slots`` of them at most.
        ("slot pool (reserve, max_model_len each)",
         dict(max_num_seqs=slots, num_staging_slots=0, kv_budget_tokens=budget,
              admission=_WorstCase(max_model_len))),
        ("token pool, reserve", dict(max_num_seqs=4 * slots, num_staging_slots=0,
                                     kv_budget_tokens=token_budget, admission="reserve")),
        ("token pool, past_future", dict(max_num_seqs=4 * slots, num_staging_slots=0,
                                         kv_budget_tokens=token_budget, admission="past_future")),
    )
    rows, reference = [], None
    for name, options in setups:
        engine = LLMEngine(model, max_model_len=max_model_len, eos_token_ids=[eos_token_id],
                           **options)
        row, outputs = _run(name, engine, prompts, [limit] * len(prompts), reference)
        reference = reference or outputs
        lengths = sorted(len(o) for o in outputs)
        row["median_output_over_limit"] = lengths[len(lengths) // 2] / limit
        rows.append(row)
    return rows


class _WorstCase:
    """Admission of the slot pool: each request holds ``max_model_len`` tokens whatever it needs."""

    def __init__(self, max_model_len: int):
        self.max_model_len = max_model_len

    def admits(self, request, running, budget_tokens):
        return (len(running) + 1) * self.max_model_len <= budget_tokens


def _run(name, engine, prompts, limits, reference) -> dict:
    from inference_udf.sampling_params import SamplingParams

    requests = [engine.add_request(i, p, SamplingParams(n))
                for i, (p, n) in enumerate(zip(prompts, limits))]
    in_flight, backlogged, steps = [], [], 0
    while engine.has_unfinished:
        # A step that starts with requests waiting shows what admission allows; once the queue
        # is empty, what runs is what is left of the workload (its tail), whatever the policy.
        waiting = bool(engine.scheduler.waiting)
        engine.step()
        steps += 1
        in_flight.append(len(engine.scheduler.running) + len(engine.scheduler.staged))
        if waiting:
            backlogged.append(in_flight[-1])
    pool = engine.runner.pool
    return {"setup": name, "most_in_flight": max(in_flight),
            "mean_in_flight": sum(in_flight) / len(in_flight),
            "mean_in_flight_backlogged": sum(backlogged) / max(1, len(backlogged)),
            "steps": steps,
            "preempted": sum(r.preemptions > 0 for r in requests),
            "preemptions": sum(r.preemptions for r in requests), "requests": len(requests),
            "kv_bytes": pool.nbytes, "budget_tokens": engine.scheduler.budget_tokens,
            "exact": sum(r.output_ids == ref for r, ref in zip(requests, reference or
                                                               [r.output_ids for r in requests]))
            }, [r.output_ids for r in requests]


def table(rows: list[dict]) -> str:
    lines = ["| KV setup (equal bytes) | most in flight | mean in flight | mean in flight while "
             "requests wait | decode steps | requests preempted | KV bytes | exact vs slot pool | "
             "median output / limit |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['setup']} | {r['most_in_flight']} | {r['mean_in_flight']:.1f} | "
                     f"{r['mean_in_flight_backlogged']:.1f} | "
                     f"{r['steps']} | {r['preempted']}/{r['requests']} "
                     f"({100 * r['preempted'] / r['requests']:.1f}%) | {r['kv_bytes'] / 2**20:.1f} MiB | "
                     f"{r['exact']}/{r['requests']} | {r['median_output_over_limit']:.2f} |")
    return "\n".join(lines)
