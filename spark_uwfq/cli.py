"""The ``uwfq`` command. Each product subcommand is one module in spark_uwfq/commands/ that
defines ``register(subparsers)``; adding a file adds a command. Other installed packages (the
lab: replay, simulate, bench-llm) add theirs through the ``uwfq.commands`` entry-point group, so
this module never imports them."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from importlib.metadata import entry_points

from spark_uwfq import commands
from spark_uwfq._version import __version__

COMMAND_GROUP = "uwfq.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uwfq", description="spark-uwfq: fair scheduling and LLM inference for shared Spark"
    )
    parser.add_argument("--version", action="version", version=f"spark-uwfq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registers = {info.name: importlib.import_module(f"{commands.__name__}.{info.name}").register
                 for info in pkgutil.iter_modules(commands.__path__)}
    for point in entry_points(group=COMMAND_GROUP):
        registers.setdefault(point.name, point)
    for name in sorted(registers):
        register = registers[name]
        if not callable(register):  # an entry point: load the plugin's module only now
            try:
                register = register.load()
            except ImportError as exc:
                # A broken or half-removed plugin must not take the product's commands down.
                print(f"uwfq: command {name!r} ({register.value}) is unavailable: {exc}",
                      file=sys.stderr)
                continue
        register(sub)
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
