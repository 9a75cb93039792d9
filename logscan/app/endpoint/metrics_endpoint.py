"""The metrics endpoint: ``/metrics`` over HTTP(S), with optional basic auth, like Prometheus
exporters (web config: :mod:`logscan.app.endpoint.web_config`; auth:
:mod:`logscan.app.endpoint.basic_auth`; connection
limits and timeouts: :mod:`logscan.app.endpoint.http_server`).

Each scrape calls the ``scrape`` callback, which returns the exposition text; the daemon writes a
checkpoint there first, so no value served can be lost by a crash. That makes a scrape costly
(an fsync): it is not done for a client that already left.
"""

from __future__ import annotations

from collections.abc import Callable

from logscan.app.config import DEFAULT_MAX_CONNECTIONS, split_listen
from logscan.app.endpoint.basic_auth import BasicAuth, Verdict
from logscan.app.endpoint.http_server import (
    App,
    HTTPServer,
    Request,
    Response,
    ServerLimits,
    connection_slots,
)
from logscan.app.endpoint.web_config import WebConfig, WebConfigError, load_web_config

__all__ = ["CONTENT_TYPE", "MetricsServer", "WebConfig", "WebConfigError", "load_web_config"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Descriptors never given to connections: checkpoints (temp file, directory), followed files,
# rotated files being finished, journalctl pipes, inotify, notifier sockets.
DESCRIPTOR_RESERVE = 64
_INDEX = b'<html><body><a href="/metrics">metrics</a></body></html>\n'


class MetricsServer:
    """Serves ``/metrics``; ``scrape()`` is called once per authorized request."""

    def __init__(
        self,
        listen: str,
        web: WebConfig,
        scrape: Callable[[], bytes],
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        host, port = split_listen(listen)
        slots = connection_slots(max_connections, DESCRIPTOR_RESERVE)
        app = metrics_app(scrape, BasicAuth.from_users(web.users))
        self.http = HTTPServer(host, port, app, web.tls, ServerLimits(slots=slots))
        self.port = self.http.port

    def start(self) -> None:
        self.http.start()

    def stop(self) -> None:
        self.http.stop()


def metrics_app(scrape: Callable[[], bytes], auth: BasicAuth) -> App:
    def app(request: Request, client_left: Callable[[], bool]) -> Response | None:
        if request.method != "GET":
            return Response(405, b"405 method not allowed\n", headers=(("Allow", "GET"),))
        verdict = auth.check(request.headers.get("authorization"))
        if verdict is Verdict.DENIED:
            return Response(401, headers=(("WWW-Authenticate", 'Basic realm="logscan"'),))
        if verdict is Verdict.THROTTLED:
            return Response(
                429, b"429 too many authentication attempts\n", headers=(("Retry-After", "1"),)
            )
        path = request.path.split("?", 1)[0]
        if path == "/metrics":
            # Checked last, after bcrypt: the checkpoint's fsync is for someone to read.
            return None if client_left() else Response(200, scrape(), CONTENT_TYPE)
        if path == "/":
            return Response(200, _INDEX, "text/html")
        return Response(404, b"404 page not found\n")

    return app
