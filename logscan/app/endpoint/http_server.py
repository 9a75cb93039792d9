"""A small HTTP/1.1 server that bounded, hostile or vanished clients cannot starve.

- One accept thread; each admitted connection gets a thread of its own, and at most ``slots``
  connections are open at once (:mod:`logscan.app.endpoint.connections`: the oldest idle one gives
  way, so
  idle clients cannot keep a scrape out).
- ``slots`` is capped below ``RLIMIT_NOFILE`` minus a reserve (:func:`connection_slots`), so
  checkpoints and sources always find a descriptor.
- The TLS handshake and the request head must arrive within ``head_timeout`` in total (a client
  sending a byte at a time gains nothing); the response must be written within ``write_timeout``.
- Out of descriptors or memory, ``accept()`` backs off instead of spinning.
- Every error is logged through structlog (JSON); nothing prints to stderr on its own.
- The application sees whether its client already left (``client_left()``), and may then answer
  nothing (``None``).

One request per connection (``Connection: close``): Prometheus opens a connection per scrape
anyway, and no connection idles between requests.
"""

from __future__ import annotations

import errno
import os
import resource
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog

from logscan.app.endpoint.connections import Connection, ConnectionTable

log = structlog.get_logger("logscan.endpoint")

# accept() failures that mean "no resources now": retrying at once would spin.
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_GONE = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR
_ACCEPT_POLL = 0.5  # seconds: how soon the accept loop notices stop()
_BACKOFF_MAX = 1.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            "Connection: close",
            "Server: logscan",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


# The application: a request and a way to ask whether its client is still there -> a response,
# or None to answer nothing.
App = Callable[[Request, Callable[[], bool]], Response | None]


@dataclass(frozen=True)
class ServerLimits:
    slots: int = 32  # connections open at once
    head_timeout: float = 5.0  # seconds for the TLS handshake and the request head, in total
    write_timeout: float = 10.0  # seconds to write the response
    max_head: int = 16 * 1024  # bytes of request line and headers


