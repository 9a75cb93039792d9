"""One line of a Docker ``json-file`` log (the default log driver's
``/var/lib/docker/containers/ID/ID-json.log``) as the line the container wrote.

Docker writes each line of a container's output as ``{"log": LINE + "\\n", "stream": "stdout",
"time": RFC3339Nano}`` (``attrs`` may follow), escaping ``<``, ``>`` and ``&`` as ``\\u003c``
and so on, as Go's JSON encoder does; the line must be decoded, not read as text::

    >>> docker_line('{"log":"Mar  1 10:00:01 mx postfix/smtp[7]: to=\\\\u003ca@b.c\\\\u003e\\\\n",'
    ...             '"stream":"stdout","time":"2024-03-01T10:00:01.123456789Z"}')
    'Mar  1 10:00:01 mx postfix/smtp[7]: to=<a@b.c>'

The line's own time wins over Docker's ``time``: it is the MTA host's clock, as in the same
log read from its file, so both give the same events at the same times (and a year-less one
goes through the parser's year logic as any other); Docker's is when the container's output
reached the daemon. A syslog-style line with no time of its own (a program logging straight to
stdout, ``postfix/smtp[7]: ...``) gets Docker's, in UTC::

    >>> docker_line('{"log":"postfix/smtp[7]: 3F2A1: to=<a@b.c>\\\\n","stream":"stderr",'
    ...             '"time":"2024-03-01T10:00:01.1Z"}')
    '2024-03-01T10:00:01.100000+00:00 postfix/smtp[7]: 3F2A1: to=<a@b.c>'

Docker splits a line longer than 16 KiB into entries whose ``log`` has no newline; each is
read as a line of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from logscan.parsing.syslog import split


def looks_like_docker_log(lines: Sequence[str]) -> bool:
    """Whether the first non-blank of ``lines`` is a json-file entry (``log`` first, as Docker
    writes it, and a ``time``)."""
    for text in lines:
        if text.strip():
            head = text.lstrip()
            return head.startswith('{"log":') and '"time":' in head
    return False


def docker_line(text: str) -> str:
    """The line one json-file entry holds (see the module); ``text`` itself if it is no entry
    (it is then counted as not understood, as any other)."""
    try:
        entry = json.loads(text)
    except ValueError:
        return text
    if not isinstance(entry, dict) or not isinstance(entry.get("log"), str):
        return text
    line: str = entry["log"].removesuffix("\n").removesuffix("\r")
    when = entry.get("time")
    if not isinstance(when, str):
        return line
    s = split(line)
    if s is None or s.ts is not None:
        return line  # its own time, or not a syslog-style line: its format says when
    try:
        iso = datetime.fromisoformat(when).isoformat(timespec="microseconds")
    except ValueError:
        return line
    return f"{iso} {line}"
