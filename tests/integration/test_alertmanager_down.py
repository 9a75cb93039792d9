"""An Alertmanager that is down: the daemon keeps counting and its other notifiers (the log,
another Alertmanager) are not held up behind its retries."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from logscan.sinks.alerting.alert import Alert
from logscan.sinks.alerting.notifiers import AlertmanagerNotifier, Backoff, Dispatcher
from tests.helpers.alerting_daemon import now_lines, start
from tests.helpers.alertmanager_proc import free_port
from tests.helpers.daemon import Scrape, append
from tests.helpers.http_receiver import Receiver


@pytest.mark.integration
def test_alertmanager_down_never_blocks_the_daemon(tmp_path: Path, site: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there
    log = tmp_path / "mail.log"
    log.touch()
    d = start(
        tmp_path,
        site,
        ["--source", str(log), "--state-dir", str(tmp_path / "state"), "--alertmanager", dead],
    )
    try:
        append(log, now_lines("postfix-blocklist-burst.log"))
        s: Scrape = d.wait_for(
            lambda s: s.get("logscan_alerts_firing", alert="BlocklistRejections") == 1,
            "the alert firing",
        )
        # Lines keep being counted while the notifier retries in the background.
        append(log, now_lines("postfix-sent.log"))
        s = d.wait_for(
            lambda s: s.get("logscan_lines_total", outcome="event") == 14, "all 14 lines"
        )
        assert (
            s.get("logscan_alert_notifications_total", notifier="alertmanager", result="success")
            == 0
        )
        d.wait_for(  # the log notifier is not held up by the Alertmanager one
            lambda s: s.get("logscan_alert_notifications_total", notifier="log") == 1, "log"
        )
        assert d.stop() == 0
    finally:
        d.close()


def test_an_alertmanager_that_is_down_does_not_hold_up_the_other(receiver: Receiver) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    up = AlertmanagerNotifier(receiver.url)
    dispatcher = Dispatcher(
        [AlertmanagerNotifier(dead), up], backoff=Backoff(first=5.0, cap=5.0, attempts=3)
    )
    dispatcher.start()
    try:
        alert = Alert("firing", {"alertname": "A"}, {}, time.time(), None, "http://x/")
        started = time.monotonic()
        dispatcher.submit([alert])
        receiver.wait(1, timeout=5)
        assert time.monotonic() - started < 2  # not behind the dead one's 5 s back-off
        [(path, _, body)] = receiver.requests
        sent: list[dict[str, Any]] = json.loads(body)
        assert path == "/api/v2/alerts" and sent[0]["labels"] == {"alertname": "A"}
        assert dispatcher.counts().get(("A", "alertmanager", "success")) == 1
    finally:
        dispatcher.stopping.set()
        dispatcher.close(timeout=0.5)
