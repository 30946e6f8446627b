"""The generation UDF's body runs on three threads: rows are read and tokenized on one, the
engine steps on another, text and output rows are built on the UDF's own; rows keep their order,
batches their boundaries, bad rows their errors, and the output is the same from run to run."""

from __future__ import annotations

import threading

import pytest

from tests.llm_fixtures import load

from inference_udf.engine import LLMEngine
from inference_udf.outputs import OutputOptions
from inference_udf.prompts import PromptEncoder
from inference_udf.row_stream import generate_rows
from inference_udf.sampling_params import SamplingParams
from inference_udf.tiny import corpus, write_tiny_checkpoint


class Threads:
    def __init__(self):
        self.seen: dict[str, set[int]] = {"encode": set(), "step": set(), "result": set()}
        self.lock = threading.Lock()

    def note(self, what: str) -> None:
        with self.lock:
            self.seen[what].add(threading.get_ident())


def recording(threads: Threads):
    class Encoder(PromptEncoder):
        def encode(self, *args, **kwargs):
            threads.note("encode")
            return super().encode(*args, **kwargs)

    class Engine(LLMEngine):
        def step(self):
            threads.note("step")
            return super().step()

    class Output(OutputOptions):
        def result(self, *args, **kwargs):
            threads.note("result")
            return super().result(*args, **kwargs)

    return Encoder, Engine, Output


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load(write_tiny_checkpoint(tmp_path_factory.mktemp("llama"), "llama"))


def batches(sizes, seed=0):
    texts = iter(corpus(sum(sizes), seed=seed))
    out = []
    for size in sizes:
        prompts = [next(texts) for _ in range(size)]
        out.append((prompts, [{"max_new_tokens": 3 + i % 7} for i in range(size)]))
    out[1][0][1] = ""                                      # a bad row: its error, in its place
    return out


def run(tiny, sizes, threads):
    model, tokenizer = tiny
    Encoder, Engine, Output = recording(threads)
    engine = Engine(model, tokenizer, max_num_seqs=4, max_model_len=128)
    frames = list(generate_rows(engine, Encoder(tokenizer), SamplingParams(8),
                                iter(batches(sizes)), rows_ahead=6, output=Output()))
    return frames, engine


def test_reading_stepping_and_output_run_on_separate_threads(tiny):
    threads = Threads()
    sizes = [5, 3, 7, 1, 6]
    frames, _ = run(tiny, sizes, threads)
    seen = threads.seen
    assert seen["encode"] and seen["step"] and seen["result"]
    assert not seen["encode"] & seen["step"]              # tokenizing never holds up a step
    assert not seen["result"] & seen["step"]              # nor does building the output
    assert seen["result"] == {threading.get_ident()}       # output on the UDF's own thread
    assert [len(f) for f in frames] == sizes               # batch boundaries kept
    assert frames[1]["error"][1].startswith("the prompt is empty")


def test_rows_keep_their_order_and_equal_each_row_run_alone(tiny):
    model, tokenizer = tiny
    sizes = [5, 3, 7, 1, 6]
    frames, _ = run(tiny, sizes, Threads())
    again, _ = run(tiny, sizes, Threads())
    texts = [t for f in frames for t in f["text"]]
    assert texts == [t for f in again for t in f["text"]]  # the same from run to run
    encoder = PromptEncoder(tokenizer)
    rows = [(p, o) for prompts, overrides in batches(sizes) for p, o in zip(prompts, overrides)]
    alone = LLMEngine(model, tokenizer, max_num_seqs=1, max_model_len=128)
    for text, (prompt, override) in zip(texts, rows):
        if not prompt:
            assert text is None
            continue
        request, = alone.generate([encoder.encode(prompt, 100)],
                                  SamplingParams(override["max_new_tokens"]))
        assert text == tokenizer.decode(request.output_ids, skip_special_tokens=True)


def test_a_failing_input_fails_the_task_and_stops_the_engine_thread(tiny):
    model, tokenizer = tiny
    engine = LLMEngine(model, tokenizer, max_num_seqs=4, max_model_len=128)

    def broken():
        yield from batches([4, 4])
        raise OSError("the input stream broke")

    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(OSError, match="input stream broke"):
        list(generate_rows(engine, PromptEncoder(tokenizer), SamplingParams(4), broken(),
                           rows_ahead=4))
    engine_threads = [t for t in threading.enumerate()
                      if t.ident not in before and t.name == "uwfq-engine"]
    assert not engine_threads                              # joined before the error surfaced


def test_a_batch_enters_the_engine_longest_limit_first_so_no_long_row_runs_alone_at_the_end(tiny):
    # A batch is done when its slowest row is. With two seats, eight 4-token rows and one
    # 40-token row: in input order the long row starts last and decodes alone for 40 steps after
    # the others (56 steps); started first, the short rows share its steps (40 steps).
    model, tokenizer = tiny
    admitted, steps = [], []

    class Engine(LLMEngine):
        def add_request(self, request_id, prompt_ids, params):
            admitted.append(request_id[1])
            return super().add_request(request_id, prompt_ids, params)

        def step(self):
            steps.append(len(self.scheduler.running))
            return super().step()

    limits = [4] * 8 + [40]
    prompts = corpus(len(limits), seed=3)
    engine = Engine(model, tokenizer, max_num_seqs=2, num_staging_slots=1, max_model_len=128,
                    eos_token_ids=[10_000])                # never stops early: steps are exact
    frames = list(generate_rows(engine, PromptEncoder(tokenizer), SamplingParams(8),
                                iter([(prompts, [{"max_new_tokens": n} for n in limits])]),
                                rows_ahead=len(limits)))
    assert admitted == [8, 0, 1, 2, 3, 4, 5, 6, 7]          # longest first, ties in input order
    assert len(steps) <= 41
    assert list(frames[0]["completion_tokens"]) == limits   # rows come back in input order


def test_a_prompt_too_long_to_fit_is_refused_before_it_is_tokenized(tiny):
    # Tokenizing a megabyte of text costs seconds; no token covers more characters than the
    # vocabulary's longest entry, so such a prompt is refused from its length alone.
    _, tokenizer = tiny
    tokenized = []

    class Counting(PromptEncoder):
        def _tokens(self, *args):
            tokenized.append(1)
            return super()._tokens(*args)

    longest = max(map(len, tokenizer.get_vocab()))
    encoder = Counting(tokenizer)
    with pytest.raises(ValueError, match=r"the prompt has 1000000 characters, more than 64 "
                                         r"tokens .* can hold: .*overflow='truncate'"):
        encoder.encode("spark " * 166_666 + "data", 64)
    with pytest.raises(ValueError, match="more than 64 tokens"):
        encoder.encode([{"role": "user", "content": "x" * 1_000_000}], 64)
    assert not tokenized
    # At the bound the text is tokenized and refused by its real token count, as before.
    with pytest.raises(ValueError, match="the prompt has .* tokens but at most 64 fit"):
        encoder.encode("spark " * (longest * 2 * 64 // 6), 64)
    assert tokenized
    # Truncation keeps the end of any prompt, so it still reads the whole text.
    assert len(Counting(tokenizer, overflow="truncate").encode("spark " * 200_000, 64)) == 64
