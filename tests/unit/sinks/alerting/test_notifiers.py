"""Notifiers against real HTTP servers on loopback: payloads, signatures, retries, back-pressure."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import datetime

from structlog.testing import capture_logs

from logscan.sinks.alerting.alert import Alert
from logscan.sinks.alerting.notifiers import (
    SIGNATURE_HEADER,
    AlertmanagerNotifier,
    Backoff,
    Dispatcher,
    LogNotifier,
    WebhookNotifier,
)
from tests.helpers.http_receiver import Receiver

FIRING = Alert(
    "firing",
    {"alertname": "BlocklistRejections", "severity": "page", "blocklist": "zen.spamhaus.org"},
    {"summary": "3 rejections", "sample": "554 5.7.1 <a***@example.com>"},
    1_800_000_000.0,
    None,
    "http://mx1:9842/",
)
REPEAT = Alert(**{**FIRING.__dict__, "repeat": True})
RESOLVED = Alert(**{**FIRING.__dict__, "status": "resolved", "ends_at": 1_800_000_600.0})
FAST = Backoff(first=0.05, cap=0.2, attempts=4)


def wait_for(cond: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert cond(), "condition not reached"  # type: ignore[operator]


def test_webhook_body_and_hmac_signature(receiver: Receiver) -> None:
    d = Dispatcher([WebhookNotifier(receiver.url + "/hook", secret=b"s3cret")], backoff=FAST)
    d.start()
    d.submit([FIRING, REPEAT])  # the webhook gets transitions only
    d.submit([RESOLVED])
    receiver.wait(2)
    d.close()
    (path, headers, body), (_, _, body2) = receiver.requests
    assert path == "/hook"
    assert headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    doc = json.loads(body)
    assert doc["version"] == "1" and len(doc["alerts"]) == 1
    alert = doc["alerts"][0]
    assert alert["status"] == "firing" and alert["endsAt"] is None
    assert alert["labels"]["blocklist"] == "zen.spamhaus.org"
    assert alert["startsAt"] == "2027-01-15T08:00:00.000Z"
    assert json.loads(body2)["alerts"][0]["endsAt"] == "2027-01-15T08:10:00.000Z"
    assert d.counts() == {("BlocklistRejections", "webhook", "success"): 2}


def test_webhook_without_secret_sends_no_signature(receiver: Receiver) -> None:
    d = Dispatcher([WebhookNotifier(receiver.url)], backoff=FAST)
    d.start()
    d.submit([FIRING])
    receiver.wait(1)
    d.close()
    assert SIGNATURE_HEADER not in receiver.requests[0][1]


def test_alertmanager_payload_includes_repeats(receiver: Receiver) -> None:
    d = Dispatcher([AlertmanagerNotifier(receiver.url, resend_interval=60)], backoff=FAST)
    d.start()
    before = time.time()
    d.submit([FIRING])
    d.submit([REPEAT])
    d.submit([RESOLVED])
    receiver.wait(3)
    d.close()
    paths = {r[0] for r in receiver.requests}
    assert paths == {"/api/v2/alerts"}
    [first], [_], [resolved] = (json.loads(r[2]) for r in receiver.requests)
    assert set(first) == {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
    assert first["generatorURL"] == "http://mx1:9842/"
    # firing: endsAt four re-send intervals ahead, so Alertmanager keeps it active between sends
    ends = datetime.fromisoformat(first["endsAt"]).timestamp()
    assert before + 240 - 2 <= ends <= time.time() + 240 + 2
    assert resolved["endsAt"] == "2027-01-15T08:10:00.000Z"


def test_retry_with_backoff_then_success() -> None:
    r = Receiver(fail=2)
    try:
        d = Dispatcher([WebhookNotifier(r.url)], backoff=FAST)
        d.start()
        d.submit([FIRING])
        r.wait(1)
        d.close()
        assert d.counts() == {("BlocklistRejections", "webhook", "success"): 1}
        assert r.fail == 0
    finally:
        r.server.shutdown()
        r.server.server_close()


def test_notifier_down_never_blocks_and_gives_up() -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = Dispatcher(
        [AlertmanagerNotifier(f"http://127.0.0.1:{port}", timeout=0.5)],
        queue_size=2,
        backoff=Backoff(first=0.05, cap=0.05, attempts=3),
    )
    d.start()
    start = time.monotonic()
    for _ in range(50):
        d.submit([FIRING])  # never blocks, whatever the notifier does
    assert time.monotonic() - start < 0.5
    wait_for(lambda: sum(d.counts().values()) == 50)
    d.close(timeout=1.0)
    counts = d.counts()
    assert counts[("BlocklistRejections", "alertmanager", "failed")] >= 1
    assert counts[("BlocklistRejections", "alertmanager", "dropped")] >= 40
    assert ("BlocklistRejections", "alertmanager", "success") not in counts


def test_a_broken_notifier_does_not_kill_its_thread(receiver: Receiver) -> None:
    class Broken:
        name = "broken"
        wants_repeats = False
        calls = 0

        def send(self, alerts: object) -> None:
            Broken.calls += 1
            raise RuntimeError("bug")

    d = Dispatcher([Broken(), WebhookNotifier(receiver.url)], backoff=FAST)
    d.start()
    d.submit([FIRING])
    d.submit([RESOLVED])
    receiver.wait(2)
    wait_for(lambda: d.counts().get(("BlocklistRejections", "broken", "failed")) == 2)
    d.close()
    assert Broken.calls == 2 * FAST.attempts


def test_log_notifier() -> None:
    with capture_logs() as logs:
        LogNotifier().send([FIRING, RESOLVED])
    assert [(x["event"], x["log_level"]) for x in logs] == [
        ("alert firing", "warning"),
        ("alert resolved", "info"),
    ]
    assert logs[0]["alert"] == "BlocklistRejections"
    assert logs[0]["blocklist"] == "zen.spamhaus.org"
    assert logs[0]["sample"] == "554 5.7.1 <a***@example.com>"
