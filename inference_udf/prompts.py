"""PromptEncoder: a prompt (text, or chat messages) to token ids, with an optional chat template
and system prompt, and the per-row rule for prompts longer than the context allows.

A messages value is a list of ``{"role": ..., "content": ...}`` items (an
``array<struct<role string, content string>>`` column); it always goes through a chat template
(the one given, else the tokenizer's own)."""

from __future__ import annotations

from inference_udf.arrow_rows import Unreadable

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
        self._longest: int | None = None     # characters of the vocabulary's longest token

    def encode(self, prompt, max_tokens: int, system_prompt: str | None = None) -> list[int]:
        """Token ids for ``prompt``, at most ``max_tokens`` of them; ValueError says why not."""
        if prompt is None:
            raise ValueError("the prompt is null: give text or chat messages")
        if isinstance(prompt, Unreadable):
            raise ValueError(f"the prompt {prompt.reason}")
        if isinstance(prompt, (bytes, bytearray)):
            raise ValueError(f"the prompt is binary ({len(prompt)} bytes): give a string column "
                             "(for UTF-8 bytes, CAST(column AS STRING))")
        system = system_prompt if system_prompt is not None else self.system_prompt
        if isinstance(prompt, str):
            if not prompt.strip():
                raise ValueError("the prompt is empty: give some text")
            self._check_characters(len(prompt), max_tokens)
            ids = self._tokens(prompt, system)
        elif hasattr(prompt, "__len__") and not isinstance(prompt, dict):
            messages = _messages(prompt)
            self._check_characters(sum(len(m["content"]) for m in messages), max_tokens)
            ids = self._chat(messages, system)
        else:
            raise ValueError(f"the prompt must be a string or a list of chat messages: got "
                             f"{type(prompt).__name__} {shorten(prompt)}")
        if len(ids) > max_tokens:
            if self.overflow == "error":
                raise ValueError(
                    f"the prompt has {len(ids)} tokens but at most {max_tokens} fit (context minus "
                    "max_new_tokens): shorten it, lower max_new_tokens or use overflow='truncate'")
            ids = ids[len(ids) - max_tokens:]
        return ids

    def _check_characters(self, characters: int, max_tokens: int) -> None:
        """With ``overflow="error"``, refuse text too long to fit before tokenizing it: no token
        covers more characters than the vocabulary's longest entry (x2 for normalizers that
        compose characters), so longer text has more tokens than fit, whatever they are."""
        if self.overflow != "error":
            return
        most = 2 * self._longest_token() * max_tokens
        if characters > most:
            raise ValueError(
                f"the prompt has {characters} characters, more than {max_tokens} tokens (context "
                "minus max_new_tokens) can hold: shorten it, lower max_new_tokens or use "
                "overflow='truncate'")

    def _longest_token(self) -> int:
        if self._longest is None:
            self._longest = max(map(len, self.tokenizer.get_vocab()), default=1) or 1
        return self._longest

    def _tokens(self, prompt: str, system: str | None) -> list[int]:
        if not self.chat_template:
            text = prompt if system is None else f"{system}\n\n{prompt}"
            return self.tokenizer(text)["input_ids"]
        return self._chat([{"role": "user", "content": prompt}], system)

    def _chat(self, messages: list[dict], system: str | None) -> list[int]:
        if system and messages[0]["role"] != "system":
            messages = [{"role": "system", "content": system}] + messages
        template = self.chat_template if isinstance(self.chat_template, str) else None
        if template is None and not getattr(self.tokenizer, "chat_template", None):
            raise ValueError("chat messages need a chat template, and the tokenizer has none: "
                             "pass chat_template as a string")
        ids = self.tokenizer.apply_chat_template(messages, chat_template=template,
                                                 add_generation_prompt=True, tokenize=True)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def _messages(value) -> list[dict]:
    """Chat messages from an Arrow ``array<struct<role, content>>`` value; ValueError if not."""
    messages = []
    for item in value:
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(role, str) or not isinstance(content, str):
            raise ValueError("each chat message must have a string 'role' and 'content': got "
                             f"{shorten(item)}")
        messages.append({"role": role, "content": content})
    if not messages:
        raise ValueError("the chat messages are empty")
    return messages


def shorten(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error message never carries a huge row."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
