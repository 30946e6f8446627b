"""Shared helpers for the LLM tests: tiny checkpoints on disk and reference generation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

# One intra-op thread: on a shared machine more threads make every call slower and erratic.
torch.set_num_threads(1)


def load(folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def mixed_prompts(vocab_size: int, count: int = 64, seed: int = 0):
    """Prompts of 1..80 random (non-special) tokens and limits of 1..48 new tokens."""
    rng = random.Random(seed)
    prompts = [[rng.randrange(3, vocab_size) for _ in range(rng.randint(1, 80))]
               for _ in range(count)]
    limits = [rng.randint(1, 48) for _ in range(count)]
    return prompts, limits


@torch.inference_mode()
def reference_generate(model, prompt, max_new_tokens, eos_token_id):
    """One request alone through transformers' greedy ``generate``."""
    input_ids = torch.tensor([prompt])
    out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                         max_new_tokens=max_new_tokens, eos_token_id=eos_token_id,
                         pad_token_id=0)
    return out[0, len(prompt):].tolist()


REPO = str(Path(__file__).resolve().parent.parent)


def udf_session(master: str, app_name: str, arrow_batch_rows: int):
    """A session without the plugin for the UDF tests: small Arrow batches, so one task streams
    several through the engine; workers import this checkout's inference_udf."""
    from spark_uwfq.session import local_session

    return local_session(master, app_name=app_name, plugin=False, conf={
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(arrow_batch_rows),
        "spark.executorEnv.PYTHONPATH": REPO,
    })
