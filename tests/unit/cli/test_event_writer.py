"""The ``--format events`` writer prints exactly ``ClassifiedEvent.to_dict()`` (the contract)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, fields

from logscan.cli.scan import EventWriter
from logscan.core.event import ClassifiedEvent, Event, Verdict


def full_event() -> ClassifiedEvent:
    """An event with every field set to a distinct value, so no field can be dropped unseen."""
    values = {f.name: f"v-{f.name}" for f in fields(Event)}
    values.update(line=7, direction="inbound", code_inferred=True, size=1234)
    verdict = Verdict("permanent", "blocklisted", "microsoft", "microsoft:S3150", rule="sig:x")
    return ClassifiedEvent(Event(**values), verdict)  # type: ignore[arg-type]


def test_to_dict_holds_every_event_field_then_the_verdict() -> None:
    """The flat read of ``to_dict`` gives what ``asdict`` gives (same keys, order, values)."""
    sparse = ClassifiedEvent(Event("m.log", 1, "postfix", "outbound"), Verdict(None, "unknown"))
    for item in (full_event(), sparse):
        v = item.verdict
        verdict = {"class": v.class_, "category": v.category, "provider": v.provider}
        verdict.update(blocklist=v.blocklist, rule=v.rule)
        expected = {**asdict(item.event), **verdict}
        assert item.to_dict() == expected
        assert list(item.to_dict()) == list(expected)  # same key order too


def test_writer_prints_one_json_object_per_line() -> None:
    out = io.StringIO()
    write = EventWriter(out)
    write(full_event())
    write(full_event())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == full_event().to_dict()


def test_writer_output_stays_ascii() -> None:
    """A non-ASCII reply is escaped as json.dumps does, so an ASCII-only stdout can carry it."""
    out = io.StringIO()
    event = Event("m.log", 1, "postfix", "outbound", text="550 Empfänger unbekannt 😀")
    item = ClassifiedEvent(event, Verdict(None, "unknown"))
    EventWriter(out)(item)
    assert out.getvalue().isascii()
    assert json.loads(out.getvalue()) == item.to_dict()
