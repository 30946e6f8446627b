"""Device, dtype and thread choices outside a Spark task (inside one, device="auto" reads the
task's GPU resources; this machine has no GPU)."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import torch

from inference_udf.device import assigned_gpu_index, resolve_device, resolve_dtype, set_cpu_threads
from inference_udf.sampling_params import SamplingParams


def test_auto_device_outside_a_task():
    assert assigned_gpu_index() is None
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_dtypes():
    cpu = torch.device("cpu")
    assert resolve_dtype("auto", cpu) is torch.float32
    assert resolve_dtype("bf16", cpu) is torch.bfloat16
    assert resolve_dtype("float16", cpu) is torch.float16
    with pytest.raises(ValueError, match="dtype must be 'auto' or one of"):
        resolve_dtype("int8", cpu)


def test_cpu_threads_are_set_explicitly():
    before = torch.get_num_threads()
    try:
        set_cpu_threads(torch.device("cpu"), 2)
        assert torch.get_num_threads() == 2
        set_cpu_threads(torch.device("cpu"), None)   # outside a task: spark.task.cpus -> 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_model_and_engine_are_loaded_once_per_worker(tmp_path):
    from inference_udf.loading import engine_for, load_model
    from inference_udf.tiny import write_tiny_checkpoint

    folder = str(write_tiny_checkpoint(tmp_path / "gpt2", "gpt2"))
    first = load_model(folder, torch.device("cpu"))
    assert load_model(folder, torch.device("cpu")) is first
    engine = engine_for(first, max_num_seqs=4, max_model_len=64)
    engine.add_request(0, [5, 6, 7], SamplingParams(4))
    again = engine_for(first, max_num_seqs=4, max_model_len=64)
    assert again is engine and not again.has_unfinished   # reused, emptied for the next task
    with pytest.raises(OSError, match="save_pretrained"):
        load_model(str(tmp_path / "missing"), torch.device("cpu"))
