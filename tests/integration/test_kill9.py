"""``kill -9`` of the real daemon: nothing lost, nothing counted twice, per line and per message.

The message test kills it at random moments during a retry storm: messages arrive, are deferred
several times across bursts of lines, then are delivered, bounced or expired, so messages are in
flight in the checkpoint. At the end ``logscan_messages_total{outcome}`` equals the messages' true
outcomes, and the delay histogram counts every delivered message once.

(kill -9 between rotations, at random: test_kill9_during_rotation.py; kill -9 while an alert fires:
test_kill9_while_alert_firing.py.)
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


def test_kill9_loses_and_repeats_nothing(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    seen = d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 8, "8 lines")
    assert total(s) == 8
    for key, value in seen.counters().items():
        if key[0].startswith("logscan_"):  # process_* belong to the process: they restart
            assert s.counters().get(key, 0) >= value, key


def _ts(t: int) -> str:
    return time.strftime("%b %d %H:%M:%S", time.gmtime(1_700_000_000 + t))


def test_message_outcomes_are_exact_through_kill9(tmp_path: Path, daemon: StartDaemon) -> None:
    seed = int(os.environ.get("LOGSCAN_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "postfix", "--checkpoint-interval", "0.3")
    # Each message: its remaining deferrals and its fate.
    pending: dict[str, tuple[int, str]] = {}
    clock = kills = 0
    for burst in range(25):
        out = []
        for i in range(rng.randint(20, 80)):  # new messages
            qid = f"{burst:02X}{i:03X}A"
            clock += 1
            out.append(f"{_ts(clock)} mx postfix/smtpd[1]: {qid}: client=h.example[192.0.2.1]")
            out.append(
                f"{_ts(clock)} mx postfix/qmgr[2]: {qid}: from=<s@example.org>, size=100, "
                "nrcpt=1 (queue active)"
            )
            pending[qid] = (rng.choice([0, 0, 1, 3, 12]), rng.choice(["sent", "sent", "bounced"]))
        for qid in list(pending):  # one queue run: a deferral or the final attempt
            left, fate = pending[qid]
            clock += 1
            relay = "relay=mx.example.net[192.0.2.9]:25, delay=5, delays=1/0/2/2"
            if left:
                out.append(
                    f"{_ts(clock)} mx postfix/smtp[3]: {qid}: to=<r@example.net>, {relay}, "
                    "dsn=4.7.0, status=deferred (host mx.example.net[192.0.2.9] said: 421 4.7.0 "
                    "Try again later (in reply to RCPT TO command))"
                )
                pending[qid] = (left - 1, fate)
                continue
            reply = "250 2.0.0 Ok" if fate == "sent" else "550 5.1.1 User unknown"
            out.append(
                f"{_ts(clock)} mx postfix/smtp[3]: {qid}: to=<r@example.net>, {relay}, "
                f"dsn={reply[4:9]}, status={fate} ({reply})"
            )
            out.append(f"{_ts(clock)} mx postfix/qmgr[2]: {qid}: removed")
            pending.pop(qid)  # its outcome is tallied from the log below
        with log.open("a") as fh:
            fh.write("\n".join(out) + "\n")
        if rng.random() < 0.3 or (burst == 20 and kills == 0):
            time.sleep(rng.uniform(0, 0.4))
            d.kill9()
            kills += 1
            d.start()
    lines = log.read_text().splitlines()
    outcome: Counter[str] = Counter()
    deferred = {ln.split(": ")[1] for ln in lines if "status=deferred" in ln}
    for ln in lines:
        if "status=sent" in ln or "status=bounced" in ln:
            qid = ln.split(": ")[1]
            if "status=bounced" in ln:
                outcome["bounced"] += 1
            else:
                outcome["delivered_after_deferral" if qid in deferred else "delivered"] += 1
    total = sum(outcome.values())
    s = d.wait_for(
        lambda s: s.get("logscan_messages_total") >= total, f"{total} messages, seed {seed}", 60
    )
    time.sleep(0.5)
    s = d.scrape()
    detail = f"seed={seed} kills={kills}"
    for name, n in outcome.items():
        assert s.get("logscan_messages_total", outcome=name) == n, (name, detail)
    assert s.get("logscan_messages_total") == total, detail
    delivered = outcome["delivered"] + outcome["delivered_after_deferral"]
    assert s.get("logscan_message_delivery_delay_seconds_count", mta="postfix") == delivered
    assert s.get("logscan_message_delivery_delay_seconds_bucket", le="5") == delivered, detail
    assert kills >= 1
