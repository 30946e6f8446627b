"""The LLM batching benchmark behind ``uwfq bench-llm``: the same requests and model through
four batching methods (``methods``), run in interleaved rounds with results files (``run``)."""
