"""Log-likelihood of a completion given a prompt, for batch scoring.

Prompt and completion are tokenized separately and concatenated, so the completion's tokens are
exactly the ones scored. Only the completion positions go through the output head (the model's
own, with whatever it does to logits: softcapping, logit scales), so memory is ``completion
tokens x vocab`` rather than ``batch x length x vocab``.
"""

from __future__ import annotations

from typing import Sequence

import torch


@torch.inference_mode()
def completion_logprobs(model, pairs: Sequence[tuple[list[int], list[int]]]) -> list[float]:
    """Sum of log p(completion token | everything before it), one float per (prompt, completion)."""
    device = model.device
    lengths = [len(p) + len(c) for p, c in pairs]
    width = max(lengths)
    input_ids = torch.zeros((len(pairs), width), dtype=torch.long)
    attention_mask = torch.zeros((len(pairs), width), dtype=torch.long)
    rows, positions, targets = [], [], []
    for row, (prompt, completion) in enumerate(pairs):
        sequence = prompt + completion
        input_ids[row, :len(sequence)] = torch.tensor(sequence)
        attention_mask[row, :len(sequence)] = 1
        # The token at position t is predicted by the hidden state at t - 1.
        for t in range(len(prompt), len(sequence)):
            rows.append(row)
            positions.append(t - 1)
            targets.append(sequence[t])
    # The rows' kept positions, flattened in row-major order: the same order as ``targets``.
    keep = torch.zeros((len(pairs), width), dtype=torch.bool)
    keep[torch.tensor(rows), torch.tensor(positions)] = True
    logits = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device),
                   use_cache=False, logits_to_keep=keep.to(device)).logits       # [N, vocab]
    logprobs = logits.float().log_softmax(dim=-1)
    token_logprobs = logprobs.gather(1, torch.tensor(targets, device=device)[:, None])[:, 0]
    totals = torch.zeros(len(pairs), dtype=torch.float64, device=device)
    totals.index_add_(0, torch.tensor(rows, device=device), token_logprobs.double())
    return totals.tolist()
