"""PromptEncoder: prompt text to token ids, with an optional chat template and system prompt,
and the per-row rule for prompts longer than the context allows."""

from __future__ import annotations

OVERFLOW_MODES = ("error", "truncate")


class PromptEncoder:
    """``chat_template``: False for raw text, True for the tokenizer's own template, or a Jinja
    template string. ``overflow="truncate"`` keeps the END of a too-long prompt (the part the
    model continues from); ``"error"`` reports the row."""

    def __init__(self, tokenizer, chat_template: bool | str = False,
                 system_prompt: str | None = None, overflow: str = "error"):
        if overflow not in OVERFLOW_MODES:
            raise ValueError(f"overflow must be one of {OVERFLOW_MODES}: got {overflow!r}")
        if chat_template is True and not getattr(tokenizer, "chat_template", None):
            raise ValueError("chat_template=True but the tokenizer has no chat template: pass the "
                             "template as a string, or chat_template=False for raw prompts")
        self.tokenizer = tokenizer
        self.chat_template = chat_template
        self.system_prompt = system_prompt
        self.overflow = overflow

    def encode(self, prompt, max_tokens: int, system_prompt: str | None = None) -> list[int]:
        """Token ids for ``prompt``, at most ``max_tokens`` of them; ValueError says why not."""
        if prompt is None:
            raise ValueError("the prompt is null")
        if not isinstance(prompt, str):
            raise ValueError(f"the prompt must be a string: got {type(prompt).__name__}")
        if not prompt.strip():
            raise ValueError("the prompt is empty")
        system = system_prompt if system_prompt is not None else self.system_prompt
        ids = self._tokens(prompt, system)
        if len(ids) > max_tokens:
            if self.overflow == "error":
                raise ValueError(
                    f"the prompt has {len(ids)} tokens but at most {max_tokens} fit (context minus "
                    "max_new_tokens): shorten it, lower max_new_tokens or use overflow='truncate'")
            ids = ids[len(ids) - max_tokens:]
        return ids

    def _tokens(self, prompt: str, system: str | None) -> list[int]:
        if not self.chat_template:
            text = prompt if system is None else f"{system}\n\n{prompt}"
            return self.tokenizer(text)["input_ids"]
        messages = ([{"role": "system", "content": system}] if system else [])
        messages.append({"role": "user", "content": prompt})
        template = self.chat_template if isinstance(self.chat_template, str) else None
        ids = self.tokenizer.apply_chat_template(messages, chat_template=template,
                                                 add_generation_prompt=True, tokenize=True)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)
