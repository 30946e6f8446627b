"""The engine process: one per executor device, serving every concurrent task on it.

    python -m inference_udf.engine_server --socket PATH --config JSON --watch-pid PID

Loads the model once, then listens on a Unix socket. Each task opens one connection and sends
its rows; a reader thread per connection decodes its messages, the engine thread runs the
``SharedEngine`` (all tasks' requests share every decode step), and a writer thread sends each
finished request back on its task's connection, so the engine thread does no socket I/O or
message encoding between steps. A connection that closes
(the task ended, failed or was killed) has its requests dropped. The process exits when the
executor (``--watch-pid``) is gone.

Messages are length-prefixed JSON (``channel.py``): rows are token ids and sampling settings,
small next to a decode step, and JSON cannot run code on the receiving side.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import sys
import threading
import time

from inference_udf.channel import ChannelClosed, receive, send
from inference_udf.sampling_params import SamplingParams

FIRST_WEIGHTS_READ_S = 5.0


class _Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.open = True
        self.submitted = False


def serve(socket_path: str, config: dict, watch_pid: int | None) -> None:
    from inference_udf.device import set_cpu_threads
    from inference_udf.loading import engine_for, load_model
    from inference_udf.shared_engine import SharedEngine

    import torch

    device = torch.device(config["device"])
    set_cpu_threads(device, config.get("num_threads") or 1)
    loaded = load_model(config["model"], device, config.get("dtype", "auto"))
    engine = engine_for(loaded, **config["engine_options"])
    shared = SharedEngine(engine, config.get("weights"), fifo=config.get("fifo", False))
    hello = {"op": "hello", "pid": os.getpid(), "model": config["model"], "models_loaded": 1,
             "max_model_len": engine.max_model_len, "tasks_served": 0, "weights_file_reads": 0}
    inbox: queue.Queue = queue.Queue()
    if config.get("weights_file"):
        from inference_udf.user_weights import WeightsFile

        # Read on its own thread; the engine thread takes new weights between steps. The first
        # read is awaited (briefly: a hung mount must not hold the start), so that the file's
        # weights hold from the first request.
        def read():
            hello["weights_file_reads"] += 1

        first = WeightsFile(config["weights_file"]).watch(
            lambda weights: inbox.put((None, {"op": "weights", "weights": weights})),
            on_read=read)
        first.wait(FIRST_WEIGHTS_READ_S)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    listener.bind(socket_path)
    os.chmod(socket_path, 0o600)
    listener.listen(64)
    if watch_pid:
        threading.Thread(target=_exit_with, args=(watch_pid, socket_path), daemon=True).start()
    threading.Thread(target=_accept, args=(listener, inbox, hello), daemon=True).start()
    threading.Thread(target=_write, args=(_OUTBOX,), name="uwfq-engine-writer",
                     daemon=True).start()
    _engine_loop(shared, inbox, hello)


def _accept(listener, inbox, hello) -> None:
    while True:
        sock, _ = listener.accept()
        connection = _Connection(sock)
        send(sock, hello)
        threading.Thread(target=_read, args=(connection, inbox), daemon=True).start()


def _read(connection: _Connection, inbox: queue.Queue) -> None:
    try:
        while True:
            inbox.put((connection, receive(connection.sock)))
    except (ChannelClosed, OSError, ValueError):
        inbox.put((connection, {"op": "closed"}))


def _engine_loop(shared, inbox: queue.Queue, hello: dict) -> None:
    while True:
        messages = []
        try:
            # Block only when there is nothing to step; otherwise take what has arrived.
            messages.append(inbox.get_nowait() if shared.has_work else inbox.get())
            while True:
                messages.append(inbox.get_nowait())
        except queue.Empty:
            pass
        for connection, message in messages:
            _handle(shared, connection, message, hello)
        if not shared.has_work:
            continue
        replies: dict[_Connection, list] = {}
        for pending, request in shared.step():
            replies.setdefault(pending.owner, []).append(
                [pending.request_id, request.output_ids, request.finish_reason.value,
                 request.stop_text_end, request.error, request.token_logprobs,
                 request.top_logprobs])
        for connection, results in replies.items():
            _send(connection, {"op": "done", "results": results})


def _handle(shared, connection: _Connection, message: dict, hello: dict) -> None:
    op = message.get("op")
    if op == "submit":
        if not connection.submitted:
            connection.submitted = True
            hello["tasks_served"] += 1
        for request_id, prompt_ids, params, user in message["rows"]:
            params = SamplingParams(**{k: tuple(v) if isinstance(v, list) else v
                                       for k, v in params.items()})
            shared.submit(connection, request_id, prompt_ids, params, user)
    elif op == "cancel":
        shared.drop_owner(connection)
    elif op == "closed":
        connection.open = False
        shared.drop_owner(connection)
    elif op == "weights":
        shared.queue.weights = dict(message["weights"])
    elif op == "stats":
        _send(connection, dict(hello, op="stats", steps=shared.steps,
                               weights=dict(shared.queue.weights),
                               tokens=dict(shared.queue.tokens),
                               contended_tokens=dict(shared.contended_tokens)))


# Replies are encoded and written by one writer thread (in order), so the engine thread only
# queues them and goes on to the next step.
_OUTBOX: queue.Queue = queue.Queue()


def _send(connection: _Connection, message: dict) -> None:
    _OUTBOX.put((connection, message))


def _write(outbox: queue.Queue) -> None:
    while True:
        connection, message = outbox.get()
        if not connection.open:
            continue
        try:
            send(connection.sock, message)
        except OSError:
            connection.open = False      # its reader reports the close; the requests go then


def _exit_with(pid: int, socket_path: str) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            try:
                os.unlink(socket_path)
            finally:
                os._exit(0)
        except PermissionError:
            pass
        time.sleep(1.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--config", required=True, help="JSON: model, device, dtype, ...")
    parser.add_argument("--watch-pid", type=int, default=None)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(args.socket, json.loads(args.config), args.watch_pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
