"""The event: one SMTP reply or delivery outcome found in a log line (docs/design.md contract).

Parsers build events; they never classify. The classifier adds a :class:`Verdict`, and the
pair travels to the sinks as a :class:`ClassifiedEvent`::

    >>> ev = Event(path="mail.log", line=3, mta="postfix", direction="outbound",
    ...            stage="rcpt", status="bounced", code="550", enhanced="5.1.1",
    ...            text="550 5.1.1 <a@example.com>: User unknown")
    >>> ev.code
    '550'
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from operator import attrgetter
from typing import Any, Literal, NamedTuple, get_args

Direction = Literal["outbound", "inbound"]
Stage = Literal[
    "connect",
    "helo",
    "starttls",
    "auth",
    "mail",
    "rcpt",
    "data",
    "end-of-data",
    "quit",
    "unknown",
]
STAGES: tuple[Stage, ...] = get_args(Stage)
STATUSES = ("sent", "deferred", "bounced", "expired", "rejected")


@dataclass(frozen=True, slots=True)
class Event:
    """What a parser found in one line. Field names and meanings are the docs/design.md contract."""

    path: str
    line: int
    mta: str
    direction: Direction
    stage: str = "unknown"
    status: str | None = None
    code: str | None = None
    enhanced: str | None = None
    text: str | None = None
    ts: str | None = None
    code_inferred: bool = False
    remote_host: str | None = None
    remote_ip: str | None = None
    sender: str | None = None
    recipient: str | None = None
    queue_id: str | None = None
    size: int | None = None
    # Beyond the contract: seconds from the message's arrival to this delivery attempt, where the
    # log says (Postfix's ``delay=``). pflogsumm's per-domain delays are made of it.
    delay: float | None = None


NoteKind = Literal["received", "queued", "removed"]


class MessageNote(NamedTuple):
    """A milestone of a message that is not a reply: it arrived, it was queued, it left the queue.

    Parsers report them through :attr:`logscan.parsing.api.Parser.notes` (only when a sink wants
    them), never as events: the reply counters, alerts and ``--format events`` see no change.
    ``received``: a client handed it over (Postfix smtpd ``client=``, pickup; Exim ``<=``);
    ``queued``: its envelope is known (MDaemon's message file; Postfix's messages still queued
    when the log ends, from qmgr's ``from=<..>, size=N``); ``removed``: the MTA is done with it
    (Postfix qmgr ``removed``, with that envelope; Exim ``Completed``). A NamedTuple, not a
    frozen dataclass: built for a fifth of the log's lines, it must be cheap to build.
    """

    kind: NoteKind
    mta: str
    queue_id: str
    ts: str | None = None
    sender: str | None = None
    size: int | None = None
    client: str | None = None
    # How many recipients the message has, where the arrival line says (Sendmail's nrcpts=):
    # an MTA that logs no removal is done with the message when all of them have an outcome.
    recipients: int | None = None
    # The number of the line that says it: the pipeline hands notes and events over in the
    # log's order by it. 0 (a plug-in that does not say): before the events of its block.
    line: int = 0


def _set_slots_directly(cls: type) -> None:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that fills its slots directly.

    The one ``dataclass`` writes calls ``object.__setattr__(self, name, value)`` per field (the
    way round its own frozen ``__setattr__``); calling each slot's descriptor instead does the
    same 2.5 times faster, which matters for the hundreds of thousands of events of a scan.
    Same parameters and defaults; the instance stays frozen (``__setattr__`` still raises).
    """
    params, body = [], []
    env: dict[str, object] = {"_new": object.__new__, "_cls": cls}
    for i, f in enumerate(fields(cls)):
        if f.default is MISSING:
            params.append(f.name)
        else:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        env[f"_set{i}"] = getattr(cls, f.name).__set__
        body.append(f"    _set{i}(self, {f.name})\n")
    source = f"def __init__(self, {', '.join(params)}):\n{''.join(body)}"
    exec(source, env)  # what dataclasses does too, with a different body
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]


_set_slots_directly(Event)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the classifier decided about a reply.

    ``rule`` names what decided the category: ``signature:<id>``, ``enhanced:<x.S.D>``,
    ``basic:<code>`` or ``none``.
    """

    class_: str | None
    category: str
    provider: str | None = None
    blocklist: str | None = None
    meaning: str = ""
    action: str = ""
    rule: str = "none"


class ClassifiedEvent(NamedTuple):
    """An event with its verdict: what sinks consume."""

    event: Event
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``logscan scan --format events`` prints for this event.

        A flat read of the fields, 5x faster than ``asdict`` (which deep-copies field by field):
        every Event field is a str, int, bool or None, so both give the same dict.
        """
        ev, v = self
        out = dict(zip(_EVENT_FIELDS, _event_values(ev), strict=True))
        out["class"] = v.class_
        out["category"] = v.category
        out["provider"] = v.provider
        out["blocklist"] = v.blocklist
        out["rule"] = v.rule
        return out


_EVENT_FIELDS = tuple(f.name for f in fields(Event))
_event_values = attrgetter(*_EVENT_FIELDS)
