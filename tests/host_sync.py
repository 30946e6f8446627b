"""Counting host synchronisations: every way a tensor's value reaches Python.

On CPU nothing actually waits, so the count comes from patching the tensor-to-host methods of
``torch.Tensor`` for the duration of a ``with`` block. On CUDA, ``torch.cuda.set_sync_debug_mode``
reports the real synchronisations (see ``cuda_sync_errors``).
"""

from __future__ import annotations

import contextlib

import torch

# Each reads a tensor's value on the host (on a GPU: waits for the stream).
TO_HOST = ("tolist", "item", "cpu", "numpy", "__bool__", "__int__", "__float__", "__index__")


class SyncCounter:
    def __init__(self):
        self.calls: list[str] = []

    @property
    def count(self) -> int:
        return len(self.calls)


@contextlib.contextmanager
def count_host_syncs():
    counter = SyncCounter()
    originals = {name: getattr(torch.Tensor, name) for name in TO_HOST}

    def counting(name, original):
        def method(self, *args, **kwargs):
            counter.calls.append(name)
            # Nested calls (tolist -> __index__ ...) are one transfer: count only the outer one.
            with _restored(originals):
                return original(self, *args, **kwargs)
        return method

    for name, original in originals.items():
        setattr(torch.Tensor, name, counting(name, original))
    try:
        yield counter
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


@contextlib.contextmanager
def _restored(originals):
    patched = {name: getattr(torch.Tensor, name) for name in originals}
    for name, original in originals.items():
        setattr(torch.Tensor, name, original)
    try:
        yield
    finally:
        for name, method in patched.items():
            setattr(torch.Tensor, name, method)


@contextlib.contextmanager
def cuda_syncs_are_errors():
    """On CUDA, make any synchronising call inside the block raise."""
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


# Each builds a tensor from host values (on a GPU: a host-to-device copy per call).
FROM_HOST = ("tensor", "as_tensor", "from_numpy")


@contextlib.contextmanager
def count_host_tensors():
    """Count tensors built from Python values inside the block (``torch.tensor`` and kin)."""
    counter = SyncCounter()
    originals = {name: getattr(torch, name) for name in FROM_HOST}

    def counting(name, original):
        def build(*args, **kwargs):
            counter.calls.append(name)
            return original(*args, **kwargs)
        return build

    for name, original in originals.items():
        setattr(torch, name, counting(name, original))
    try:
        yield counter
    finally:
        for name, original in originals.items():
            setattr(torch, name, original)
