"""The endpoint's web config file, in the exporter-toolkit format (``--web.config.file``)::

tls_server_config:
  cert_file: /etc/logscan/tls.crt
  key_file: /etc/logscan/tls.key
  client_auth_type: RequireAndVerifyClientCert    # optional, with client_ca_file
  client_ca_file: /etc/logscan/ca.crt
basic_auth_users:
  prometheus: $2y$10$...                            # bcrypt hash (htpasswd -nBC 10 "")
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
