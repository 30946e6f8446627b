"""Tiny checkpoints for tests and benchmarks: a Llama and a GPT-2 with random weights and a BPE
tokenizer trained here, written to a folder in the standard ``save_pretrained`` layout.

No model hub is needed, and the engine loads these folders with the same code that loads a real
checkpoint from disk.
"""

from __future__ import annotations

import random
from pathlib import Path

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant:{% endif %}"
)
_WORDS = ("spark task stage job user fair queue share cluster driver executor model token batch "
          "prompt decode cache slot fusion latency query notebook weight virtual time finish "
          "alpha beta gamma delta river stone cloud light seven eleven blue green").split()


def corpus(lines: int = 2000, seed: int = 0) -> list[str]:
    """Deterministic pseudo-sentences for training the tokenizer and drawing prompts."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 30))) for _ in range(lines)]


def train_tokenizer(vocab_size: int = 512):
    """A byte-level BPE tokenizer (decoding round-trips any text) as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>")
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(kind: str, vocab_size: int, *, hidden: int = 64, layers: int = 2,
                     heads: int = 4, max_positions: int = 512, seed: int = 0,
                     head_scale: float = 8.0):
    """A randomly initialised causal LM. ``head_scale`` multiplies the output head so greedy
    argmax margins are large: random weights otherwise give near-uniform logits whose ties make
    token-for-token comparisons flaky."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if kind == "llama":
        config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                             num_hidden_layers=layers, num_attention_heads=heads,
                             num_key_value_heads=max(1, heads // 2),
                             max_position_embeddings=max_positions, tie_word_embeddings=False,
                             bos_token_id=1, eos_token_id=2, pad_token_id=0)
        model = LlamaForCausalLM(config)
    elif kind == "gpt2":
        config = GPT2Config(vocab_size=vocab_size, n_embd=hidden, n_layer=layers, n_head=heads,
                            n_positions=max_positions, tie_word_embeddings=False,
                            bos_token_id=1, eos_token_id=2, pad_token_id=0)
        model = GPT2LMHeadModel(config)
    else:
        raise ValueError(f"unknown tiny model kind {kind!r}: expected 'llama' or 'gpt2'")
    with torch.no_grad():
        model.get_output_embeddings().weight.mul_(head_scale)
    return model.eval()


def write_tiny_checkpoint(folder: str | Path, kind: str = "llama", **model_options) -> Path:
    """Save a tiny model and its tokenizer to ``folder``; returns the folder."""
    folder = Path(folder)
    tokenizer = train_tokenizer()
    model = build_tiny_model(kind, len(tokenizer), **model_options)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
