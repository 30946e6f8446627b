"""Which model families the engine runs, and what each layer of a model attends to.

The engine drives a transformers model through its own forward: it passes explicit positions,
an additive attention mask per layer type and a cache view whose only method is
``update(keys, values, layer_idx)``. That is exact only for families checked against a full
forward without cache (tests/test_inference_families.py); anything else is refused when the
model loads, before a task can fail half-way (alibi and MLA models, linear or hybrid attention,
rope scalings that depend on the sequence length all break one of those assumptions).
"""

from __future__ import annotations

from dataclasses import dataclass

# model_type -> the architecture name users see in config.json
SUPPORTED_FAMILIES = {
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "mixtral": "MixtralForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM",
    "gemma3_text": "Gemma3ForCausalLM",
    "phi": "PhiForCausalLM",
    "phi3": "Phi3ForCausalLM",
    "gpt2": "GPT2LMHeadModel",
    "gpt_neox": "GPTNeoXForCausalLM",
    "stablelm": "StableLmForCausalLM",
    "olmo2": "Olmo2ForCausalLM",
    "starcoder2": "Starcoder2ForCausalLM",
    "granite": "GraniteForCausalLM",
    "cohere": "CohereForCausalLM",
}
# Position-only rope scalings; "dynamic" and "longrope" rescale by the batch's longest
# sequence, so a fused batch would change one request's numbers.
SUPPORTED_ROPE_TYPES = ("default", "linear", "llama3", "yarn")
FULL, SLIDING = "full_attention", "sliding_attention"


class UnsupportedModelError(ValueError):
    """The engine cannot run this architecture exactly."""


@dataclass(frozen=True)
class AttentionLayout:
    """``window``: how many keys (the query's own included) a sliding layer sees. ``mixed``: the
    model has both layer types, so it takes one mask per type (a dict keyed by type)."""
    window: int | None
    has_full: bool
    mixed: bool


def check_supported(config) -> None:
    """Raise UnsupportedModelError naming the architecture unless the engine runs it exactly."""
    text = config.get_text_config()
    model_type = getattr(text, "model_type", None)
    name = (getattr(config, "architectures", None) or [None])[0] or model_type
    supported = ", ".join(sorted(set(SUPPORTED_FAMILIES.values())))
    if model_type not in SUPPORTED_FAMILIES or model_type != getattr(config, "model_type", None):
        raise UnsupportedModelError(
            f"the inference engine cannot run {name} (model_type {model_type!r}): it runs only "
            f"architectures checked token for token against transformers: {supported}. Use a "
            "model of one of these families, or transformers' own generate for this one")
    for rope_type in _rope_types(text):
        if rope_type not in SUPPORTED_ROPE_TYPES:
            raise UnsupportedModelError(
                f"{name} uses rope scaling {rope_type!r}, which depends on the batch's longest "
                f"sequence; the engine runs only {', '.join(SUPPORTED_ROPE_TYPES)}")
    layer_types = set(_layer_types(text))
    if not layer_types <= {FULL, SLIDING}:
        raise UnsupportedModelError(
            f"{name} has attention layers of type {sorted(layer_types - {FULL, SLIDING})}: the "
            "engine runs only full and sliding-window attention")


def attention_layout(config) -> AttentionLayout:
    text = config.get_text_config()
    types = _layer_types(text)
    window = getattr(text, "sliding_window", None) if SLIDING in types else None
    return AttentionLayout(window=window, has_full=FULL in types, mixed=len(set(types)) > 1)


def _layer_types(text) -> list[str]:
    declared = getattr(text, "layer_types", None)
    if declared:
        return list(declared)
    uniform = SLIDING if getattr(text, "sliding_window", None) else FULL
    return [uniform] * text.num_hidden_layers


def _rope_types(text) -> list[str]:
    params = getattr(text, "rope_parameters", None) or {}
    nested = [p for p in params.values() if isinstance(p, dict)]
    return [p.get("rope_type", "default") for p in (nested or [params])]
