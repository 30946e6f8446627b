"""Per-task engines against one shared engine, on a real executor (local-cluster, 4 task slots).

    python benchmarks/shared_engine_cluster.py [--rows 48] [--limits 8,48] [--repeats 3]
                                               [--seats 16] [--threads 1] [--model DIR]

Four partitions run at once on one executor, in two settings with the same total decode seats
and threads: per-task engines (each task's Python worker loads the model and runs its own engine
of ``--seats`` requests with ``--threads`` torch threads) and the shared engine (one engine
process per executor with 4 x ``--seats`` seats and 4 x ``--threads`` threads, every task's rows
in each decode step). Each row's ``max_new_tokens`` is drawn from ``--limits`` (seeded), as
real outputs vary in length.

Timing: one application runs both settings, each once to warm up (models loaded, engine
started), then ``--repeats`` rounds of both, order swapped each round; the table gives medians
and the median of the per-round ratios. The CPU time of the executor's Python workers and engine
processes is summed over each run (the machine may be shared: tokens per CPU-second is the
steadier figure). Memory: the peak proportional set size (PSS: shared pages split between the
processes sharing them) of those processes during a setting's first run on a fresh executor (the
shared engine's in the timing application, the per-task engines' in an application of their
own), and the weight copies on the executor then: models cached in its Python workers (a probe
job of many short tasks reaches every idle worker) plus the engine processes' models. Default
model: a tiny random Llama. Writes benchmarks/results/shared_engine_cluster.{json,md} with the
machine and commit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

from uwfq_lab.provenance import git_commit, machine_info  # noqa: E402

PARTITIONS = 4
SETTINGS = ("per-task", "shared")
_TICK = os.sysconf("SC_CLK_TCK")


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process."""
    table = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        table[int(proc.name)] = (ppid, cmd)
    return table


def inference_processes(app_id: str, model: str) -> dict[int, str]:
    """This application's executor JVM's Python processes (its descendants) and the engine
    processes for ``model`` (they leave the worker's session, so they are found by name):
    pid -> "worker" or "engine"."""
    table = _processes()
    found = {pid for pid, (_, cmd) in table.items()
             if ("CoarseGrainedExecutorBackend" in cmd and app_id in cmd)
             or ("inference_udf.engine_server" in cmd and model in cmd)}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in table.items() if ppid in found} - found
        found |= children
        grew = bool(children)
    kinds = {}
    for pid in found:
        ppid, cmd = table[pid]
        if "python" not in cmd:
            continue
        if "engine_server" in cmd:
            kinds[pid] = "engine"
        else:    # pyspark.daemon forks the workers: the daemon's parent is the executor JVM
            kinds[pid] = "daemon" if "python" not in table.get(ppid, (0, ""))[1] else "worker"
    return kinds


class Sampler:
    """Peak PSS of the inference processes, and their CPU time over the block."""

    def __init__(self, app_id: str, model: str):
        self.app_id, self.model, self.peak = app_id, model, 0
        self.cpu_start: dict[int, float] = {}
        self.cpu_end: dict[int, float] = {}
        self.kinds: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.kinds = inference_processes(self.app_id, self.model)
        self.cpu_start = {pid: cpu_seconds(pid) for pid in self.kinds}
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.kinds.update(inference_processes(self.app_id, self.model))
        self.cpu_end = {pid: cpu_seconds(pid) for pid in self.kinds}

    def cpu_by_process(self) -> dict[int, float]:
        return {pid: self.cpu_end.get(pid, 0.0) - self.cpu_start.get(pid, 0.0)
                for pid in self.kinds}

    def _run(self):
        while not self._stop.is_set():
            pids = inference_processes(self.app_id, self.model)
            self.kinds.update(pids)
            self.peak = max(self.peak, sum(pss_bytes(pid) for pid in pids))
            time.sleep(0.2)


def _session():
    from spark_uwfq.session import local_session

    return local_session(f"local-cluster[1,{PARTITIONS},3072]",
                         app_name="uwfq-shared-engine-bench", plugin=False,
                         conf={"spark.executorEnv.PYTHONPATH": str(_CHECKOUT),
                               "spark.sql.execution.arrow.maxRecordsPerBatch": "16"})


