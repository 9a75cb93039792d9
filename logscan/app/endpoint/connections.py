"""The endpoint's open connections: a fixed number of slots, and who gives way when they are full.

A connection is *waiting* until its request has arrived (TLS handshake, request head), then
*busy* while it is answered. When every slot is taken, a new connection evicts the oldest waiting
one: a client that connects and sends nothing (or a byte at a time) cannot keep a scrape out, and
Prometheus, which sends its request at once, is never the oldest waiter for long. When every
slot is busy the new connection is refused.

Evicting means ``shutdown()`` on the socket from the accept thread, which wakes the connection's
own thread from ``recv()``; that thread still closes the socket. Both happen under the table's
lock, so a socket is never shut down after it was closed (its descriptor may be someone else's).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable


class Connection:
    """One accepted client. Mutable (its socket is replaced by its TLS wrapper); see the table."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.opened = time.monotonic()
        self.busy = False


class ConnectionTable:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._open: dict[int, Connection] = {}  # by id(): connections holding a slot
        self._lock = threading.Lock()

    def admit(self, sock: socket.socket, peer: str) -> tuple[Connection | None, bool]:
        """A slot for a new connection, evicting the oldest waiter if need be.

        Returns (the connection or None when every slot is busy, whether one was evicted).
        """
        with self._lock:
            evicted = False
            if len(self._open) >= self.slots:
                waiting = [c for c in self._open.values() if not c.busy]
                if not waiting:
                    return None, False
                self._evict(min(waiting, key=lambda c: c.opened))
                evicted = True
            conn = Connection(sock, peer)
            self._open[id(conn)] = conn
            return conn, evicted

    def wrap(
        self, conn: Connection, wrapper: Callable[[socket.socket], ssl.SSLSocket]
    ) -> ssl.SSLSocket:
        """Replace the socket by its TLS wrapper, which takes over (detaches) the descriptor:
        under the lock, as an eviction may be shutting the socket down meanwhile."""
        with self._lock:
            wrapped = wrapper(conn.sock)
            conn.sock = wrapped
            return wrapped

    def mark_busy(self, conn: Connection) -> None:
        with self._lock:
            conn.busy = True

    def release(self, conn: Connection) -> None:
        """The connection's thread is done with it: free its slot and close its socket."""
        with self._lock:
            self._open.pop(id(conn), None)
            _close(conn.sock)

    def evict_all(self) -> None:
        with self._lock:
            for conn in list(self._open.values()):
                self._evict(conn)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    def _evict(self, conn: Connection) -> None:
        del self._open[id(conn)]
        with contextlib.suppress(OSError):  # already gone
            conn.sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)  # the response is flushed before the close
    sock.close()
