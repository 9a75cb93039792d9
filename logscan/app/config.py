"""The daemon's configuration: a TOML file, validated into frozen dataclasses.

Every error names the key that is wrong (``sources[1].path: ...``) and, for TOML syntax, the file
and line. It is one module, over 400 lines, because it is one file format: every key's
check sits beside the others' and shares their helpers. With no file, :data:`DEFAULT_TOML` (a
stock Debian/Ubuntu MTA host) is used::

    >>> cfg = parse_config(DEFAULT_TOML, "<embedded default>")
    >>> cfg.listen, cfg.sources[0].path, cfg.sources[0].parser
    ('127.0.0.1:9842', '/var/log/mail.log', 'auto')
    >>> parse_config('[[sources]]\\nname = "x"\\n', "t.toml")
    Traceback (most recent call last):
    ...
    logscan.app.config.ConfigError: t.toml: sources[0]: needs exactly one of 'path' or 'journald'
"""

from __future__ import annotations

import glob
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from logscan.sinks.alerting.settings import AlertingConfig, AlertingConfigError
from logscan.sinks.message_bounds import DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES

DEFAULT_CONFIG_PATH = Path("/etc/logscan/logscan.toml")
DEFAULT_LISTEN = "127.0.0.1:9842"
DEFAULT_STATE_DIR = "/var/lib/logscan"
DEFAULT_RULES_DIRS = ("/etc/logscan/rules.d",)
DEFAULT_MAX_CONNECTIONS = 32
MAX_CONNECTIONS_LIMIT = 4096

DEFAULT_TOML = """\
# The embedded default: a stock Debian/Ubuntu MTA host.
[[sources]]
name = "mail"
path = "/var/log/mail.log"
parser = "auto"
# When /var/log/mail.log does not exist (no rsyslog), follow the MTAs' units in the journal.
journald_if_missing = true
units = ["postfix.service", "postfix@-.service", "exim4.service", "sendmail.service"]
"""

# Accepted ranges, in seconds: below, the daemon would spin on the CPU or the disk; above, it
# would look hung (a poll interval of a day never notices a line).
CHECKPOINT_INTERVAL_RANGE = (0.1, 86400.0)
POLL_INTERVAL_RANGE = (0.01, 3600.0)
# Message correlation's bounds: below, every message would be evicted before its outcome; above,
# one flood of unique queue ids could take the host's memory (10M messages near 4 GiB).
MAX_IN_FLIGHT_RANGE = (100, 10_000_000)
MAX_BYTES_RANGE = (1 << 20, 16 << 30)

Start = Literal["end", "beginning"]
Watch = Literal["auto", "poll"]


# tomllib recurses once per level of arrays and inline tables inside each other.
TOO_DEEP = "arrays or inline tables nested too deeply"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SourceConfig:
    """One source: a file or glob (``path``), or the systemd journal (``journald = true``)."""

    name: str
    path: str | None = None
    journald: bool = False
    parser: str = "auto"
    # Where to begin when the checkpoint knows nothing of this source (first start).
    start: Start = "end"
    # "poll" forces polling (NFS, CIFS); "auto" uses inotify and falls back to polling.
    watch: Watch = "auto"
    # journald matches (ORed within a kind) and, for tests or copied journals, where to read.
    units: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    journal_directory: str | None = None
    journal_file: str | None = None
    journald_if_missing: bool = False

    @property
    def kind(self) -> str:
        return "journald" if self.journald else "file"


@dataclass(frozen=True)
class MessagesConfig:
    """The ``[messages]`` section: the bounds of message correlation's state in the daemon
    (:class:`logscan.sinks.messages.MessageTracker`; past either, the oldest is evicted)."""

    max_in_flight: int = DEFAULT_MAX_MESSAGES
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Config:
    sources: tuple[SourceConfig, ...]
    listen: str = DEFAULT_LISTEN
    web_config: str | None = None
    state_dir: str = DEFAULT_STATE_DIR
    rules_dirs: tuple[str, ...] = DEFAULT_RULES_DIRS
    checkpoint_interval: float = 5.0
    poll_interval: float = 0.5
    # The [alerting] section, checked by the alerting assembly's own rules.
    alerting: AlertingConfig = field(default_factory=AlertingConfig)
    origin: str = "<embedded default>"
    # Other exporters' metric names to serve as well (COMPAT_EXPORTERS).
    compat: tuple[str, ...] = ()
    # Connections the endpoint keeps open at once (idle ones give way to new ones).
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    messages: MessagesConfig = field(default_factory=MessagesConfig)


