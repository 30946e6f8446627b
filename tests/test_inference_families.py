"""Every model family the engine accepts, against the model itself: fused generation (several
requests of different lengths sharing decode steps, prompts and outputs longer than the sliding
window) must give the tokens of a greedy loop of full forwards without any cache, and scores
must equal ``log_softmax`` of such a forward, which includes whatever the model's head does to
its logits. Architectures the engine cannot run exactly are refused when they load."""

from __future__ import annotations

import pytest

from tests.llm_fixtures import torch

import transformers as tf

from inference_udf.engine import LLMEngine
from inference_udf.families import SUPPORTED_FAMILIES, UnsupportedModelError, check_supported
from inference_udf.sampling_params import SamplingParams
from inference_udf.scoring import completion_logprobs

WINDOW = 5
NO_EOS = 10_000
COMMON = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              bos_token_id=1, eos_token_id=2, pad_token_id=0, initializer_range=0.2)
SLIDING_QWEN = dict(use_sliding_window=True, sliding_window=WINDOW, max_window_layers=1)
GEMMA = dict(head_dim=8, query_pre_attn_scalar=8, sliding_window=WINDOW,
             final_logit_softcapping=2.0)
LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
               "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 16}
NO_GQA = {k: v for k, v in COMMON.items() if k != "num_key_value_heads"}

FAMILIES = {
    "llama": (tf.LlamaConfig, COMMON),
    "llama-rope-llama3-tied": (tf.LlamaConfig, dict(COMMON, rope_parameters=LLAMA3_ROPE,
                                                    tie_word_embeddings=True)),
    "mistral": (tf.MistralConfig, dict(COMMON, sliding_window=WINDOW)),
    "mixtral": (tf.MixtralConfig, dict(COMMON, sliding_window=WINDOW, num_local_experts=4,
                                       num_experts_per_tok=2)),
    "qwen2": (tf.Qwen2Config, dict(COMMON, **SLIDING_QWEN)),
    "qwen3": (tf.Qwen3Config, dict(COMMON, head_dim=8, **SLIDING_QWEN)),
    "gemma": (tf.GemmaConfig, dict(COMMON, head_dim=8)),
    "gemma2": (tf.Gemma2Config, dict(COMMON, attn_logit_softcapping=5.0, **GEMMA)),
    "gemma3_text": (tf.Gemma3TextConfig, dict(COMMON, layer_types=["sliding_attention",
                                                                   "full_attention"], **GEMMA)),
    "phi": (tf.PhiConfig, NO_GQA),
    "phi3": (tf.Phi3Config, dict(COMMON, sliding_window=WINDOW)),
    "gpt2": (tf.GPT2Config, dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=256,
                                 bos_token_id=1, eos_token_id=2, initializer_range=0.2)),
    "gpt_neox": (tf.GPTNeoXConfig, NO_GQA),
    "stablelm": (tf.StableLmConfig, COMMON),
    "olmo2": (tf.Olmo2Config, COMMON),
    "starcoder2": (tf.Starcoder2Config, dict(COMMON, sliding_window=WINDOW)),
    "granite": (tf.GraniteConfig, dict(COMMON, logits_scaling=0.25)),
    "cohere": (tf.CohereConfig, dict(COMMON, logit_scale=4.0)),
}
PROMPT_LENGTHS = (3, 9, 14, 6, 20, 11)
OUTPUT_LENGTHS = (24, 18, 30, 12, 26, 20)


def build(name):
    config_class, options = FAMILIES[name]
    torch.manual_seed(0)
    return tf.AutoModelForCausalLM.from_config(config_class(**options)).eval()


def prompts(seed=1):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(3, 128, (n,), generator=generator).tolist() for n in PROMPT_LENGTHS]


