"""LLMEngine: temporal fusion of generation requests (Flover).

Each ``step()``: admit waiting requests and prefill them; retire any already done; run one fused
decode step over every running request; retire the finished ones. Requests added between steps
join at the next step, so requests that arrived at different times share every decode step.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from inference_udf.admission import AdmissionPolicy, admission_policy
from inference_udf.kv_pool import DEFAULT_BLOCK_SIZE
from inference_udf.model_runner import ModelRunner
from inference_udf.request import Request
from inference_udf.sampler import BatchSampler
from inference_udf.sampling_params import SamplingParams
from inference_udf.scheduler import Scheduler
from inference_udf.stopping import TailDecoder, append_token


DEFAULT_MAX_MODEL_LEN = 2048
# On a GPU with no kv_budget_tokens: this share of the memory free after loading the model
# (vLLM's gpu_memory_utilization counts the weights too; here they are already resident).
GPU_KV_MEMORY_FRACTION = 0.5


class LLMEngine:
    def __init__(self, model, tokenizer=None, *, max_num_seqs: int = 16,
                 num_staging_slots: int | None = None, max_model_len: int | None = None,
                 kv_budget_tokens: int | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
                 admission: AdmissionPolicy | str | None = None, eos_token_ids: Iterable[int] | None = None,
                 cuda_graphs: bool = False):
        self.tokenizer = tokenizer
        context = getattr(model.config.get_text_config(), "max_position_embeddings", None) or \
            getattr(model.config, "n_positions", 2048)
        self.max_model_len = min(max_model_len or DEFAULT_MAX_MODEL_LEN, context)
        if num_staging_slots is None:
            num_staging_slots = max(1, max_num_seqs // 2)
        seats = max_num_seqs + num_staging_slots
        budget = kv_budget_tokens or _default_budget(model, seats * self.max_model_len)
        # One block of slack per seat: a request wastes less than a block, so any set of
        # requests holding at most ``budget`` tokens always finds its blocks.
        num_blocks = -(-budget // block_size) + seats
        # cuda_graphs: replay a captured decode step per (batch, width) bucket on a GPU.
        self.runner = ModelRunner(model, num_blocks, self.max_model_len, block_size,
                                  max_batch=max_num_seqs, cuda_graphs=cuda_graphs)
        self.scheduler = Scheduler(self.runner.pool, budget, self.max_model_len, max_num_seqs,
                                   num_staging_slots, admission_policy(admission))
        if eos_token_ids is None:
            eos_token_ids = _eos_ids(model, tokenizer)
        self.stop_token_ids = frozenset(eos_token_ids)
        # Prefill and decode batches differ; each sampler keeps its batch's settings on the device.
        self._prefill_sampler = BatchSampler(self.runner.device, self.stop_token_ids)
        self._decode_sampler = BatchSampler(self.runner.device, self.stop_token_ids)
        self._tails = TailDecoder()
        self._detokenize = None
        if tokenizer is not None:
            self._detokenize = lambda ids: tokenizer.decode(ids, skip_special_tokens=True)

    def add_request(self, request_id, prompt_ids: Sequence[int], params: SamplingParams) -> Request:
        """Queue a request; raises ValueError if it can never fit (nothing is queued then)."""
        if not prompt_ids:
            raise ValueError("the prompt has no tokens: give a non-empty prompt")
        request = Request(request_id, list(prompt_ids), params)
        self.scheduler.add(request)
        return request

    def reset(self) -> None:
        """Drop every queued and running request (e.g. after a failed task)."""
        self.scheduler.reset()
        self.runner.reset()

    @property
    def has_unfinished(self) -> bool:
        return self.scheduler.has_work

    def unfinished(self) -> list[Request]:
        scheduler = self.scheduler
        return list(scheduler.waiting) + list(scheduler.staged) + list(scheduler.running)

    def step(self) -> list[Request]:
        """One engine iteration; returns the requests that finished in it."""
        scheduler = self.scheduler
        admitted = scheduler.schedule()
        # Retiring (and compacting) is only needed when some request finished.
        finished = []
        if admitted and self._postprocess(admitted, self.runner.prefill(admitted),
                                          self._prefill_sampler):
            finished = scheduler.retire()
        if scheduler.running:
            scheduler.prepare_decode()
            running = scheduler.running
            logits = self.runner.decode(running)
            if self._postprocess(running, logits, self._decode_sampler):
                finished += scheduler.retire()
        return finished

    def generate(self, prompts: Sequence[Sequence[int]],
                 params: SamplingParams | Sequence[SamplingParams]) -> list[Request]:
        """Run ``prompts`` to completion; returns their requests in input order."""
        if isinstance(params, SamplingParams):
            params = [params] * len(prompts)
        requests = [self.add_request(i, p, sp) for i, (p, sp) in enumerate(zip(prompts, params))]
        while self.has_unfinished:
            self.step()
        return requests

    def _postprocess(self, requests: Sequence[Request], logits, sampler: BatchSampler) -> bool:
        """Append each request's next token (ids and stop flags come back in one copy); True if
        any request finished."""
        any_finished = False
        tokens, stops = sampler.step(logits, requests)
        if sampler is self._decode_sampler:
            self.runner.advance(sampler.last_tokens)
        for request, token, stop in zip(requests, tokens, stops):
            append_token(request, token, self.stop_token_ids, self._detokenize,
                         is_stop_token=stop, tails=self._tails)
            any_finished = any_finished or request.finished
        return any_finished


def _default_budget(model, cpu_tokens: int) -> int:
    """KV tokens when the user gave no budget: on a GPU a share of its free memory, on the CPU
    every seat at the full context (the memory the engine always held before it had a pool)."""
    import torch

    device = model.device
    if device.type != "cuda":
        return cpu_tokens
    config = model.config.get_text_config()
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    per_token = 2 * config.num_hidden_layers * kv_heads * head_dim * model.dtype.itemsize
    free, _ = torch.cuda.mem_get_info(device)
    return max(1, int(free * GPU_KV_MEMORY_FRACTION) // per_token)


def _eos_ids(model, tokenizer) -> list[int]:
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        eos = getattr(model.config, "eos_token_id", None)
    if eos is None and tokenizer is not None:
        eos = tokenizer.eos_token_id
    if eos is None:
        return []
    return list(eos) if isinstance(eos, (list, tuple)) else [eos]
