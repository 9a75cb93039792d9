"""The metrics endpoint: HTTP(S) with optional basic auth, configured like Prometheus exporters.

The web config file uses the exporter-toolkit format (``--web.config.file`` of node_exporter)::

    tls_server_config:
      cert_file: /etc/logscan/tls.crt
      key_file: /etc/logscan/tls.key
      client_auth_type: RequireAndVerifyClientCert    # optional, with client_ca_file
      client_ca_file: /etc/logscan/ca.crt
    basic_auth_users:
      prometheus: $2y$10$...                            # bcrypt hash (htpasswd -nBC 10 "")

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
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import bcrypt
import structlog
import yaml

from logscan.config import split_listen

log = structlog.get_logger("logscan.exporter")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_TLS_KEYS = {
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "min_version",
    "max_version",
    "cipher_suites",
    "curve_preferences",
    "prefer_server_cipher_suites",
}
_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


class WebConfigError(ValueError):
    """A web config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class WebConfig:
    tls: ssl.SSLContext | None = None
    users: Mapping[str, bytes] = field(default_factory=dict)  # user -> bcrypt hash


def load_web_config(path: str | None) -> WebConfig:
    if path is None:
        return WebConfig()
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise WebConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise WebConfigError(f"{path}: not valid YAML: {exc}") from exc
    except RecursionError:  # the YAML parser recurses once per level of nesting
        raise WebConfigError(f"{path}: lists or mappings nested too deeply") from None
    doc = doc or {}
    if not isinstance(doc, dict):
        raise WebConfigError(f"{path}: must be a mapping")
    unknown = set(doc) - {"tls_server_config", "basic_auth_users", "http_server_config"}
    if unknown:
        raise WebConfigError(f"{path}: {sorted(unknown)[0]}: unknown key")
    return WebConfig(
        tls=_tls(path, doc.get("tls_server_config")),
        users=_users(path, doc.get("basic_auth_users")),
    )


def _tls(path: str, raw: Any) -> ssl.SSLContext | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise WebConfigError(f"{path}: tls_server_config: must be a mapping")
    unknown = set(raw) - _TLS_KEYS
    if unknown:
        raise WebConfigError(f"{path}: tls_server_config.{sorted(unknown)[0]}: unknown key")
    for key in ("cert_file", "key_file"):
        if not isinstance(raw.get(key), str):
            raise WebConfigError(f"{path}: tls_server_config.{key}: required")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(raw["cert_file"], raw["key_file"])
    except (OSError, ssl.SSLError) as exc:
        raise WebConfigError(f"{path}: tls_server_config: cannot load cert/key: {exc}") from exc
    auth = raw.get("client_auth_type", "NoClientCert")
    if auth not in _CLIENT_AUTH:
        raise WebConfigError(f"{path}: tls_server_config.client_auth_type: unknown {auth!r}")
    ctx.verify_mode = _CLIENT_AUTH[auth]
    if raw.get("client_ca_file"):
        try:
            ctx.load_verify_locations(raw["client_ca_file"])
        except (OSError, ssl.SSLError) as exc:
            raise WebConfigError(f"{path}: tls_server_config.client_ca_file: {exc}") from exc
    elif auth in ("RequireAndVerifyClientCert", "VerifyClientCertIfGiven"):
        raise WebConfigError(f"{path}: tls_server_config.client_ca_file: required for {auth}")
    for key, attr in (("min_version", "minimum_version"), ("max_version", "maximum_version")):
        if key in raw:
            if raw[key] not in _VERSIONS:
                raise WebConfigError(f"{path}: tls_server_config.{key}: unknown {raw[key]!r}")
            setattr(ctx, attr, _VERSIONS[raw[key]])
    return ctx


def _users(path: str, raw: Any) -> dict[str, bytes]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise WebConfigError(f"{path}: basic_auth_users: must be a mapping")
    users: dict[str, bytes] = {}
    for user, hashed in raw.items():
        if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise WebConfigError(f"{path}: basic_auth_users.{user}: must be a bcrypt hash")
        users[str(user)] = hashed.encode()
    return users


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
