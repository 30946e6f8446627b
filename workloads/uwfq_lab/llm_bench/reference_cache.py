"""The one-at-a-time reference outputs, kept on disk between benchmark runs.

On a real model the sequential reference is by far the slowest method (minutes per run on a CPU).
Its outputs depend only on the model, the workload and the library versions, so they are stored
under the cache folder (``.uwfq-cache/`` unless ``UWFQ_CACHE_DIR`` says otherwise) keyed by a
hash of all of those; a run that leaves ``sequential`` out of ``--methods`` still checks every
output against them. A run that includes ``sequential`` always recomputes (and re-stores) them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def key(model_path: str, work, dtype, device) -> str:
    import torch
    import transformers

    folder = Path(model_path)
    weights = sorted((p.name, p.stat().st_size) for p in folder.glob("*.safetensors")) \
        if folder.is_dir() else []
    config = (folder / "config.json").read_text() if (folder / "config.json").is_file() else ""
    identity = {"config": config, "weights": weights, "prompts": work.prompts,
                "limits": work.limits, "eos": work.eos_token_id, "pad": work.pad_token_id,
                "dtype": str(dtype), "device": str(device), "torch": torch.__version__,
                "transformers": transformers.__version__}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def _path(cache_key: str) -> Path:
    from inference_udf.smollm2 import cache_root

    return cache_root() / "bench-llm-reference" / f"{cache_key}.json"


def load(cache_key: str) -> dict[int, list[int]] | None:
    path = _path(cache_key)
    if not path.is_file():
        return None
    return {int(index): tokens for index, tokens in json.loads(path.read_text()).items()}


def store(cache_key: str, outputs: dict[int, list[int]]) -> None:
    path = _path(cache_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({str(i): tokens for i, tokens in outputs.items()}))
    partial.rename(path)
