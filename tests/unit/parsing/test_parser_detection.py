"""Auto-detection across the five built-in parsers: every real log in tests/data/<mta>/ is
claimed by its own parser through the registry, and every other parser scores it near zero.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.parsing.registry import Registry
from tests.helpers.paths import DATA

MTAS = ("postfix", "exim", "sendmail", "exchange", "mdaemon")
# Message-only, hand-aligned lines with no program name at all: nothing can tell whose they are
# (tests/data/SOURCES.md); the Postfix tests feed them with a forced parser.
UNDETECTABLE = {"logwatch-postfix-logwatch-TD.log"}
REGISTRY = Registry.load()
LOGS = [
    (mta, path)
    for mta in MTAS
    for path in sorted((DATA / mta).iterdir())
    if path.suffix.lower() == ".log" and path.name not in UNDETECTABLE
]


@pytest.mark.parametrize(("mta", "path"), LOGS, ids=[f"{m}/{p.name}" for m, p in LOGS])
def test_each_log_is_claimed_by_its_own_parser_only(mta: str, path: Path) -> None:
    head = path.read_text(encoding="utf-8").splitlines()[:50]
    chosen = REGISTRY.detect(head, str(path))
    assert chosen is not None and chosen.name == mta
    for other in MTAS:
        if other != mta:
            assert REGISTRY.get(other).detect(head, str(path)) <= 0.1, other


def test_every_mta_has_real_logs_here() -> None:
    assert {mta for mta, _ in LOGS} == set(MTAS)
