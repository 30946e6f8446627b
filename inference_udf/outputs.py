"""The generation UDF's output struct, and one row's value from its finished requests.

Always: ``text, finish_reason, prompt_tokens, completion_tokens, error``. Only when asked for:
``logprobs=k`` adds ``token_logprobs`` (each generated token's log-probability) and, for k > 0,
``top_logprobs`` (the k most likely tokens at each step); ``n > 1`` replaces the one answer by
``choices``, an array of n answers (text, finish_reason, completion_tokens and the logprob
fields), next to ``prompt_tokens`` and ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from inference_udf.request import FinishReason, Request
from inference_udf.sampling_params import check_logprobs

TOP_LOGPROB = "array<array<struct<token_id int, token string, logprob double>>>"


@dataclass(frozen=True)
class OutputOptions:
    logprobs: int | None = None
    n: int = 1

    def __post_init__(self):
        if self.logprobs is not None:
            check_logprobs(self.logprobs)
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be an integer >= 1: got {self.n!r}")

    def _answer_fields(self) -> list[str]:
        fields = ["text string", "finish_reason string", "completion_tokens int"]
        if self.logprobs is not None:
            fields.append("token_logprobs array<double>")
        if self.logprobs:
            fields.append(f"top_logprobs {TOP_LOGPROB}")
        return fields

    @property
    def schema(self) -> str:
        answer = self._answer_fields()
        if self.n == 1:
            return ", ".join(answer[:2] + ["prompt_tokens int"] + answer[2:] + ["error string"])
        return f"choices array<struct<{', '.join(answer)}>>, prompt_tokens int, error string"

    @property
    def columns(self) -> list[str]:
        return [field.split(" ", 1)[0] for field in split_fields(self.schema)]

    def result(self, requests: list[Request], tokenizer) -> dict:
        """One row from its ``n`` finished requests (an error in any makes the row an error)."""
        failed = [r for r in requests if r.finish_reason is FinishReason.ERROR]
        if failed:
            return self.error(failed[0].error, requests[0].prompt_len)
        answers = [self._answer(r, tokenizer) for r in requests]
        if self.n == 1:
            return {**answers[0], "prompt_tokens": requests[0].prompt_len, "error": None}
        return {"choices": answers, "prompt_tokens": requests[0].prompt_len, "error": None}

    def error(self, message: str, prompt_tokens: int | None = None) -> dict:
        row = dict.fromkeys(self.columns)
        if self.n == 1:
            row["finish_reason"] = FinishReason.ERROR.value
        row.update(prompt_tokens=prompt_tokens, error=message)
        return row

    def frame(self, results: list[dict]) -> pd.DataFrame:
        frame = pd.DataFrame(results, columns=self.columns)
        for column in ("prompt_tokens", "completion_tokens"):
            if column in frame:
                frame[column] = frame[column].astype("Int32")
        return frame

    def _answer(self, request: Request, tokenizer) -> dict:
        text = tokenizer.decode(request.output_ids, skip_special_tokens=True)
        if request.stop_text_end is not None:
            text = text[:request.stop_text_end]
        answer = {"text": text, "finish_reason": request.finish_reason.value,
                  "completion_tokens": len(request.output_ids)}
        if self.logprobs is not None:
            answer["token_logprobs"] = list(request.token_logprobs)
        if self.logprobs:
            answer["top_logprobs"] = [
                [{"token_id": t, "token": tokenizer.decode([t]), "logprob": lp} for t, lp in step]
                for step in request.top_logprobs]
        return answer


def split_fields(schema: str) -> list[str]:
    """Top-level fields of a DDL schema string (commas inside <...> do not split)."""
    fields, depth, start = [], 0, 0
    for i, char in enumerate(schema):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(schema[start:i].strip())
            start = i + 1
    fields.append(schema[start:].strip())
    return fields