@torch.inference_mode()
def full_forward_greedy(model, prompt, max_new_tokens):
    """Greedy decoding by re-running the whole sequence each step, with no cache at all;
    returns the tokens and their log-probabilities."""
    sequence, logprobs = list(prompt), []
    for _ in range(max_new_tokens):
        logits = model(input_ids=torch.tensor([sequence]), use_cache=False).logits
        sequence.append(int(logits[0, -1].argmax()))
        logprobs.append(float(logits[0, -1].float().log_softmax(-1)[sequence[-1]]))
    return sequence[len(prompt):], logprobs


@torch.inference_mode()
def full_forward_logprob(model, prompt, completion):
    sequence = torch.tensor([prompt + completion])
    logprobs = model(input_ids=sequence, use_cache=False).logits[0].float().log_softmax(-1)
    return sum(float(logprobs[len(prompt) + i - 1, token]) for i, token in enumerate(completion))


def test_every_supported_family_is_in_the_matrix():
    tested = {build(name).config.model_type for name in FAMILIES}
    assert tested == set(SUPPORTED_FAMILIES)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_fused_generation_and_scores_equal_a_full_forward(name):
    model = build(name)
    engine = LLMEngine(model, max_num_seqs=3, max_model_len=64, eos_token_ids=[NO_EOS])
    inputs = prompts()
    requests = engine.generate(inputs, [SamplingParams(n, logprobs=0) for n in OUTPUT_LENGTHS])
    expected = [full_forward_greedy(model, p, n) for p, n in zip(inputs, OUTPUT_LENGTHS)]
    assert [r.output_ids for r in requests] == [tokens for tokens, _ in expected]
    for request, (_, logprobs) in zip(requests, expected):      # the model's own head path
        assert request.token_logprobs == pytest.approx(logprobs, abs=1e-4, rel=0)
    pairs = [(p, r.output_ids) for p, r in zip(inputs, requests)]
    scores = completion_logprobs(model, pairs)
    assert scores == pytest.approx([full_forward_logprob(model, p, c) for p, c in pairs],
                                   abs=1e-4, rel=0)


REFUSED = {
    "OPTForCausalLM": tf.OPTConfig(num_hidden_layers=2),
    "BloomForCausalLM": tf.BloomConfig(n_layer=2),
    "FalconForCausalLM": tf.FalconConfig(num_hidden_layers=2, alibi=True),
    "DeepseekV3ForCausalLM": tf.DeepseekV3Config(num_hidden_layers=2),
    "Qwen3NextForCausalLM": tf.Qwen3NextConfig(num_hidden_layers=2),
}


@pytest.mark.parametrize("architecture", sorted(REFUSED))
def test_unsupported_architectures_are_refused_by_name(architecture):
    config = REFUSED[architecture]
    config.architectures = [architecture]
    with pytest.raises(UnsupportedModelError, match=architecture) as error:
        check_supported(config)
    assert "LlamaForCausalLM" in str(error.value) and "Gemma2ForCausalLM" in str(error.value)


def test_sequence_length_dependent_rope_is_refused():
    config = tf.Phi3Config(**dict(COMMON, rope_parameters={
        "rope_type": "longrope", "rope_theta": 10000.0, "short_factor": [1.0] * 4,
        "long_factor": [2.0] * 4, "original_max_position_embeddings": 16}))
    with pytest.raises(UnsupportedModelError, match="longrope"):
        check_supported(config)


def test_refused_at_load_before_weights(tmp_path):
    from inference_udf.loading import load_model

    model = tf.AutoModelForCausalLM.from_config(tf.OPTConfig(
        vocab_size=128, hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=4,
        word_embed_proj_dim=32))
    model.save_pretrained(tmp_path)
    with pytest.raises(UnsupportedModelError, match="OPTForCausalLM"):
        load_model(str(tmp_path), torch.device("cpu"))


def test_generate_udf_refuses_on_the_driver(tmp_path):
    from inference_udf import generate_udf

    tf.AutoModelForCausalLM.from_config(tf.BloomConfig(
        vocab_size=128, hidden_size=32, n_layer=2, n_head=4)).save_pretrained(tmp_path)
    with pytest.raises(UnsupportedModelError, match="BloomForCausalLM"):
        generate_udf(str(tmp_path))
