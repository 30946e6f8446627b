"""Subcommands of the ``uwfq`` CLI, one module each (see spark_uwfq/cli.py)."""
