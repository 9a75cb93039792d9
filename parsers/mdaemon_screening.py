"""Connections MDaemon's Screening refused before any SMTP was spoken.

The Screening log (MDaemon 21+; older versions write the same lines in the SMTP (in) log) says
so in two forms: "Host screening refused connection to <local>:<port> from <host> [<ip>:<port>]"
(the Host Screen matched a "refuse" line) and "Location Screening: IP <ip> matched to country
<country>; connection blocked; port <port>". One to an SMTP port (25, 465, 587, or no port
named) is our refusal of a client: an ``inbound`` ``rejected`` event at ``connect``, without a
code (none is logged). One to a POP or IMAP port refused no mail, and is no event::

    >>> from parsers.mdaemon import MDaemonParser
    >>> p = MDaemonParser("MDaemon-2026-08-18-Screening.log")
    >>> [ev] = p.feed("Tue 2026-08-18 00:08:52.564: Host screening refused connection to "
    ...               "192.168.0.10:465 from localhost [203.0.113.11:44056] (matched to line "
    ...               '"all localhost refuse")', 5)
    >>> ev.direction, ev.stage, ev.status, ev.code, ev.remote_host, ev.remote_ip
    ('inbound', 'connect', 'rejected', None, 'localhost', '203.0.113.11')
    >>> p.feed("Tue 2026-08-18 00:09:45.644: Location Screening: IP 198.51.100.12 matched to "
    ...        "country Hong Kong, Asia; connection blocked; port 995", 6)
    []
"""

from __future__ import annotations

import re
from collections.abc import Callable

from logscan.core.event import Event
from logscan.parsing.smtp_dialogue import MAX_ADDRESS_CHARS, MAX_REPLY_CHARS

# How the lines begin (a cheap test before the regular expression).
SCREENING = ("Host screening refused connection", "Location Screening:")
_SCREENED = re.compile(
    r"Host screening refused connection to \S+?:(?P<port>\d+) from (?P<host>\S+) "
    r"\[(?P<ip>[0-9A-Fa-f.:]+?)(?::\d+)?\]"
    r"|Location Screening: IP (?P<loc_ip>[0-9A-Fa-f.:]+) .*connection blocked"
    r"(?:; port (?P<loc_port>\d+))?"
)
_SMTP_PORTS = frozenset({"25", "465", "587"})


def screened(event: Callable[..., Event], msg: str, lineno: int, ts: str | None) -> list[Event]:
    """The event of a Screening line (module docstring), made by the parser's ``event``."""
    m = _SCREENED.search(msg)
    if m is None:
        return []
    port = m["port"] or m["loc_port"]
    if port is not None and port not in _SMTP_PORTS:
        return []
    host, ip = m["host"], m["ip"] or m["loc_ip"]
    return [
        event(
            line=lineno,
            direction="inbound",
            stage="connect",
            status="rejected",
            text=msg.strip()[:MAX_REPLY_CHARS],
            ts=ts,
            remote_host=host[:MAX_ADDRESS_CHARS] if host else None,
            remote_ip=ip[:MAX_ADDRESS_CHARS] if ip else None,
        )
    ]
