"""A scripted SMTP server on loopback that answers what a test tells it to.

The reply to RCPT depends on the recipient's local part, so one message to several recipients
exercises several outcomes. ``drop`` closes the connection without a reply.

    >>> sink = ScriptedSink({"unknown": "550 5.1.1 <{rcpt}>: Recipient address rejected"})
    >>> sink.start(); sink.port                                        # doctest: +SKIP
    40123
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

# Replies that real receivers give, by recipient local part.
DEFAULT_SCRIPT: dict[str, str] = {
    "ok": "250 2.1.5 Ok",
    "unknown": (
        "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
    ),
    "full": "452 4.2.2 <{rcpt}>: Recipient address rejected: Mailbox full",
    "busy": "421 4.7.0 Try again later, closing connection. (mx.sink.test)",
    "listed": (
        "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org;"
        " https://www.spamhaus.org/query/ip/127.0.0.1"
    ),
    "drop": "DROP",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Handler:
    script: dict[str, str]
    received: list[tuple[str, list[str]]] = field(default_factory=list)
    # What the sink said about each recipient, in order: (recipient, final reply); the RCPT
    # reply when it refused, the DATA reply when it took the message, "DROP" for a hang-up.
    replies: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        local = address.split("@", 1)[0].lower()
        reply = self.script.get(local.rstrip("0123456789"), "250 2.1.5 Ok")
        if reply == "DROP":
            self.replies.append((address, reply))
            server.transport.close()
            return "421 4.4.2 dropped"  # never reaches the client: the transport is closed
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        else:
            self.replies.append((address, reply.format(rcpt=address)))
        return reply.format(rcpt=address)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos)))
        reply = "250 2.0.0 Ok: queued as SINK1"
        self.replies.extend((rcpt, reply) for rcpt in envelope.rcpt_tos)
        return reply


class ScriptedSink:
    def __init__(self, script: dict[str, str] | None = None) -> None:
        self.handler = _Handler(dict(script or DEFAULT_SCRIPT))
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
