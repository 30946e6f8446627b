"""Load a checkpoint folder (``save_pretrained`` layout) once per Python worker.

Spark reuses Python workers across tasks (``spark.python.worker.reuse``, on by default), so a
module-level cache keeps the model, tokenizer and engine from one task to the next.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from inference_udf.device import resolve_dtype

_MAX_CACHED_MODELS = 2
_models: "OrderedDict[tuple, LoadedModel]" = OrderedDict()


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    device: torch.device
    engines: dict = field(default_factory=dict)


def load_model(path: str, device: torch.device, dtype: str | torch.dtype = "auto") -> LoadedModel:
    torch_dtype = resolve_dtype(dtype, device)
    key = (str(path), str(device), str(torch_dtype))
    if key in _models:
        _models.move_to_end(key)
        return _models[key]
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from inference_udf.families import check_supported

    try:
        check_supported(AutoConfig.from_pretrained(path))   # refuse before loading any weights
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
    except OSError as exc:
        raise OSError(f"could not load a causal LM from {path!r}: give a local folder written by "
                      f"save_pretrained (config.json, weights, tokenizer files). {exc}") from exc
    loaded = LoadedModel(model.to(device).eval(), tokenizer, device)
    _models[key] = loaded
    while len(_models) > _MAX_CACHED_MODELS:
        _models.popitem(last=False)
    return loaded


def engine_for(loaded: LoadedModel, **options):
    """The worker's engine for these options, created once and emptied before each use."""
    from inference_udf.engine import LLMEngine

    key = tuple(sorted(options.items()))
    engine = loaded.engines.get(key)
    if engine is None:
        engine = loaded.engines[key] = LLMEngine(loaded.model, loaded.tokenizer, **options)
    engine.reset()
    return engine
