"""One event builder: every parser builds its events through ``EventBuilder`` (by keyword, path
and MTA filled in), and the builder's parameters are the Event contract's fields."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

from logscan.core.event import Event
from logscan.parsing.event_builder import EventBuilder, _filling_slots
from tests.helpers.paths import REPO


def test_builder_takes_event_fields_with_their_defaults() -> None:
    params = inspect.signature(EventBuilder.event).parameters
    by_builder = {
        name: None if p.default is inspect.Parameter.empty else ("default", p.default)
        for name, p in params.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    by_event = {
        f.name: None if f.default is dataclasses.MISSING else ("default", f.default)
        for f in dataclasses.fields(Event)
        if f.name not in ("path", "mta")
    }
    assert by_builder == by_event


def test_builder_fills_path_and_mta() -> None:
    ev = EventBuilder("mainlog", "exim").event(
        line=4, direction="inbound", code="535", stage="auth"
    )
    assert ev == Event(path="mainlog", line=4, mta="exim", direction="inbound", stage="auth",
                       code="535")  # fmt: skip


def test_no_parser_builds_an_event_by_hand() -> None:
    hand_built = [
        f"{path.name}:{n}"
        for path in sorted((REPO / "parsers").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"(?<![\w.])Event\(", line)
    ]
    assert hand_built == []


def test_a_builder_that_drifts_from_the_contract_fails_at_import() -> None:
    def event(self: EventBuilder, *, line: int, direction: str, colour: str = "") -> Event:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="does not take Event's fields"):
        _filling_slots(event)  # what the module does to EventBuilder.event at import
