"""The lab's ``uwfq`` subcommands (replay, simulate, bench-llm), registered through the
``uwfq.commands`` entry-point group in pyproject.toml; the product's CLI loads them by name."""
