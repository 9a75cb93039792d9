"""The metrics endpoint: HTTP(S) with optional basic auth, configured like Prometheus exporters
(the web config file: :mod:`logscan.web_config`).

Each scrape calls the ``scrape`` callback, which returns the exposition text; the daemon writes a
checkpoint there first, so no value served can be lost by a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import bcrypt
import structlog

from logscan.config import split_listen
from logscan.web_config import WebConfig, WebConfigError, load_web_config

log = structlog.get_logger("logscan.exporter")

__all__ = ["CONTENT_TYPE", "MetricsServer", "WebConfig", "WebConfigError", "load_web_config"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Auth:
    """Basic auth against bcrypt hashes, with a cache of good credentials (bcrypt is slow)."""

    def __init__(self, users: Mapping[str, bytes]) -> None:
        self.users = users
        self._good: set[bytes] = set()
        self._lock = threading.Lock()

    def check(self, header: str | None) -> bool:
        if not self.users:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(hashed + b"\0" + password.encode()).digest()
        with self._lock:
            if any(hmac.compare_digest(key, k) for k in self._good):
                return True
        try:
            ok = bcrypt.checkpw(password.encode(), hashed.replace(b"$2y$", b"$2b$", 1))
        except ValueError:
            ok = False
        if ok:
            with self._lock:
                self._good.add(key)
        return ok


class MetricsServer:
    """Serves ``/metrics`` from a thread pool; ``scrape()`` is called once per request."""

    def __init__(self, listen: str, web: WebConfig, scrape: Callable[[], bytes]) -> None:
        host, port = split_listen(listen)
        auth = _Auth(web.users)
        handler = _handler_class(scrape, auth)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_cls = type("_Server", (_TLSServer,), {"address_family": family})
        self.httpd: _TLSServer = server_cls((host, port), handler)
        self.httpd.tls = web.tls
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="metrics-http", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the request's thread: a slow client cannot stall accept().
        if self.tls is not None:
            request.settimeout(10)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)


def _handler_class(scrape: Callable[[], bytes], auth: _Auth) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10
        server_version = "logscan"

        def do_GET(self) -> None:
            if not auth.check(self.headers.get("Authorization")):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="logscan"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                body, ctype = scrape(), CONTENT_TYPE
            elif path == "/":
                body = b'<html><body><a href="/metrics">metrics</a></body></html>\n'
                ctype = "text/html"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one log line per scrape would drown the events worth reading

    return Handler
