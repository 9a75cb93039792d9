"""A source that never produced a line fires SourceQuiet, counted from the daemon's start; a busy
source does not."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.alerting_daemon import daemon, lines, write_config
from tests.helpers.daemon import append
from tests.helpers.http_receiver import Receiver

pytestmark = pytest.mark.integration


def test_source_that_never_produced_a_line_is_quiet(
    tmp_path: Path, plugin_site: Path, receiver: Receiver
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    never = tmp_path / "never.log"  # configured, never written (not even created)
    rules = '[[alert]]\nname = "SourceQuiet"\nsignal = "source-quiet"\nquiet = "3s"\n'
    cfg = write_config(tmp_path, log, f'[[alerting.webhook]]\nurl = "{receiver.url}/hook"', rules)
    cfg.write_text(cfg.read_text() + f'[[sources]]\nname = "never"\npath = "{never}"\n')
    d = daemon(tmp_path, plugin_site, cfg)
    started = time.monotonic()
    d.start()
    try:
        stop_writing = time.monotonic() + 15
        while time.monotonic() < stop_writing and not _quiet_sources(receiver):
            append(log, lines("postfix-sent.log", time.time()).splitlines(keepends=True)[0])
            time.sleep(0.5)
        fired = _quiet_sources(receiver)
        assert fired == ["never"]  # the busy source is not quiet; the silent one is
        assert time.monotonic() - started >= 3  # counted from the daemon's start
        d.signal(signal.SIGTERM)
        assert d.proc is not None and d.proc.wait(20) == 0
    finally:
        d.close()


def _quiet_sources(receiver: Receiver) -> list[str]:
    return [
        a["labels"]["source"]
        for path, _, body in receiver.requests
        if path == "/hook"
        for a in json.loads(body)["alerts"]
        if a["status"] == "firing" and a["labels"]["alertname"] == "SourceQuiet"
    ]
