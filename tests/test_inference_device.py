"""Device, dtype and thread choices outside a Spark task (inside one, device="auto" reads the
task's GPU resources; this machine has no GPU)."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import torch

from inference_udf.device import assigned_gpu_index, resolve_device, resolve_dtype, set_cpu_threads


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
