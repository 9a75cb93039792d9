"""A logscan parser plug-in for ToyMTA, a made-up MTA whose log lines look like::

    2024-11-29T00:00:01Z toymta[7]: id=T1 queued from=<alice@example.com>
    2024-11-29T00:00:02Z toymta[7]: id=T1 to=<bob@x.net> status=bounced reply="550 5.1.1 unknown"

A line with ``reply="..."`` is an event (outbound: the remote server's reply); another ToyMTA line
is understood but holds no reply; anything else is not ToyMTA's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from logscan.core.event import Event
from logscan.parsing.api import Parser
from logscan.parsing.reply import parse_reply

_LINE = re.compile(r"(?P<ts>\S+) toymta\[\d+\]: id=(?P<id>\w+) (?P<rest>.*)")
_FIELD = re.compile(r'(\w+)=(?:"([^"]*)"|<([^>]*)>|(\S+))')


class ToyMtaParser(Parser):
    name = "toymta"
    description = "ToyMTA delivery log (plug-in example)"

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        ours = sum(1 for line in head if _LINE.match(line))
        return ours / len(head) if head else 0.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        m = _LINE.match(text)
        if m is None:
            return None
        fields = {k: q or a or b for k, q, a, b in _FIELD.findall(m.group("rest"))}
        if "reply" not in fields:
            return []
        reply = parse_reply(fields["reply"])
        return [
            Event(
                path=self.path,
                line=lineno,
                mta=self.name,
                direction="outbound",
                # A delivery is confirmed after the data; refusals here come at RCPT time.
                stage="end-of-data" if fields.get("status") == "sent" else "rcpt",
                status=fields.get("status"),
                code=reply.code,
                enhanced=reply.enhanced,
                text=reply.text,
                ts=self.timestamps(m.group("ts")),  # None if impossible (counted)
                recipient=fields.get("to"),
                queue_id=m.group("id"),
            )
        ]
