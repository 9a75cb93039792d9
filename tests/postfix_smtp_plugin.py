"""Postfix ``smtp`` delivery lines: the alerting tests' parser plug-in.

It stands in for the full Postfix parser (branch ``postfix``) until that is merged: it reads only
the ``postfix/smtp[pid]: QID: to=<...>, relay=..., dsn=..., status=... (...)`` lines. Its
``detect`` is barely confident, so auto-detection prefers the real ``postfix`` parser once it is
registered. The daemon tests install it as a real plug-in (an entry point on ``PYTHONPATH``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from logscan.event import Event
from logscan.parser import Parser

ENTRY_POINT = "postfix-smtp-lines = tests.postfix_smtp_plugin:PostfixSmtpLines"

_SMTP = re.compile(
    r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix/(?:[\w-]+/)?smtp\[\d+\]: (?P<qid>\w+): "
    r"to=<(?P<rcpt>[^>]*)>, relay=(?P<host>[^\[,]+)\[(?P<ip>[^\]]*)\][^,]*, .*?"
    r"dsn=(?P<dsn>[\d.]+), status=(?P<status>\w+) \((?P<detail>.*)\)$"
)
_SAID = re.compile(
    r"^host \S+ said: (?P<reply>.*?)(?: \(in reply to (?P<cmd>[A-Z ]+?) command\))?$"
)


class PostfixSmtpLines(Parser):
    """The delivery lines of postfix/smtp only (see the module docstring)."""

    name = "postfix-smtp-lines"
    description = "Postfix smtp delivery lines (logscan's alerting tests)"

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return 0.31 if any(_SMTP.match(line) for line in head) else 0.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        m = _SMTP.match(text)
        if m is None:
            return None
        said = _SAID.match(m["detail"])
        reply = said["reply"] if said else m["detail"]
        code = reply[:3] if reply[:3].isdigit() else None
        stage = {"RCPT TO": "rcpt", "MAIL FROM": "mail", "end of DATA": "end-of-data"}
        return [
            Event(
                path=self.path,
                line=lineno,
                mta="postfix",
                direction="outbound",
                stage=stage.get(said["cmd"] or "", "unknown") if said else "end-of-data",
                status=m["status"],
                code=code,
                enhanced=m["dsn"],
                text=reply,
                remote_host=m["host"],
                remote_ip=m["ip"],
                recipient=m["rcpt"],
                queue_id=m["qid"],
            )
        ]


def install(site: Path) -> Path:
    """Register the plug-in under ``site`` (put ``site`` and the repository on PYTHONPATH)."""
    site.mkdir(parents=True, exist_ok=True)
    dist = site / "logscan_postfix_smtp_lines-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: logscan-postfix-smtp-lines\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(f"[logscan.parsers]\n{ENTRY_POINT}\n")
    return site
