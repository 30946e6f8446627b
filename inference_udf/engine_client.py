"""A task's side of the shared engine: find (or start) the executor's engine process and stream
rows through it.

``RemoteEngine`` has the parts of ``LLMEngine`` that ``generate_rows`` uses (``add_request``,
``step``, ``has_unfinished``, ``unfinished``, ``reset``), so the UDF body is the same for a
per-task and a shared engine. Tokenizing and detokenizing stay in the task's process.

One engine process per (executor, device, model, settings): its socket's name is a hash of
those. The first task takes a file lock, starts the process in its own session (so it outlives
the task) and waits for its socket; the next tasks connect to it. If it dies, the task fails
with ``EngineUnavailable`` and Spark's retry starts a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from inference_udf.channel import ChannelClosed, receive, send
from inference_udf.request import FinishReason, Request, Status

START_TIMEOUT_S = 600.0


class EngineUnavailable(RuntimeError):
    """The shared engine process is gone or could not start; the task must fail (and retry)."""


class RemoteEngine:
    def __init__(self, sock: socket.socket, hello: dict, tokenizer, user: str):
        self.sock = sock
        self.pid = hello["pid"]
        self.max_model_len = hello["max_model_len"]
        self.tokenizer = tokenizer
        self.user = user
        self.scheduler = self          # generate_rows reads scheduler.num_in_flight
        self._pending: dict[int, Request] = {}
        self._outbox: list = []
        self._next_id = 0

    @property
    def num_in_flight(self) -> int:
        return len(self._pending)

    @property
    def has_unfinished(self) -> bool:
        return bool(self._pending)

    def unfinished(self) -> list[Request]:
        return list(self._pending.values())

    def add_request(self, request_id, prompt_ids, params) -> Request:
        if not prompt_ids:
            raise ValueError("the prompt has no tokens: give a non-empty prompt")
        request = Request(request_id, list(prompt_ids), params)
        self._pending[self._next_id] = request
        self._outbox.append([self._next_id, request.prompt_ids, _params_dict(params), self.user])
        self._next_id += 1
        return request

    def step(self) -> list[Request]:
        """Send queued rows, then wait for the next finished requests."""
        if self._outbox:
            self._send({"op": "submit", "rows": self._outbox})
            self._outbox = []
        if not self._pending:
            return []
        message = self._receive()
        finished = []
        for (request_id, output_ids, reason, stop_text_end, error, token_logprobs,
             top_logprobs) in message["results"]:
            request = self._pending.pop(request_id)
            request.output_ids = output_ids
            request.status, request.finish_reason = Status.FINISHED, FinishReason(reason)
            request.stop_text_end, request.error = stop_text_end, error
            request.token_logprobs = token_logprobs
            request.top_logprobs = [[tuple(pair) for pair in step] for step in top_logprobs]
            finished.append(request)
        return finished

    def reset(self) -> None:
        self._pending.clear()
        self._outbox = []
        self._send({"op": "cancel"})

    def stats(self) -> dict:
        """The engine's pid, models loaded, steps and tokens per user (on a connection with no
        rows in flight)."""
        self._send({"op": "stats"})
        while True:
            message = self._receive()
            if message["op"] == "stats":
                return message

    def close(self) -> None:
        self.sock.close()

    def interrupt(self) -> None:
        """Wake a ``step`` blocked on the engine's answer (the task is over): it raises."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, message: dict) -> None:
        try:
            send(self.sock, message)
        except OSError as exc:
            raise self._gone(exc) from exc

    def _receive(self) -> dict:
        try:
            return receive(self.sock)
        except (ChannelClosed, OSError) as exc:
            raise self._gone(exc) from exc

    def _gone(self, exc) -> EngineUnavailable:
        return EngineUnavailable(
            f"the shared inference engine (pid {self.pid}) went away ({exc}); the task fails so "
            "that Spark retries it, which starts a new engine")


def connect(config: dict, tokenizer, user: str) -> RemoteEngine:
    """This executor's engine for ``config``, started if it is not running yet."""
    path = socket_path(config)
    sock = _try_connect(path)
    if sock is None:
        with _start_lock(path):
            sock = _try_connect(path) or _start(path, config)
    return RemoteEngine(sock, receive(sock), tokenizer, user)


def running_engines(model: str | None = None) -> list[dict]:
    """Stats of every engine process of this machine's user (for ``model`` only, if given)."""
    found = []
    for path in sorted(_socket_folder().glob("*.sock")):
        sock = _try_connect(str(path))
        if sock is None:
            continue
        engine = RemoteEngine(sock, receive(sock), None, "")
        try:
            if model is None or engine.stats()["model"] == str(model):
                found.append(engine.stats())
        finally:
            engine.close()
    return found


def _socket_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / f"uwfq-engines-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def socket_path(config: dict) -> str:
    key = json.dumps([executor_pid(), config], sort_keys=True, default=str)
    folder = _socket_folder()
    # Unix socket paths are limited to ~100 bytes: a short hash, not the settings.
    return str(folder / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".sock"))


def executor_pid() -> int:
    """The executor JVM above this Python worker (the daemon's parent), else the parent."""
    pid = os.getppid()
    for _ in range(4):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "java":
                return pid
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return os.getppid()


def _try_connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        return sock
    except OSError:
        sock.close()
        return None


class _start_lock:
    def __init__(self, path: str):
        self.file = open(path + ".lock", "w")

    def __enter__(self):
        fcntl.flock(self.file, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _start(path: str, config: dict) -> socket.socket:
    log = open(path + ".log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "inference_udf.engine_server", "--socket", path,
         "--config", json.dumps(config), "--watch-pid", str(executor_pid())],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineUnavailable(f"the shared inference engine exited while starting "
                                    f"(code {process.returncode}): {_tail(path + '.log')}")
        sock = _try_connect(path)
        if sock is not None:
            return sock
        time.sleep(0.1)
    process.kill()
    raise EngineUnavailable(f"the shared inference engine did not start within "
                            f"{START_TIMEOUT_S:.0f} s: {_tail(path + '.log')}")


def _tail(log_path: str, chars: int = 2000) -> str:
    try:
        return Path(log_path).read_text()[-chars:]
    except OSError:
        return "(no log)"


def _params_dict(params) -> dict:
    from dataclasses import asdict

    return asdict(params)
