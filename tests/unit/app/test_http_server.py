"""The endpoint's HTTP server in-process: request parsing, eviction, refusal, accept back-off."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from structlog.testing import capture_logs

from logscan.app.endpoint.http_server import (
    HTTPServer,
    Request,
    Response,
    ServerLimits,
    parse_request,
)


def hello(request: Request, client_left: Callable[[], bool]) -> Response:
    return Response(200, f"{request.method} {request.path}\n".encode())


@contextmanager
def serving(app: Callable[..., Response | None], slots: int) -> Iterator[HTTPServer]:
    server = HTTPServer("127.0.0.1", 0, app, limits=ServerLimits(slots=slots, head_timeout=2.0))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get(port: int, path: str = "/metrics") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        return data


def test_parse_request() -> None:
    req = parse_request(
        b"GET /metrics?x=1 HTTP/1.1\r\nAuthorization: Basic eA==\r\nHost: h\r\n\r\n"
    )
    assert req == Request("GET", "/metrics?x=1", {"authorization": "Basic eA==", "host": "h"})
    assert parse_request(b"GET / HTTP/1.0\n\n") == Request("GET", "/", {})
    for bad in (b"GET / HTTP/1.1\r\n", b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\nNoColon\r\n\r\n"):
        assert parse_request(bad) is None


def test_idle_connections_give_way_to_a_request() -> None:
    with serving(hello, slots=2) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        time.sleep(0.2)  # both admitted
        assert get(server.port).startswith(b"HTTP/1.1 200 OK\r\n")
        idle[0].settimeout(2)
        assert idle[0].recv(1) == b""  # the oldest idle one was evicted
        for s in idle:
            s.close()


def test_a_new_connection_is_refused_when_every_slot_is_busy() -> None:
    release = threading.Event()

    def slow(request: Request, client_left: Callable[[], bool]) -> Response:
        release.wait(5)
        return Response(200)

    with serving(slow, slots=1) as server:
        busy = threading.Thread(target=get, args=(server.port,))
        busy.start()
        time.sleep(0.3)  # its request is in: the slot is busy
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            assert s.recv(1) == b""  # closed without an answer
        release.set()
        busy.join()
        assert get(server.port).startswith(b"HTTP/1.1 200")


def test_a_request_head_that_trickles_in_is_cut_at_the_deadline() -> None:
    with serving(hello, slots=4) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            s.settimeout(0.1)  # also the pace: a header line every 0.1 s
            start, closed = time.monotonic(), False
            while not closed and time.monotonic() - start < 5:
                try:
                    s.sendall(b"X-Slow: a\r\n")
                    closed = s.recv(1) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
        assert closed
        assert time.monotonic() - start < 3.5  # head_timeout is 2 s, however busy the client


class _NoDescriptors:
    """A listening socket out of descriptors: every accept() fails with EMFILE."""

    def __init__(self) -> None:
        self.calls = 0

    def accept(self) -> tuple[socket.socket, object]:
        self.calls += 1
        raise OSError(errno.EMFILE, "Too many open files")

    def close(self) -> None:
        pass


def test_accept_backs_off_when_out_of_descriptors() -> None:
    server = HTTPServer("127.0.0.1", 0, hello)
    real, fake = server._listener, _NoDescriptors()
    server._listener = fake  # type: ignore[assignment]
    with capture_logs() as logs:
        server.start()
        time.sleep(1.0)
        server.stop()
    real.close()
    assert 3 <= fake.calls <= 30  # backing off to 1 s, not spinning (millions of calls)
    warnings = [e for e in logs if e["event"].startswith("cannot accept connections")]
    assert len(warnings) == 1 and warnings[0]["occurrences"] == 1


def test_a_failing_application_answers_500_and_the_server_goes_on() -> None:
    def broken(request: Request, client_left: Callable[[], bool]) -> Response:
        raise RuntimeError("bug")

    with capture_logs() as logs, serving(broken, slots=2) as server:
        assert get(server.port).startswith(b"HTTP/1.1 500")
        assert get(server.port).startswith(b"HTTP/1.1 500")
    assert [e["event"] for e in logs] == ["endpoint request failed"] * 2
