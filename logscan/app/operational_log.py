"""The daemon's own log (start, rotation, errors), fitted to where stderr goes.

- ``console``: structlog's human-readable renderer, for a person at a terminal;
- ``json``: one JSON object per line, for journald, log shippers and files;
- ``auto`` (the default): console on a TTY, else JSON.

Under systemd (stderr is the stream named by ``JOURNAL_STREAM``) each line starts with its
syslog priority (``<3>`` for an error), which journald strips and records, so that
``journalctl -p err -u logscan`` shows the errors only.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["auto", "json", "console"]
LOG_FORMATS: tuple[LogFormat, ...] = ("auto", "json", "console")

# structlog level name -> syslog priority (RFC 5424 severity).
PRIORITY = {"critical": 2, "error": 3, "warning": 4, "info": 6, "debug": 7}


def to_journal(stream: TextIO, journal_stream: str | None) -> bool:
    """Whether ``stream`` is the journal stream systemd handed us (``JOURNAL_STREAM=dev:ino``).

    >>> to_journal(sys.stderr, None)
    False
    """
    if not journal_stream or ":" not in journal_stream:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return journal_stream == f"{st.st_dev}:{st.st_ino}"


class PriorityPrefix:
    """Wraps a renderer: puts ``<N>`` (the syslog priority of the line's level) before each line.

    >>> prefix = PriorityPrefix(lambda _logger, _method, event: event["event"])
    >>> prefix(None, "error", {"event": "x", "level": "error"})
    '<3>x'
    """

    def __init__(self, render: structlog.typing.Processor) -> None:
        self.render = render

    def __call__(self, logger: Any, method: str, event: structlog.typing.EventDict) -> str:
        level = str(event.get("level", method))
        line = self.render(logger, method, event)
        text = line.decode() if isinstance(line, bytes) else str(line)
        return f"<{PRIORITY.get(level, 6)}>{text}"


def configure(level: str, fmt: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """Set up structlog for the whole process (call once, before the first log line)."""
    out = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    render: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    if to_journal(out, os.environ.get("JOURNAL_STREAM")):
        render = PriorityPrefix(render)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
