"""Every outcome a line can have (event, ignored, unrecognized, parser error) is counted, with
bounded labels, by the real running daemon.

Like every file here (after mtail's integration tests, one file per fault or condition), it
writes real files in a temp dir, runs ``logscan run`` as a subprocess and asserts the exact
counters scraped from its endpoint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_counts_every_outcome_and_bounded_labels(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(
        log,
        lines(2)
        + lines(1, kind="code=999 enh=5.9.99 status=weird host=mx1.google.com")
        + lines(1, kind="code=none status=deferred")
        + "x testmta: noise\nnot ours\nx testmta: boom\n",
    )
    s = wait_lines(d, 7)
    assert all_lines(s) == 7
    assert events(s) == 4
    assert s.get("logscan_lines_total", outcome="ignored") == 1
    assert s.get("logscan_lines_total", outcome="unrecognized") == 2
    assert s.get("logscan_parser_errors_total", parser="testmta") == 1
    assert s.get("logscan_replies_total", code="550", enhanced="5.1.1") == 2
    assert s.get("logscan_replies_total", code="other", enhanced="other") == 1
    assert s.get("logscan_replies_total", code="none", enhanced="none", **{"class": "none"}) == 1
    assert s.get("logscan_deliveries_total", status="bounced") == 2
    assert s.get("logscan_deliveries_total", status="other") == 1
    assert s.get("logscan_deliveries_total", status="deferred") == 1
    assert s.get("logscan_provider_replies_total", provider="google") == 1
    assert s.get("logscan_build_info") == 1
    assert s.get("logscan_lines_total", source=str(log), parser="testmta") == 7
