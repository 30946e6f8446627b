"""User weights for the shared engine, by the scheduler's rules (dev.uwfq.policy.Weights).

``spark.uwfq.weights`` ("alice:2,bob:1"): a bad entry is skipped with a warning (that user
weighs 1). ``spark.uwfq.weightsFile``: a properties file of ``user=weight`` lines that replaces
those weights once read; its ``user.maxShare`` / ``user.minShare`` lines are the scheduler's and
are skipped here. A file that is missing, unreadable, larger than 1 MiB, empty, or has any line
that is not ``user=positive number`` (a half-written file) is warned about once per content, and
the last good weights stay. Every weight is clamped to [0.001, 1000].

The engine process reads the file on a thread of its own (``WeightsFile.watch``), never on the
thread that steps the model: a hung mount must not stall decoding.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from pathlib import Path

MIN_WEIGHT, MAX_WEIGHT = 1e-3, 1e3
MAX_FILE_BYTES = 1 << 20
LIMIT_SUFFIXES = (".maxShare", ".minShare")
log = logging.getLogger(__name__)


def bounded(weight: float, where: str) -> float:
    clamped = min(MAX_WEIGHT, max(MIN_WEIGHT, weight))
    if clamped != weight:
        log.warning("%s: weight %s is outside [%s, %s]; using %s", where, weight, MIN_WEIGHT,
                    MAX_WEIGHT, clamped)
    return clamped


def parse_spec(spec: str | None, source: str = "spark.uwfq.weights") -> dict[str, float]:
    """"alice:2,bob:1" -> weights; bad entries are warned about and skipped."""
    weights: dict[str, float] = {}
    for item in (part.strip() for part in (spec or "").split(",")):
        if not item:
            continue
        user, colon, raw = item.rpartition(":")
        weight = _number(raw.strip()) if colon else math.nan
        if not user.strip() or not weight > 0:
            log.warning("%s: ignoring %r (expected user:weight with a positive weight); that "
                        "user weighs 1", source, item)
            continue
        weights[user.strip()] = bounded(weight, f"{source}, user {user.strip()!r}")
    return weights


def parse_file(text: str) -> tuple[dict[str, float] | None, str | None]:
    """A weights file's text -> (weights, None), or (None, what is wrong with it)."""
    try:
        entries = parse_properties(text)
    except ValueError as exc:
        return None, f"it is not a properties file ({exc})"
    if not entries:
        return None, "it has no user=weight line (empty or half-written?)"
    weights = {}
    for key, raw in entries.items():
        user, raw = key.strip(), raw.strip()
        if user.endswith(LIMIT_SUFFIXES):
            continue
        weight = _number(raw)
        if not user or not weight > 0:
            return None, f"line '{key}={raw}' is not user=positive number (half-written?)"
        weights[user] = bounded(weight, f"weights file, user {user!r}")
    return weights, None


class WeightsFile:
    """The file's last good weights; ``reload`` re-reads it (blocking I/O: off the hot path)."""

    def __init__(self, path: str):
        self.path = Path(path)
        self._content: bytes | None = None
        self._problem: str | None = None

    def reload(self) -> dict[str, float] | None:
        """New weights when the content changed and is good, else None (a problem is logged
        once per content)."""
        try:
            with open(self.path, "rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return self._warn(None, "it does not exist (deleted?)")
        except OSError as exc:
            return self._warn(None, f"it cannot be read: {exc}")
        if len(content) > MAX_FILE_BYTES:
            return self._warn(None, f"it is larger than {MAX_FILE_BYTES} bytes")
        if content == self._content:
            return None
        self._content = content
        weights, problem = parse_file(content.decode("utf-8", errors="replace"))
        if problem is not None:
            return self._warn(content, problem)
        self._problem = None
        log.info("read %d user weights from %s", len(weights), self.path)
        return weights

    def watch(self, apply, interval_s: float = 1.0, on_read=None) -> threading.Event:
        """A daemon thread that calls ``apply(weights)`` with each new good content (and
        ``on_read()`` after every read); the event is set once the first read is over."""
        first_read = threading.Event()

        def run():
            while True:
                try:
                    weights = self.reload()
                    if weights is not None:
                        apply(weights)
                except Exception:  # noqa: BLE001 - the watcher must outlive any one bad read
                    log.exception("reading the weights file %s failed", self.path)
                if on_read is not None:
                    on_read()
                first_read.set()
                time.sleep(interval_s)

        threading.Thread(target=run, name="uwfq-weights-file", daemon=True).start()
        return first_read

    def _warn(self, content: bytes | None, problem: str) -> None:
        self._content = content
        if problem != self._problem:
            log.warning("weights file %s: %s; keeping the weights read before (write the file "
                        "whole, one user=weight line per user, then rename it into place)",
                        self.path, problem)
            self._problem = problem
        return None


def _number(text: str) -> float:
    """Java's Double.parseDouble for the decimal forms (no digit separators)."""
    if "_" in text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """``java.util.Properties.load``'s format: ``#``/``!`` comments, ``key=value``,
    ``key:value`` or ``key value``, backslash line continuations and escapes (``\\uXXXX``);
    raises ValueError for a malformed ``\\u`` escape, as Java does."""
    entries: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line) and i < len(lines):
            line = line[:-1] + lines[i].lstrip(" \t\f")
            i += 1
        if _continues(line):
            line = line[:-1]
        key, value = _split_entry(line)
        entries[_unescape(key)] = _unescape(value)
    return entries


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split_entry(line: str) -> tuple[str, str]:
    j, escaped = 0, False
    while j < len(line):
        char = line[j]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "=: \t\f":
            break
        j += 1
    key, rest = line[:j], line[j:]
    rest = rest.lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


_ESCAPE = re.compile(r"\\(u(.{0,4})|.)", re.S)


def _unescape(text: str) -> str:
    def one(match: re.Match) -> str:
        if match.group(1).startswith("u"):
            digits = match.group(2)
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("Malformed \\uxxxx encoding.")
            return chr(int(digits, 16))
        return _ESCAPES.get(match.group(1), match.group(1))

    return _ESCAPE.sub(one, text)
