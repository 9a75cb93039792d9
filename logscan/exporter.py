"""The metrics endpoint: HTTP(S) with optional basic auth, configured like Prometheus exporters
(the web config file: :mod:`logscan.web_config`; basic auth: :mod:`logscan.basic_auth`).

Each scrape calls the ``scrape`` callback, which returns the exposition text; the daemon writes a
checkpoint there first, so no value served can be lost by a crash.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from logscan.basic_auth import BasicAuth, Verdict
from logscan.config import split_listen
from logscan.web_config import WebConfig, WebConfigError, load_web_config

log = structlog.get_logger("logscan.exporter")

__all__ = ["CONTENT_TYPE", "MetricsServer", "WebConfig", "WebConfigError", "load_web_config"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsServer:
    """Serves ``/metrics`` from a thread pool; ``scrape()`` is called once per request."""

    def __init__(self, listen: str, web: WebConfig, scrape: Callable[[], bytes]) -> None:
        host, port = split_listen(listen)
        auth = BasicAuth.from_users(web.users)
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


def _handler_class(scrape: Callable[[], bytes], auth: BasicAuth) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10
        server_version = "logscan"

        def do_GET(self) -> None:
            verdict = auth.check(self.headers.get("Authorization"))
            if verdict is not Verdict.ALLOWED:
                denied = verdict is Verdict.DENIED
                self.send_response(401 if denied else 429)
                if denied:
                    self.send_header("WWW-Authenticate", 'Basic realm="logscan"')
                else:
                    self.send_header("Retry-After", "1")
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
