"""Device, dtype and thread choices for a Python worker.

``device="auto"`` picks the GPU Spark assigned to the running task (its resources API), any GPU
outside a task, else the CPU. On the CPU the intra-op thread count is always set explicitly:
left alone, torch uses every core and concurrent tasks thrash each other.
"""

from __future__ import annotations

import os

import torch

_DTYPES = {
    "float32": torch.float32, "fp32": torch.float32,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
}


def resolve_device(device: str = "auto") -> torch.device:
    if device != "auto":
        return torch.device(device)
    if not torch.cuda.is_available():
        return torch.device("cpu")
    index = assigned_gpu_index()
    return torch.device("cuda", index if index is not None else torch.cuda.current_device())


def assigned_gpu_index() -> int | None:
    """The CUDA index of the first GPU Spark assigned to this task, if any.

    Spark reports the addresses its discovery script found (physical indices). Where the
    cluster manager already narrowed CUDA_VISIBLE_DEVICES, the address is mapped to its
    position in that list.
    """
    try:
        from pyspark import TaskContext
    except ImportError:
        return None
    context = TaskContext.get()
    gpus = context.resources().get("gpu") if context is not None else None
    if gpus is None or not gpus.addresses:
        return None
    address = gpus.addresses[0]
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    if address in visible:
        return visible.index(address)
    index = int(address) if address.isdigit() else 0
    return index if index < torch.cuda.device_count() else 0


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be 'auto' or one of {sorted(_DTYPES)}: got {dtype!r}")
    return _DTYPES[dtype]


def task_cpus() -> int:
    """``spark.task.cpus`` inside a Spark task, else 1."""
    try:
        from pyspark import TaskContext
    except ImportError:
        return 1
    context = TaskContext.get()
    return max(1, context.cpus()) if context is not None else 1


def set_cpu_threads(device: torch.device, num_threads: int | None) -> None:
    if device.type == "cpu":
        torch.set_num_threads(num_threads or task_cpus())
