"""One systemd journal entry (JSON, as ``journalctl -o json`` prints it) as the syslog-style line
the MTA parsers read from files: ``ISO-time host identifier[pid]: message``. The daemon's journald
source reads entries this way, and so does ``scan`` a file of them (a ``journalctl -o json``
export)::

    >>> entry_line({"__REALTIME_TIMESTAMP": "0", "_HOSTNAME": "mx", "SYSLOG_IDENTIFIER":
    ...             "postfix/smtp", "_PID": "7", "MESSAGE": "3F2A1: to=<a@b.c>"})
    '1970-01-01T00:00:00.000000+00:00 mx postfix/smtp[7]: 3F2A1: to=<a@b.c>'
    >>> export_line('{"MESSAGE": "hello", "SYSLOG_IDENTIFIER": "x", "__REALTIME_TIMESTAMP": "0"}')
    '1970-01-01T00:00:00.000000+00:00 localhost x: hello'
    >>> export_line("not an entry")
    'not an entry'

``-o json-seq`` (RFC 7464: an ASCII RS before each entry) and ``-o json-sse`` (``data: `` before
each, a blank line after) are the same entries framed for streaming, and are read alike::

    >>> export_line('\x1e{"MESSAGE": "hi", "SYSLOG_IDENTIFIER": "x", "__REALTIME_TIMESTAMP": "0"}')
    '1970-01-01T00:00:00.000000+00:00 localhost x: hi'
    >>> export_line('data: {"MESSAGE": "hi", "SYSLOG_IDENTIFIER": "x", "__CURSOR": "s"}')
    '1970-01-01T00:00:00.000000+00:00 localhost x: hi'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# What journalctl's streaming JSON formats put before an entry: json-seq, json-sse.
_FRAMES = ("\x1e", "data: ")


def entry_line(entry: dict[str, Any]) -> str:
    """The syslog-style line for one journal entry (JSON as ``journalctl -o json`` prints it)."""
    msg = entry.get("MESSAGE")
    if isinstance(msg, list):  # journalctl prints non-UTF-8 messages as a list of bytes
        msg = bytes(b for b in msg if isinstance(b, int) and 0 <= b < 256).decode(
            "utf-8", "replace"
        )
    elif not isinstance(msg, str):
        msg = ""
    try:
        usec = int(entry.get("__REALTIME_TIMESTAMP", "0"))
        ts = datetime.fromtimestamp(usec / 1e6, tz=UTC).isoformat(timespec="microseconds")
    except (TypeError, ValueError, OverflowError, OSError):
        ts = "1970-01-01T00:00:00+00:00"
    host = entry.get("_HOSTNAME") or "localhost"
    ident = entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM") or "unknown"
    pid = entry.get("SYSLOG_PID") or entry.get("_PID")
    prog = f"{ident}[{pid}]" if pid else str(ident)
    return f"{ts} {host} {prog}: {msg}".replace("\n", " ")


def looks_like_export(lines: Sequence[str]) -> bool:
    """Whether the first non-blank of ``lines`` is a journal entry in JSON (its fields are
    ``__``-prefixed trusted ones or MESSAGE)."""
    for text in lines:
        if text.strip():
            head = _unframed(text.lstrip())[:4096]
            trusted = '"__REALTIME_TIMESTAMP"' in head or '"__CURSOR"' in head
            return head.startswith("{") and trusted
    return False


def export_line(text: str) -> str:
    """The line for one line of a ``journalctl -o json`` export; ``text`` itself if it is not an
    entry (it is then counted as not understood, as any other)."""
    try:
        entry = json.loads(_unframed(text))
    except ValueError:
        return text
    return entry_line(entry) if isinstance(entry, dict) else text


def _unframed(text: str) -> str:
    """``text`` without json-seq's or json-sse's frame before the entry."""
    for frame in _FRAMES:
        if text.startswith(frame):
            return text[len(frame) :]
    return text