def connection_slots(wanted: int, reserve: int) -> int:
    """``wanted``, or fewer so that ``reserve`` descriptors stay free under RLIMIT_NOFILE."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    slots = max(1, min(wanted, soft - _open_descriptors() - reserve))
    if slots < wanted:
        log.warning(
            "metrics.max_connections lowered: descriptors are kept for checkpoints and sources",
            max_connections=wanted,
            slots=slots,
            nofile=soft,
            reserve=reserve,
        )
    return slots


def _open_descriptors() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


class HTTPServer:
    def __init__(
        self,
        host: str,
        port: int,
        app: App,
        tls: ssl.SSLContext | None = None,
        limits: ServerLimits = ServerLimits(),
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=128)
        self._listener.settimeout(_ACCEPT_POLL)
        self.port: int = self._listener.getsockname()[1]
        self._app = app
        self._tls = tls
        self._limits = limits
        self._table = ConnectionTable(limits.slots)
        self._stopping = threading.Event()
        self._evicting = _Occasional("endpoint full: idle connections evicted for new ones")
        self._refusing = _Occasional("endpoint full, every connection busy: new ones refused")
        self._starved = _Occasional(
            "cannot accept connections (no descriptors or memory); backing off"
        )
        self._thread = threading.Thread(target=self._accept_loop, name="metrics-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * _ACCEPT_POLL + 1)
        self._listener.close()
        self._table.evict_all()

    # -- the accept thread -----------------------------------------------------------------

    def _accept_loop(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                backoff = self._accept_one(backoff)
            except Exception:  # a bug of ours must not end the endpoint (nor print a traceback)
                log.exception("endpoint accept failed; continuing")
                self._stopping.wait(_BACKOFF_MAX)

    def _accept_one(self, backoff: float) -> float:
        """Accept and admit one connection; the back-off to apply next time."""
        try:
            sock, addr = self._listener.accept()
        except TimeoutError:
            return backoff
        except OSError as exc:
            if exc.errno not in _OUT_OF_RESOURCES:
                return backoff  # e.g. ECONNABORTED: that client gave up already
            # The connection stays in the kernel's backlog; accept it when we can.
            backoff = min(_BACKOFF_MAX, 2 * backoff or 0.01)
            self._starved.note(error=os.strerror(exc.errno or 0), backoff=backoff)
            self._stopping.wait(backoff)
            return backoff
        self._admit(sock, f"{addr[0]}:{addr[1]}")
        return 0.0

    def _admit(self, sock: socket.socket, peer: str) -> None:
        conn, evicted = self._table.admit(sock, peer)
        if conn is None:
            sock.close()
            self._refusing.note(peer=peer)
            return
        if evicted:
            self._evicting.note(peer=peer)
        try:
            threading.Thread(
                target=self._serve, args=(conn,), name=f"metrics-{peer}", daemon=True
            ).start()
        except RuntimeError as exc:  # can't start new thread
            self._table.release(conn)
            self._starved.note(error=str(exc))

    # -- a connection's thread ---------------------------------------------------------------

    def _serve(self, conn: Connection) -> None:
        try:
            self._exchange(conn)
        except OSError as exc:  # the client's doing (reset, timeout, bad TLS): not ours to report
            log.debug("endpoint connection failed", peer=conn.peer, error=str(exc))
        except Exception:
            log.exception("endpoint connection failed", peer=conn.peer)
        finally:
            self._table.release(conn)

    def _exchange(self, conn: Connection) -> None:
        limits = self._limits
        deadline = time.monotonic() + limits.head_timeout
        conn.sock.settimeout(limits.head_timeout)
        if self._tls is not None:
            tls = self._tls
            wrapped = self._table.wrap(
                conn, lambda s: tls.wrap_socket(s, server_side=True, do_handshake_on_connect=False)
            )
            wrapped.do_handshake()  # within head_timeout: the socket's timeout is inherited
        head = _read_head(conn.sock, deadline, limits.max_head)
        if head is None:
            return  # gone, or too slow
        self._table.mark_busy(conn)
        sock = conn.sock
        request = parse_request(head)
        response = self._respond(request, lambda: client_left(sock))
        if response is not None:
            sock.settimeout(limits.write_timeout)  # in total, for sendall
            sock.sendall(response.encode())

    def _respond(self, request: Request | None, left: Callable[[], bool]) -> Response | None:
        if request is None:
            return Response(400, b"400 bad request\n")
        try:
            return self._app(request, left)
        except Exception:
            log.exception("endpoint request failed", method=request.method, path=request.path)
            return Response(500, b"500 internal server error\n")


def _read_head(sock: socket.socket, deadline: float, limit: int) -> bytes | None:
    """The request line and headers, up to the blank line; None if the client left or is late."""
    buf = b""
    while b"\r\n\r\n" not in buf and b"\n\n" not in buf and len(buf) <= limit:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def parse_request(head: bytes) -> Request | None:
    """``GET /metrics HTTP/1.1`` and its headers; None if malformed (or past the size limit)."""
    text = head.decode("latin-1")
    end = text.find("\r\n\r\n") if "\r\n\r\n" in text else text.find("\n\n")
    if end < 0:
        return None
    lines = [line.rstrip("\r") for line in text[:end].split("\n")]
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        headers[name.lower()] = value.strip()
    return Request(parts[0], parts[1], headers)


def client_left(sock: socket.socket) -> bool:
    """Whether the peer closed or reset the connection (Linux reports a close as POLLRDHUP)."""
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | _GONE)
    return any(events & _GONE for _, events in poller.poll(0))


class _Occasional:
    """A warning for a condition that may repeat thousands of times a second: logged at once,
    then at most once a minute with how often it happened meanwhile."""

    def __init__(self, event: str, interval: float = 60.0) -> None:
        self._event = event
        self._interval = interval
        self._count = 0
        self._next = 0.0
        self._lock = threading.Lock()

    def note(self, **fields: Any) -> None:
        with self._lock:
            self._count += 1
            now = time.monotonic()
            if now < self._next:
                return
            count, self._count, self._next = self._count, 0, now + self._interval
        log.warning(self._event, occurrences=count, **fields)
