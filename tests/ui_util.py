"""Helpers for tests that use Spark's web UI as a person would: free loopback ports, HTTP."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def get_json(url: str) -> dict:
    return json.loads(get(url))


def reachable(url: str) -> bool:
    try:
        get(url, timeout=5)
        return True
    except (urllib.error.URLError, OSError):
        return False
