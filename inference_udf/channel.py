"""Length-prefixed JSON messages over a stream socket (the engine server and its tasks)."""

from __future__ import annotations

import json
import socket
import struct

_LENGTH = struct.Struct("!I")


class ChannelClosed(ConnectionError):
    """The other side closed the connection."""


def send(sock: socket.socket, message: dict) -> None:
    body = json.dumps(message, separators=(",", ":")).encode()
    sock.sendall(_LENGTH.pack(len(body)) + body)


def receive(sock: socket.socket) -> dict:
    (length,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    return json.loads(_exactly(sock, length))


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ChannelClosed("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
