"""The ``uwfq`` command. Each subcommand is one module in spark_uwfq/commands/ that defines
``register(subparsers)``; adding a file adds a command."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from spark_uwfq import commands
from spark_uwfq._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uwfq", description="spark-uwfq: fair scheduling and LLM inference for shared Spark"
    )
    parser.add_argument("--version", action="version", version=f"spark-uwfq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
