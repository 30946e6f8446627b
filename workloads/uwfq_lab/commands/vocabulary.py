"""The words ``uwfq replay`` and ``uwfq simulate`` share, defined once: ``--policies`` (each
name optionally with the ``-p`` suffix: with the runtime partitioner), ``--partitioner``,
``--estimates oracle|learned|noisy[:SIGMA]``, ``--seed``, ``--out`` and ``--no-plots``, and the
results folder they name. A spelling from before the two were aligned is refused with the word
that replaced it."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path

from spark_uwfq.options import POLICIES
from uwfq_lab.estimates import HELP as ESTIMATES_HELP
from uwfq_lab.estimates import Estimates, parse_estimates
from uwfq_lab.metrics import PARTITIONED_SUFFIX

OFF = "off"
# "off" hands task sets to Spark's own scheduler: a real session has one, the simulator does not.
SIMULATED_POLICIES = tuple(p for p in POLICIES if p != OFF)
RENAMED_OPTIONS = {"--estimator": "--estimates"}


class _Renamed(argparse.Action):
    """An option of the older vocabulary: an error naming its replacement."""

    def __init__(self, option_strings, dest, replacement: str, **kwargs):
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)
        self.replacement = replacement

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string} is not an option; did you mean {self.replacement}? "
                     "(replay and simulate share one vocabulary; see --help)")


def add_shared_arguments(parser: argparse.ArgumentParser, *, default_policies: str,
                         policies_help: str, default_out: str) -> None:
    parser.add_argument("--policies", default=default_policies,
                        help=f"comma-separated policies (default {default_policies}), each "
                             f"optionally with {PARTITIONED_SUFFIX} for the runtime partitioner "
                             f"(e.g. uwfq{PARTITIONED_SUFFIX}); {policies_help}")
    parser.add_argument("--partitioner", action="store_true",
                        help=f"every policy with the runtime partitioner (as if each were named "
                             f"with the {PARTITIONED_SUFFIX} suffix)")
    parser.add_argument("--estimates", default="oracle", help=ESTIMATES_HELP)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the arrivals (and of the noisy estimates and skew)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results folder (default {default_out}/WORKLOAD, with "
                             f"{PARTITIONED_SUFFIX} for --partitioner and -ESTIMATES unless "
                             "oracle)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    for old, new in RENAMED_OPTIONS.items():
        parser.add_argument(old, action=_Renamed, replacement=new, dest=argparse.SUPPRESS)


def parse_policies(text: str, *, partitioner: bool = False,
                   available: tuple[str, ...] = POLICIES) -> list[str]:
    """Comma-separated names -> distinct names in order (``X-p``: X with the partitioner).

    A ValueError names each unknown one with the closest known name, and says why a known
    policy is not ``available`` here."""
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    if partitioner:
        names = [p if p.endswith(PARTITIONED_SUFFIX) else p + PARTITIONED_SUFFIX for p in names]
    problems = []
    for name in dict.fromkeys(names):
        base = name.removesuffix(PARTITIONED_SUFFIX)
        if base in available:
            continue
        if base in POLICIES:
            problems.append(f"{name} cannot run here ({OFF}: Spark's own scheduler, which only a "
                            "real Spark session has; use `uwfq replay`)")
            continue
        close = difflib.get_close_matches(base, available, n=1)
        problems.append(f"{name} is not a policy" + (f" (did you mean {close[0]}?)" if close else ""))
    if not names or problems:
        raise ValueError(f"--policies: {'; '.join(problems) or 'nothing given'}; expected a "
                         f"comma-separated list of {', '.join(available)}, each optionally with "
                         f"{PARTITIONED_SUFFIX} (with the runtime partitioner)")
    return list(dict.fromkeys(names))


def results_folder(out: Path | None, default_root: str, workload: str, partitioner: bool,
                   estimates: Estimates) -> Path:
    if out is not None:
        return out
    suffix = (PARTITIONED_SUFFIX if partitioner else "") + (
        "" if estimates.mode == "oracle" else "-" + estimates.label.replace(":", ""))
    return Path(default_root) / f"{workload}{suffix}"


__all__ = ["SIMULATED_POLICIES", "add_shared_arguments", "parse_estimates", "parse_policies",
           "results_folder"]