def _job(spark, args, setting: str):
    """The benchmark's DataFrame through ``setting``'s UDF: 4 partitions of ``args.rows``
    prompts, each row's max_new_tokens drawn from ``args.limits`` (seeded)."""
    import random

    from inference_udf import generate_udf
    from inference_udf.tiny import corpus

    shared = setting == "shared"
    low, high = args.limits
    rng = random.Random(11)
    data = [(i, text, rng.randint(low, high))
            for i, text in enumerate(corpus(PARTITIONS * args.rows, seed=11))]
    # Same total decode seats: 4 engines of --seats, or one of 4 x --seats; the shared engine
    # gets the threads of the 4 task slots it serves.
    udf = generate_udf(args.model, max_new_tokens=high, max_model_len=96 + high,
                       max_in_flight=args.seats * (PARTITIONS if shared else 1),
                       num_threads=args.threads * (PARTITIONS if shared else 1),
                       shared_engine=shared)
    df = spark.createDataFrame(data, "id int, prompt string, limit int").coalesce(PARTITIONS)
    return (df.select(udf("prompt", max_new_tokens="limit").alias("o"))
            .select("o.completion_tokens", "o.error"))


def measure(spark, args, setting: str, job=None) -> dict:
    """Run ``setting``'s job once, sampling memory and CPU time."""
    job = job or _job(spark, args, setting)
    with Sampler(spark.sparkContext.applicationId, args.model) as sampler:
        start = time.perf_counter()
        rows = job.collect()
        seconds = time.perf_counter() - start
    errors = [r.error for r in rows if r.error]
    if errors:
        raise RuntimeError(f"{len(errors)} error rows, first: {errors[0]}")
    tokens = sum(r.completion_tokens or 0 for r in rows)
    cpu = sampler.cpu_by_process()
    cpu_s = sum(cpu.values())
    by_kind: dict[str, float] = {}
    for pid, used in cpu.items():
        by_kind[sampler.kinds[pid]] = round(by_kind.get(sampler.kinds[pid], 0) + used, 2)
    return {"setting": setting, "tokens": tokens, "seconds": round(seconds, 3),
            "tokens_per_s": round(tokens / seconds, 1), "cpu_s": round(cpu_s, 2),
            "tokens_per_cpu_s": round(tokens / cpu_s, 1) if cpu_s else None,
            "cpu_s_by_process_kind": by_kind, "peak_pss_mb": round(sampler.peak / 2**20, 1)}


def weight_copies(spark, model: str) -> int:
    """Copies of ``model``'s weights on the executor: those cached in its Python workers (a
    probe job of many short tasks, which Spark hands to every idle worker in turn) plus the
    shared engine processes' loaded models."""
    import pandas as pd

    from inference_udf.engine_client import running_engines

    def probe(frames):
        import os as _os
        import time as _time

        from inference_udf import loading

        for frame in frames:
            _time.sleep(0.05)
            held = sum(1 for key in loading._models if key[0] == model)
            yield pd.DataFrame({"pid": [_os.getpid()] * len(frame), "held": [held] * len(frame)})

    rows = (spark.range(0, 4 * 64, numPartitions=64)
            .mapInPandas(probe, "pid long, held int").distinct().collect())
    workers = sum(r.held for r in rows)
    return workers + sum(e["models_loaded"] for e in running_engines(model))


def child_timing(args) -> dict:
    """One application: the shared engine's first run (a fresh executor: its memory), the
    per-task engines' first run, then ``--repeats`` rounds of both, order swapped each round."""
    spark = _session()
    try:
        jobs = {setting: _job(spark, args, setting) for setting in SETTINGS}
        first_shared = measure(spark, args, "shared", jobs["shared"])
        first_shared["weight_copies"] = weight_copies(spark, args.model)
        measure(spark, args, "per-task", jobs["per-task"])              # warm-up
        rounds = []
        for round_ in range(args.repeats):
            order = SETTINGS if round_ % 2 == 0 else SETTINGS[::-1]
            rounds.append([measure(spark, args, setting, jobs[setting]) for setting in order])
            print(f"round {round_ + 1}: " + json.dumps(rounds[-1]), file=sys.stderr, flush=True)
        return {"first_shared": first_shared, "rounds": rounds}
    finally:
        spark.stop()


def child_memory(args) -> dict:
    """One application: the per-task engines' first run (a fresh executor: their memory)."""
    spark = _session()
    try:
        first = measure(spark, args, "per-task")
        first["weight_copies"] = weight_copies(spark, args.model)
        return {"first_per_task": first}
    finally:
        spark.stop()


