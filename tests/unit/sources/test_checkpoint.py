"""The checkpoint's validation of file positions: old entries accepted, a bad one named."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from logscan.sources.checkpoint import CheckpointError, parse

FP = "ab" * 20
ENTRY = {"path": "/l/mail.log", "dev": 1, "ino": 2, "fp_len": 40, "fp": FP, "offset": 9}
ENTRY |= {"lineno": 1}


def _doc(entry: Any) -> bytes:
    files = {"/l/mail.log": [entry]}
    source = {"kind": "file", "files": files, "parsers": {}}
    return json.dumps({"version": 1, "sources": {"s": source}, "counters": {}}).encode()


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(ENTRY, id="first_release"),
        pytest.param({**ENTRY, "siblings": [], "size": 9, "mtime_ns": 1}, id="unversioned"),
        pytest.param(
            {**ENTRY, "version": 2, "siblings": [[1, 3, 5]], "size": 9, "mtime_ns": 1},
            id="version_2",
        ),
        pytest.param(
            {**ENTRY, "version": 3, "siblings": [], "size": 9, "mtime_ns": 1, "gen": 7},
            id="version_3",
        ),
    ],
)
def test_positions_of_every_version_are_accepted(entry: dict[str, Any]) -> None:
    (source,) = parse(_doc(entry)).sources.values()
    assert source["files"]["/l/mail.log"] == [entry]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**ENTRY, "version": 4}, "s.files['/l/mail.log'][0].version must be 1 to 3"),
        ({**ENTRY, "ino": "2"}, "s.files['/l/mail.log'][0].ino must be an integer in 0.."),
        ("x", "s.files['/l/mail.log'][0] must be an object"),
    ],
)
def test_a_bad_position_is_named(entry: Any, message: str) -> None:
    with pytest.raises(CheckpointError, match=re.escape(f"corrupt: sources.{message}")):
        parse(_doc(entry))
