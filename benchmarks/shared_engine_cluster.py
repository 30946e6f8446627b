"""Per-task engines against one shared engine, on a real executor (local-cluster, 4 task slots).

    python benchmarks/shared_engine_cluster.py [--rows 64] [--max-new-tokens 32] [--model DIR]

Four partitions run at once on one executor. Each setting (its own application) runs the job
twice and times the second (models and engines are warm then); meanwhile the proportional set size (PSS: shared
pages split between the processes sharing them) of the executor's Python workers and engine
processes is sampled, and its peak reported. Default model: a tiny random Llama. Writes
benchmarks/results/shared_engine_cluster.{json,md} with the machine and commit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

from uwfq_lab.provenance import git_commit, machine_info  # noqa: E402


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


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


def inference_processes(app_id: str, model: str) -> set[int]:
    """This application's executor JVM's Python workers (its descendants) and the engine
    processes for ``model`` (they leave the worker's session, so they are found by name)."""
    table = _processes()
    found = {pid for pid, (_, cmd) in table.items()
             if ("CoarseGrainedExecutorBackend" in cmd and app_id in cmd)
             or ("inference_udf.engine_server" in cmd and model in cmd)}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in table.items() if ppid in found} - found
        found |= children
        grew = bool(children)
    return {pid for pid in found if "python" in table[pid][1]}


class PeakMemory:
    def __init__(self, app_id: str, model: str):
        self.app_id, self.model, self.peak = app_id, model, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            pids = inference_processes(self.app_id, self.model)
            self.peak = max(self.peak, sum(pss_bytes(pid) for pid in pids))
            time.sleep(0.2)


def run_setting(spark, model: str, rows: int, shared: bool, threads: int, max_new: int) -> dict:
    from inference_udf import generate_udf
    from inference_udf.tiny import corpus

    udf = generate_udf(model, max_new_tokens=max_new, max_in_flight=16, max_model_len=160,
                       num_threads=threads, shared_engine=shared)
    data = [(i, text) for i, text in enumerate(corpus(4 * rows, seed=11))]
    df = spark.createDataFrame(data, "id int, prompt string").coalesce(4)
    out = df.select(udf("prompt").alias("o")).select("o.completion_tokens")
    out.collect()                                             # warm: load models, start engines
    with PeakMemory(spark.sparkContext.applicationId, model) as memory:
        start = time.perf_counter()
        tokens = sum(r.completion_tokens or 0 for r in out.collect())
        seconds = time.perf_counter() - start
    return {"setting": ("shared engine" if shared else "per-task engines") + f", {threads} thread(s)",
            "tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
            "peak_pss_mb": round(memory.peak / 2**20, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64, help="rows per partition")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--model", default=None, help="a checkpoint folder (default: tiny Llama)")
    parser.add_argument("--shared-threads", type=int, nargs="+", default=[1],
                        help="thread counts to run the shared engine with")
    args = parser.parse_args(argv)
    from inference_udf.tiny import write_tiny_checkpoint
    from spark_uwfq.session import local_session

    folder = tempfile.mkdtemp(prefix="uwfq-bench-")
    model = args.model or str(write_tiny_checkpoint(folder, "llama", hidden=256, layers=4))
    rows = []
    # A fresh application per setting: reused Python workers would otherwise still hold the
    # previous setting's model copies while the next one is measured.
    for shared, threads in [(False, 1)] + [(True, t) for t in args.shared_threads]:
        spark = local_session("local-cluster[1,4,3072]", app_name="uwfq-shared-engine-bench",
                              plugin=False, conf={"spark.executorEnv.PYTHONPATH": str(_CHECKOUT),
                                                  "spark.sql.execution.arrow.maxRecordsPerBatch": "16"})
        try:
            rows.append(run_setting(spark, model, args.rows, shared, threads, args.max_new_tokens))
        finally:
            spark.stop()
    base = rows[0]["tokens_per_s"]
    for row in rows:
        row["vs_per_task"] = round(row["tokens_per_s"] / base, 2)
    columns = ("setting", "tokens", "seconds", "tokens_per_s", "vs_per_task", "peak_pss_mb")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    print("\n".join(lines))
    meta = {"commit": git_commit(), "machine": machine_info(), "model": args.model or "tiny llama",
            "partitions": 4, "rows_per_partition": args.rows, "max_new_tokens": args.max_new_tokens}
    out = _CHECKOUT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "shared_engine_cluster.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    (out / "shared_engine_cluster.md").write_text(
        "# Per-task engines vs one shared engine (one executor, 4 concurrent tasks)\n\n"
        f"commit {meta['commit']}; {json.dumps(meta['machine'])}\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
