"""Real BSD syslog lines of the syslog MTAs (Postfix, Sendmail, Exim), for tests that write them
again in another format (an RFC 5424 header, journalctl's, a Docker json-file log) and check
that the events stay those of the originals, line for line."""

from __future__ import annotations

import re

from logscan.core.event import Event
from logscan.parsing.registry import Registry

YEAR = 2024
# stamp, host, program, pid, message
BSD_LINE = re.compile(r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s\[\]:]+)\[(\d+)\]: (.*)")
# A few real logs per syslog MTA (tests/data/<mta>/), each in the BSD format with a host field.
FILES = {
    "postfix": ["real-postfix-3.7.11-relay.log", "github-issues-postfix-pastes.log"],
    "sendmail": ["github-issues-sendmail-pastes.log", "blogs-sendmail-pastes.log"],
    "exim": ["crowdsec-hub-exim-tests.log", "github-issues-exim-pastes-3.log"],
}
# Each (mta, file name), for pytest.mark.parametrize.
CASES = [(mta, name) for mta, names in FILES.items() for name in names]


def events(mta: str, lines: list[str]) -> list[Event]:
    """The events ``mta``'s parser gives for ``lines`` (numbered from 1), flush included."""
    parser = Registry.load().get(mta)(path="m.log", year=YEAR)
    out: list[Event] = []
    for n, text in enumerate(lines, 1):
        out.extend(parser.feed(text, n) or [])
    out.extend(parser.flush())
    return out


def shape(e: Event) -> tuple[object, ...]:
    """What a rewrapped line must keep of its event (all but the time, checked apart)."""
    return (e.line, e.status, e.code, e.enhanced, e.direction, e.stage, e.text, e.queue_id,
            e.remote_host, e.sender, e.recipient)  # fmt: skip
