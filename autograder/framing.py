"""Length-prefixed messages over a socket: the framing under ``wire`` and the fork server.

It imports nothing heavy, so that the grader can start the fork server before it imports torch.
"""
import select
import struct

LENGTH = struct.Struct("!Q")
"""A message's length; ``wire`` also uses it for the parts inside a message."""


class WireError(ValueError):
    """A message that does not follow the format."""


def send(sock, data: bytes) -> None:
    sock.sendall(LENGTH.pack(len(data)) + data)


def receive(sock, limit: int) -> bytes:
    """One framed message; WireError if it is larger than ``limit``; EOFError if the peer is gone."""
    size, = LENGTH.unpack(read_exactly(sock, LENGTH.size))
    if size > limit:
        raise WireError(f"message of {size} bytes exceeds the limit of {limit}")
    return read_exactly(sock, size)


def readable(sock, seconds: float) -> bool:
    """Whether ``sock`` has something to read (a message, or its end) within ``seconds``. poll(), not
    select(): a grader with many sandboxes open may hold descriptors past select's 1024."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(max(seconds, 0.0) * 1000))


def read_exactly(sock, size: int) -> bytes:
    """``size`` bytes from ``sock``; EOFError if the peer closes first."""
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