_TOP_KEYS = {
    "sources",
    "metrics",
    "state_dir",
    "rules_dirs",
    "checkpoint_interval",
    "poll_interval",
    "alerting",
    "messages",
}
_SOURCE_KEYS = {
    "name",
    "path",
    "journald",
    "parser",
    "start",
    "watch",
    "units",
    "identifiers",
    "journal_directory",
    "journal_file",
    "journald_if_missing",
}
_METRICS_KEYS = {"listen", "web_config", "compat", "max_connections"}
_MESSAGES_KEYS = {"max_in_flight", "max_bytes"}
# Exporters whose metric names logscan can serve too (see logscan.sinks.postfix_exporter).
COMPAT_EXPORTERS = ("postfix_exporter",)


def load_config(path: Path | None) -> Config:
    """The config at ``path``; None means the default file if it exists, else the embedded one."""
    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return parse_config(DEFAULT_TOML, "<embedded default>")
        path = DEFAULT_CONFIG_PATH
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8") from exc
    return parse_config(text, str(path))


def parse_config(text: str, origin: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{origin}: {TOO_DEEP}") from None
    try:
        return _config(data, origin)
    except _KeyError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def with_overrides(
    cfg: Config,
    *,
    sources: Sequence[str] = (),
    parser: str | None = None,
    listen: str | None = None,
    state_dir: str | None = None,
    checkpoint_interval: float | None = None,
    poll_interval: float | None = None,
    web_config: str | None = None,
    compat: Sequence[str] = (),
    alertmanagers: Sequence[str] = (),
) -> Config:
    """Command-line flags over the config: ``--source`` replaces the configured sources,
    ``--alertmanager`` adds to ``[alerting] alertmanager``."""
    srcs = cfg.sources
    if sources:
        srcs = tuple(SourceConfig(name=p, path=p) for p in sources)
    if parser is not None:
        srcs = tuple(replace(s, parser=parser) for s in srcs)
    out = replace(cfg, sources=srcs)
    if listen is not None:
        out = replace(out, listen=_listen(listen, "--listen"))
    if state_dir is not None:
        out = replace(out, state_dir=state_dir)
    if checkpoint_interval is not None:
        out = replace(
            out,
            checkpoint_interval=_seconds(
                checkpoint_interval, "--checkpoint-interval", CHECKPOINT_INTERVAL_RANGE
            ),
        )
    if poll_interval is not None:
        out = replace(
            out, poll_interval=_seconds(poll_interval, "--poll-interval", POLL_INTERVAL_RANGE)
        )
    if web_config is not None:
        out = replace(out, web_config=web_config)
    if compat:
        extra = _compat(list(compat), "--compat")
        out = replace(out, compat=tuple(dict.fromkeys((*out.compat, *extra))))
    if alertmanagers:
        try:
            out = replace(out, alerting=out.alerting.with_alertmanagers(alertmanagers))
        except AlertingConfigError as exc:
            raise ConfigError(str(exc)) from None
    _check_unique(out.sources)
    return out


def split_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9842"`` -> ``("127.0.0.1", 9842)``; ``"[::1]:9842"`` -> ``("::1", 9842)``."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class _KeyError(ConfigError):
    """Internal: a bad value, with the key path as the message prefix."""


def _config(data: dict[str, Any], origin: str) -> Config:
    _no_unknown(data, _TOP_KEYS, "")
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise _KeyError("metrics: must be a table")
    _no_unknown(metrics, _METRICS_KEYS, "metrics.")
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise _KeyError("sources: at least one [[sources]] table is required")
    sources = tuple(_source(raw, f"sources[{i}]") for i, raw in enumerate(raw_sources))
    _check_unique(sources)
    alerting = data.get("alerting", {})
    if not isinstance(alerting, dict):
        raise _KeyError("alerting: must be a table")
    try:
        checked_alerting = AlertingConfig.from_table(alerting, origin)
    except AlertingConfigError as exc:
        raise ConfigError(str(exc)) from None  # names the file already: not a _KeyError
    web_config = metrics.get("web_config")
    if web_config is not None and not isinstance(web_config, str):
        raise _KeyError("metrics.web_config: must be a path string")
    return Config(
        sources=sources,
        listen=_listen(metrics.get("listen", DEFAULT_LISTEN), "metrics.listen"),
        web_config=web_config,
        state_dir=_string(data.get("state_dir", DEFAULT_STATE_DIR), "state_dir"),
        rules_dirs=_strings(data.get("rules_dirs", list(DEFAULT_RULES_DIRS)), "rules_dirs"),
        checkpoint_interval=_seconds(
            data.get("checkpoint_interval", 5.0), "checkpoint_interval", CHECKPOINT_INTERVAL_RANGE
        ),
        poll_interval=_seconds(
            data.get("poll_interval", 0.5), "poll_interval", POLL_INTERVAL_RANGE
        ),
        alerting=checked_alerting,
        origin=origin,
        compat=_compat(metrics.get("compat", []), "metrics.compat"),
        max_connections=_whole(
            metrics.get("max_connections", DEFAULT_MAX_CONNECTIONS),
            "metrics.max_connections",
            (1, MAX_CONNECTIONS_LIMIT),
        ),
        messages=_messages(data.get("messages", {})),
    )


def _messages(table: Any) -> MessagesConfig:
    if not isinstance(table, dict):
        raise _KeyError("messages: must be a table")
    _no_unknown(table, _MESSAGES_KEYS, "messages.")
    return MessagesConfig(
        max_in_flight=_whole(
            table.get("max_in_flight", DEFAULT_MAX_MESSAGES),
            "messages.max_in_flight",
            MAX_IN_FLIGHT_RANGE,
        ),
        max_bytes=_whole(
            table.get("max_bytes", DEFAULT_MAX_BYTES), "messages.max_bytes", MAX_BYTES_RANGE
        ),
    )


def _source(raw: Any, where: str) -> SourceConfig:
    if not isinstance(raw, dict):
        raise _KeyError(f"{where}: must be a table")
    _no_unknown(raw, _SOURCE_KEYS, f"{where}.")
    journald = raw.get("journald", False)
    if not isinstance(journald, bool):
        raise _KeyError(f"{where}.journald: must be true or false")
    path = raw.get("path")
    if (path is None) == (not journald):
        raise _KeyError(f"{where}: needs exactly one of 'path' or 'journald'")
    if path is not None:
        path = _string(path, f"{where}.path")
        if not path.startswith("/"):
            raise _KeyError(f"{where}.path: must be absolute, got {path!r}")
    name = _string(raw.get("name", path or "journald"), f"{where}.name")
    start = raw.get("start", "end")
    if start not in ("end", "beginning"):
        raise _KeyError(f"{where}.start: must be 'end' or 'beginning', got {start!r}")
    watch = raw.get("watch", "auto")
    if watch not in ("auto", "poll"):
        raise _KeyError(f"{where}.watch: must be 'auto' or 'poll', got {watch!r}")
    jif = raw.get("journald_if_missing", False)
    if not isinstance(jif, bool):
        raise _KeyError(f"{where}.journald_if_missing: must be true or false")
    for key in ("journal_directory", "journal_file", "units", "identifiers"):
        if raw.get(key) is not None and not (journald or jif):
            raise _KeyError(f"{where}.{key}: only for a journald source (or journald_if_missing)")
    return SourceConfig(
        name=name,
        path=path,
        journald=journald,
        parser=_string(raw.get("parser", "auto"), f"{where}.parser"),
        start=start,
        watch=watch,
        units=_strings(raw.get("units", []), f"{where}.units"),
        identifiers=_strings(raw.get("identifiers", []), f"{where}.identifiers"),
        journal_directory=_opt_string(raw.get("journal_directory"), f"{where}.journal_directory"),
        journal_file=_opt_string(raw.get("journal_file"), f"{where}.journal_file"),
        journald_if_missing=jif,
    )


def _check_unique(sources: Sequence[SourceConfig]) -> None:
    seen: set[str] = set()
    for i, src in enumerate(sources):
        if src.name in seen:
            raise _KeyError(f"sources[{i}].name: duplicate source name {src.name!r}")
        seen.add(src.name)
    _check_distinct_files(sources)


def _check_distinct_files(sources: Sequence[SourceConfig]) -> None:
    """No file may belong to two sources: each of its lines would be counted twice.

    Paths are compared resolved (``/var/log/../log/mail.log``, symlinks), a glob by the files
    it matches now and by the literal paths of other sources it would match.
    """
    owner: dict[str, int] = {}
    for i, src in enumerate(sources):
        if src.path is None:
            continue
        for name in _files_of(src.path):
            j = owner.setdefault(name, i)
            if j != i:
                raise _KeyError(_overlap(sources, j, i, name))
    for i, src in enumerate(sources):
        if src.path is None or not _is_glob(src.path):
            continue
        for name, j in owner.items():
            if j != i and Path(name).match(os.path.realpath(src.path)):
                raise _KeyError(_overlap(sources, min(i, j), max(i, j), name))


def _files_of(path: str) -> set[str]:
    """The files ``path`` names, resolved: a glob's current matches, else the path itself."""
    if _is_glob(path):
        return {os.path.realpath(p) for p in glob.glob(path)}
    return {os.path.realpath(path)}


def _is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _overlap(sources: Sequence[SourceConfig], first: int, second: int, name: str) -> str:
    a, b = sources[first], sources[second]
    return (
        f"sources[{second}].path: sources[{first}] ({a.name!r}, path {a.path!r}) and "
        f"sources[{second}] ({b.name!r}, path {b.path!r}) both read {name}: "
        "each of its lines would be counted twice"
    )


def _no_unknown(table: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise _KeyError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _KeyError(f"{where}: must be a non-empty string")
    return value


def _opt_string(value: Any, where: str) -> str | None:
    return None if value is None else _string(value, where)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _KeyError(f"{where}: must be a list of strings")
    return tuple(_string(v, f"{where}[{i}]") for i, v in enumerate(value))


def _compat(value: Any, where: str) -> tuple[str, ...]:
    names = _strings(value, where)
    for i, name in enumerate(names):
        if name not in COMPAT_EXPORTERS:
            raise _KeyError(
                f"{where}[{i}]: unknown exporter {name!r} (known: {', '.join(COMPAT_EXPORTERS)})"
            )
    return names


def _seconds(value: Any, where: str, bounds: tuple[float, float]) -> float:
    low, high = bounds
    # ``not low <= value <= high`` also rejects nan (every comparison with it is false).
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _KeyError(
            f"{where}: must be a positive number of seconds from {low:g} to {high:g}, got {value!r}"
        )
    return float(value)


def _whole(value: Any, where: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise _KeyError(f"{where}: must be a whole number from {low} to {high}, got {value!r}")


def _listen(value: Any, where: str) -> str:
    text = _string(value, where)
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise _KeyError(f"{where}: must be HOST:PORT (e.g. {DEFAULT_LISTEN}), got {text!r}")
    return text


def operator_rules_dirs(config: Path | None, given: Sequence[Path]) -> list[Path]:
    """The operators' rule directories for ``scan`` and ``explain``: those ``given`` on the
    command line, else the config's ``rules_dirs`` (``config``, else /etc/logscan/logscan.toml
    when it exists, else the default), so that a report and the daemon's metrics classify alike.
    ConfigError if the config cannot be read.

    >>> operator_rules_dirs(None, [Path("/tmp/r")])
    [PosixPath('/tmp/r')]
    """
    if given:
        return list(given)
    return [Path(d) for d in load_config(config).rules_dirs]
