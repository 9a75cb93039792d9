"""The one way a parser builds an :class:`~logscan.core.event.Event`: by keyword, with the path
and the MTA filled in once per file.

A parser's ``self.event`` (set by :class:`~logscan.parsing.api.Parser`) is the ``event`` method
of one; the readers of one format inside a parser (Exchange's) hold theirs::

    >>> event = EventBuilder("mail.log", "postfix").event
    >>> ev = event(line=3, direction="outbound", stage="rcpt", status="bounced", code="550")
    >>> ev.path, ev.mta, ev.line, ev.enhanced
    ('mail.log', 'postfix', 3, None)

The parameters are Event's fields and defaults (a test holds them equal), so the contract stays
in logscan/core/event.py and docs/design.md.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

from logscan.core.event import Direction, Event


class EventBuilder:
    """Builds the events of one file (``path``) written by one MTA (``mta``)."""

    __slots__ = ("mta", "path")

    def __init__(self, path: str, mta: str) -> None:
        self.path = path
        self.mta = mta

    # A method, not ``__call__``: calling an instance goes through C with a dict of the
    # keywords, a bound method straight to the function (0.5 us less per event).
    def event(
        self,
        *,
        line: int,
        direction: Direction,
        stage: str = "unknown",
        status: str | None = None,
        code: str | None = None,
        enhanced: str | None = None,
        text: str | None = None,
        ts: str | None = None,
        code_inferred: bool = False,
        remote_host: str | None = None,
        remote_ip: str | None = None,
        sender: str | None = None,
        recipient: str | None = None,
        queue_id: str | None = None,
        size: int | None = None,
        delay: float | None = None,
    ) -> Event:
        """The event at ``line`` of this file; the other fields as Event's (the contract)."""
        # What this means; at run time the function made by _filling_slots() does it faster.
        return Event(
            self.path, line, self.mta, direction, stage, status, code, enhanced, text, ts,
            code_inferred, remote_host, remote_ip, sender, recipient, queue_id, size, delay,
        )  # fmt: skip


def _filling_slots(method: Callable[..., Event]) -> Callable[..., Event]:
    """``method`` made anew to fill the slots of a new Event itself, as Event's own
    ``__init__`` does (logscan/core/event.py), instead of calling Event: the call of a class
    packs its arguments into a tuple for ``__init__``, a third of what an event costs to build.

    Same parameters, checked here against ``method``'s and Event's fields: a builder that
    drifted from the contract fails at import.
    """
    env: dict[str, object] = {"_new": object.__new__, "_Event": Event}
    params, body = [], []
    for i, f in enumerate(dataclasses.fields(Event)):
        env[f"_set{i}"] = getattr(Event, f.name).__set__
        if f.name in ("path", "mta"):
            body.append(f"    _set{i}(ev, self.{f.name})\n")
            continue
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        body.append(f"    _set{i}(ev, {f.name})\n")
    source = f"def {method.__name__}(self, *, {', '.join(params)}):\n    ev = _new(_Event)\n"
    exec(source + "".join(body) + "    return ev\n", env)  # as dataclasses and core/event.py
    fast: Callable[..., Event] = env[method.__name__]  # type: ignore[assignment]

    def shape(f: Callable[..., Event]) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    if shape(fast) != shape(method):
        raise TypeError(f"{method.__qualname__} does not take Event's fields: {shape(method)}")
    fast.__qualname__, fast.__doc__ = method.__qualname__, method.__doc__
    return fast


setattr(EventBuilder, "event", _filling_slots(EventBuilder.event))  # noqa: B010
