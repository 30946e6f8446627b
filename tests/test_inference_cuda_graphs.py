"""CUDA graphs of the decode step, as far as a CPU can check them: the buckets; the padded
fixed-shape step a graph captures gives the eager step's logits (full, sliding-window and mixed
layers, absolute positions); a whole generation through the bucketed steps, with only the
capture replaced by running the same step, gives the eager tokens; on the CPU cuda_graphs=True
runs eager. On a GPU, graphed and eager generation give the same tokens (skipped without one).
"""

from __future__ import annotations

import pytest

from tests.llm_fixtures import torch
from tests.test_inference_families import build, prompts

from inference_udf.cuda_graphs import (BATCH_BUCKETS, DecodeGraphs, StaticDecode, batch_bucket,
                                       width_bucket)
from inference_udf.engine import LLMEngine
from inference_udf.sampling_params import SamplingParams

NO_EOS = [10_000]
LIMITS = (24, 18, 30, 12, 26, 20)


def test_buckets():
    assert [batch_bucket(b, 64) for b in (1, 2, 3, 5, 17, 33, 64)] == [1, 2, 4, 8, 24, 48, 64]
    assert batch_bucket(65, 64) is None
    assert batch_bucket(6, 6) == 6 and batch_bucket(5, 6) == 6     # the largest is max_batch
    assert all(a < b for a, b in zip(BATCH_BUCKETS, BATCH_BUCKETS[1:]))
    assert [width_bucket(w, 2048, 16) for w in (1, 256, 257, 2000)] == [256, 256, 512, 2048]
    assert width_bucket(300, 100, 16) == 112                          # capped, whole blocks


class EagerReplay(DecodeGraphs):
    """DecodeGraphs with the capture replaced by running the same fixed-shape step."""

    def _capture(self, batch, width, state, rows):
        static = StaticDecode(self.runner, batch, width)

        class Replay:
            @staticmethod
            def replay():
                static.forward()

        self.captured[(batch, width)] = (static, Replay)
        return static, Replay


def generate(model, graphs=None, **options):
    engine = LLMEngine(model, max_num_seqs=5, max_model_len=96, eos_token_ids=NO_EOS, **options)
    if graphs is not None:
        engine.runner.graphs = graphs(engine.runner, 5)
    requests = engine.generate(prompts(), [SamplingParams(n) for n in LIMITS])
    return [r.output_ids for r in requests], engine


@pytest.mark.parametrize("family", ["llama", "gemma3_text", "mistral", "gpt2"])
def test_the_padded_step_gives_the_eager_logits(family):
    model = build(family)
    engine = LLMEngine(model, max_num_seqs=5, max_model_len=96, eos_token_ids=NO_EOS)
    for i, prompt in enumerate(prompts()):
        engine.add_request(i, prompt, SamplingParams(LIMITS[i]))
    for _ in range(12):                                    # past the sliding window of 8
        engine.step()
    runner = engine.runner
    engine.scheduler.prepare_decode()                     # as a step does: blocks for the
    state = runner._state                                 # tokens about to be written
    rows, width = len(state.requests), max(state.host_positions) + 1
    with torch.inference_mode():
        state.sync_blocks()
        eager = runner.decode_logits(state.tokens, state.positions, state.block_table, width)
        static = StaticDecode(runner, batch_bucket(rows, 8), width_bucket(width, 96, 16))
        static.load(state, rows)
        padded = static.forward()[:rows]
    assert static.batch > rows and static.width > width   # padding on both axes
    torch.testing.assert_close(padded, eager, atol=1e-4, rtol=1e-4)
    assert padded.argmax(-1).tolist() == eager.argmax(-1).tolist()


@pytest.mark.parametrize("family", ["llama", "gemma3_text"])
def test_bucketed_generation_gives_the_eager_tokens(family):
    model = build(family)
    eager, _ = generate(model)
    bucketed, engine = generate(model, graphs=EagerReplay)
    assert bucketed == eager
    assert len(engine.runner.graphs.captured) >= 2         # the batch shrank through buckets


def test_on_the_cpu_cuda_graphs_run_eager():
    model = build("llama")
    eager, _ = generate(model)
    asked, engine = generate(model, cuda_graphs=True)
    assert engine.runner.graphs is None and asked == eager


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_graphed_generation_gives_the_eager_tokens_on_a_gpu():
    model = build("llama").to("cuda")
    eager, _ = generate(model)
    graphed, engine = generate(model, cuda_graphs=True)
    assert engine.runner.graphs.enabled and engine.runner.graphs.captured
    assert graphed == eager
