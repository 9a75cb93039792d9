"""A third-party parser, pip-installed as its own package, is listed and used by logscan.

``tests/plugin_pkg`` is a separate distribution (``logscan-toymta``) registering a parser for
the made-up ToyMTA format under the ``logscan.parsers`` entry-point group. It is installed with
pip (offline) into a ``--target`` directory; nothing in logscan names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.logscan_cli import events, install_plugin, run, summary

LOG = (
    "2024-11-29T10:00:00Z toymta[9]: id=Q1 queued from=<a@example.com>\n"
    '2024-11-29T10:00:01Z toymta[9]: id=Q1 to=<b@example.net> status=bounced reply="550 5.1.1'
    ' no such user here"\n'
)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_plugin(tmp_path_factory.mktemp("toymta") / "site")


def test_plugin_is_listed_with_its_origin(plugin: Path) -> None:
    done = run(["parsers"], plugin)
    assert done.returncode == 0
    assert "toymta" in done.stdout
    assert "from toymta_logscan:ToyMtaParser (logscan-toymta 0.1.0)" in done.stdout
    assert "toymta" not in run(["parsers"]).stdout  # only there when installed


def test_scan_detects_and_uses_the_plugin(plugin: Path, tmp_path: Path) -> None:
    log = tmp_path / "toy.log"
    log.write_text(LOG)
    s = summary(run(["scan", "--format", "json", str(log)], plugin))
    assert s["files"][0]["parser"] == "toymta"
    assert s["outcomes"] == {"event": 1, "ignored": 1, "unrecognized": 0}
    (ev,) = events(run(["scan", "--format", "events", str(log)], plugin))
    assert (ev["mta"], ev["line"], ev["code"], ev["enhanced"]) == ("toymta", 2, "550", "5.1.1")
    assert ev["category"] == "mailbox-unknown" and ev["status"] == "bounced"


def test_without_the_plugin_the_log_is_unrecognised(tmp_path: Path) -> None:
    log = tmp_path / "toy.log"
    log.write_text(LOG)
    done = run(["scan", str(log)])
    assert done.returncode == 2 and "no parser recognised this log" in done.stderr