def run_child(args, which: str) -> dict:
    """A child application in a fresh Python process (its own JVM and executor)."""
    command = [sys.executable, __file__, "--child", which, "--model", args.model,
               "--rows", str(args.rows), "--seats", str(args.seats), "--threads",
               str(args.threads), "--limits", f"{args.limits[0]},{args.limits[1]}",
               "--repeats", str(args.repeats)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=args.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"the {which} application failed (code {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(runs: list[list[dict]], memory: dict[str, dict]) -> list[dict]:
    rows = []
    for setting in SETTINGS:
        mine = [r for round_ in runs for r in round_ if r["setting"] == setting]
        row = {"setting": setting, "runs": len(mine)}
        for key in ("tokens", "seconds", "tokens_per_s", "tokens_per_cpu_s"):
            values = [r[key] for r in mine if r[key] is not None]
            row[key] = statistics.median(values) if values else None
        row["peak_pss_mb"] = memory[setting]["peak_pss_mb"]
        row["weight_copies"] = memory[setting]["weight_copies"]
        rows.append(row)
    for key in ("tokens_per_s", "tokens_per_cpu_s"):
        ratios = [by["shared"][key] / by["per-task"][key]
                  for by in ({r["setting"]: r for r in round_} for round_ in runs)
                  if by["shared"][key] and by["per-task"][key]]
        rows[1][f"{key}_ratio"] = round(statistics.median(ratios), 2) if ratios else None
        rows[0][f"{key}_ratio"] = 1.0
    return rows


COLUMNS = ("setting", "runs", "tokens", "seconds", "tokens_per_s", "tokens_per_s_ratio",
           "tokens_per_cpu_s", "tokens_per_cpu_s_ratio", "peak_pss_mb", "weight_copies")


def _without_out(argv: list[str]) -> list[str]:
    """The command line as recorded: where the results were written is not part of it."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            kept.append(arg)
    return kept


def _limits(text: str) -> tuple[int, int]:
    low, high = (int(v) for v in text.split(","))
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"--limits LOW,HIGH with 1 <= LOW <= HIGH: got {text!r}")
    return low, high


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48, help="rows per partition")
    parser.add_argument("--limits", type=_limits, default=(8, 48),
                        help="each row's max_new_tokens, drawn from LOW,HIGH (seeded)")
    parser.add_argument("--seats", type=int, default=16,
                        help="decode seats per task (the shared engine gets 4x)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per task slot (the shared engine gets 4x)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--model", default=None, help="a checkpoint folder (default: tiny Llama)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per application")
    parser.add_argument("--out", default=str(_CHECKOUT / "benchmarks" / "results"))
    parser.add_argument("--child", choices=("timing", "memory"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import torch

        torch.set_num_threads(1)           # the driver does no model work
        result = child_timing(args) if args.child == "timing" else child_memory(args)
        print(json.dumps(result), flush=True)
        return 0
    model_name = args.model or "tiny llama (hidden 256, 4 layers)"
    if args.model is None:
        from inference_udf.tiny import write_tiny_checkpoint

        folder = tempfile.mkdtemp(prefix="uwfq-bench-")
        args.model = str(write_tiny_checkpoint(folder, "llama", hidden=256, layers=4))
    timing = run_child(args, "timing")
    memory = {"shared": timing["first_shared"],
              "per-task": run_child(args, "memory")["first_per_task"]}
    runs = timing["rounds"]
    rows = summarize(runs, memory)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(row.get(c)) for c in COLUMNS) + " |" for row in rows]
    print("\n".join(lines))
    meta = {"commit": git_commit(), "machine": machine_info(), "model": model_name,
            "partitions": PARTITIONS, "rows_per_partition": args.rows,
            "max_new_tokens": list(args.limits), "seats_per_task": args.seats,
            "shared_seats": PARTITIONS * args.seats, "threads_per_slot": args.threads,
            "repeats": args.repeats, "command": "python benchmarks/shared_engine_cluster.py "
            + " ".join(_without_out(argv if argv is not None else sys.argv[1:]))}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "shared_engine_cluster.json").write_text(json.dumps(
        {"meta": meta, "rows": rows, "rounds": runs, "memory_runs": memory}, indent=2))
    (out / "shared_engine_cluster.md").write_text(
        "# Per-task engines vs one shared engine (one executor, 4 concurrent tasks)\n\n"
        f"`{meta['command'].strip()}`\n\ncommit {meta['commit']}; model {model_name}; "
        f"{json.dumps(meta['machine'])}\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
