"""``--compat postfix_exporter``: postfix_exporter's names and labels, and its values on real lines.

Three references, from the strongest down:
- the real postfix_exporter (Debian's prometheus-postfix-exporter, kumina's 0.3.0) reading the
  same log: every series it exposes under a name logscan also exports must have equal labels and
  values;
- postfix_exporter's counting rules as written in its maintained source (Hsn723/postfix_exporter
  ``exporter/postfix_exporter.go`` at abe59482c176), for the names the Debian build predates;
- that source's list of metric names and label names.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from logscan.app.config import ConfigError, parse_config, with_overrides
from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.labels import LabelSets
from logscan.sinks.metrics import Metrics, render
from logscan.sinks.postfix_exporter import METRICS, PostfixExporterCompat, exposed_names
from tests.conftest import StartDaemon
from tests.e2e.sink import free_port
from tests.helpers.paths import DATA as TEST_DATA

LABELS = LabelSets.from_classifier(Classifier.load())
DATA = TEST_DATA / "deploy"
# Real Postfix logs: one written by a real Postfix 3.7 relaying to the scripted sink of
# tests/e2e (sent, 550 5.1.1, 452 4.2.2, 421 4.7.0, dropped connection, 554 5.7.1 Spamhaus),
# fail2ban's smtpd rejects and postfix_exporter's own test lines (see tests/data/SOURCES.md).
LOGS = ("postfix-e2e-mail.log", "fail2ban-postfix.log", "kumina-postfix_exporter-tests.log")
EXPORTER = shutil.which("prometheus-postfix-exporter")

# Every log-derived counter of postfix_exporter with its label names, from
# Hsn723/postfix_exporter exporter/postfix_exporter.go (abe59482c176), func init().
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "postfix_cleanup_messages_processed_total": (),
    "postfix_cleanup_messages_rejected_total": (),
    "postfix_cleanup_messages_not_accepted_total": (),
    "postfix_qmgr_messages_removed_total": (),
    "postfix_qmgr_messages_expired_total": (),
    "postfix_smtp_tls_connections_total": (
        "trust",
        "protocol",
        "cipher",
        "secret_bits",
        "algorithm_bits",
    ),
    "postfix_smtp_deferred_messages_total": (),
    "postfix_smtp_messages_processed_total": ("status",),
    "postfix_smtp_deferred_messages_by_dsn_total": ("dsn",),
    "postfix_smtp_bounced_messages_by_dsn_total": ("dsn",),
    "postfix_smtp_connection_timed_out_total": (),
    "postfix_smtpd_connects_total": (),
    "postfix_smtpd_disconnects_total": (),
    "postfix_smtpd_forward_confirmed_reverse_dns_errors_total": (),
    "postfix_smtpd_connections_lost_total": ("after_stage",),
    "postfix_smtpd_messages_processed_total": ("sasl_method",),
    "postfix_smtpd_messages_rejected_total": ("code",),
    "postfix_smtpd_sasl_authentication_failures_total": (),
    "postfix_smtpd_tls_connections_total": (
        "trust",
        "protocol",
        "cipher",
        "secret_bits",
        "algorithm_bits",
    ),
    "postfix_unsupported_log_entries_total": ("service", "level"),
    "postfix_smtp_status_deferred": (),
    "postfix_bounce_non_delivery_notification_total": (),
    "postfix_virtual_delivered_total": (),
}

# postfix_exporter's line rules, as in the source above (logLine, smtpStatusLine, smtpDSNLine,
# smtpdRejectsLine, qmgrExpiredLine and the service dispatch of collectFromPostfixLogLine).
LOG_LINE = re.compile(
    r" ?(postfix|opendkim)(/([\w_\.+/-]+))?\[\d+\]: ((?:(warning|error|fatal|panic): )?.*)"
)
DELIVERY = re.compile(r", relay=(\S+), .*, delays=([0-9\.]+)/([0-9\.]+)/([0-9\.]+)/([0-9\.]+), ")
STATUS = re.compile(r", status=(\w+) ")
DSN = re.compile(r", dsn=(\d\.\d+\.\d+)")
SMTPD_REJECT = re.compile(r"^NOQUEUE: reject: RCPT from \S+: ([0-9]+) ")
QMGR_EXPIRED = re.compile(r":.*, status=(expired|force-expired), returned to sender")

# The services postfix_exporter reads by default. logscan reads every Postfix service
# (postfix/smtps/smtpd, postfix/virtual, ...); the exporter needs --postfix.*_service_label for
# those, so the comparison is over the lines of its default services only.
DEFAULT_SERVICES = {"cleanup", "lmtp", "pipe", "qmgr", "smtp", "smtpd", "bounce", "virtual"}
# logscan's events do not say which delivery agent wrote a line (documented difference), so the
# comparison also leaves out deliveries by agents other than smtp.
NON_SMTP_DELIVERY = {"lmtp", "pipe", "virtual"}


def comparable_lines() -> list[str]:
    lines = []
    for name in LOGS:
        for line in (DATA / name).read_text().splitlines():
            m = LOG_LINE.search(line)
            if m and m.group(3) in DEFAULT_SERVICES - NON_SMTP_DELIVERY:
                lines.append(line)
    return lines


def oracle(lines: list[str]) -> Counter[tuple[str, str]]:
    """What postfix_exporter counts on these lines, by (sample name, label value)."""
    out: Counter[tuple[str, str]] = Counter()
    for line in lines:
        m = LOG_LINE.search(line)
        if m is None:
            continue  # another program's line: postfix_exporter's "unsupported"
        service, rest = m.group(3), m.group(4)
        if service == "smtp" and DELIVERY.search(rest) and (st := STATUS.search(rest)):
            status = st.group(1)
            out["postfix_smtp_messages_processed_total", status] += 1
            dsn = DSN.search(rest)
            if status == "deferred":
                out["postfix_smtp_status_deferred", ""] += 1
                if dsn:
                    out["postfix_smtp_deferred_messages_by_dsn_total", dsn.group(1)] += 1
            if status == "bounced" and dsn:
                out["postfix_smtp_bounced_messages_by_dsn_total", dsn.group(1)] += 1
        elif service == "smtpd" and (rej := SMTPD_REJECT.search(rest)):
            out["postfix_smtpd_messages_rejected_total", rej.group(1)] += 1
        elif service == "qmgr" and QMGR_EXPIRED.search(rest):
            out["postfix_qmgr_messages_expired_total", ""] += 1
    return out


SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """The samples of a text exposition, names exactly as written (prometheus_client's own parser
    renames a counter sample without ``_total``, which would hide a naming difference)."""
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            yield m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))


def logscan_counts(lines: list[str]) -> tuple[Counter[tuple[str, str]], str]:
    metrics = Metrics()
    compat = PostfixExporterCompat(metrics, LABELS)
    parser = Registry.load().get("postfix")(path="mail.log", year=2026)
    pipe = Pipeline("mail.log", parser, Classifier.load(), [compat])
    for lineno, line in enumerate(lines, 1):
        pipe.feed(line, lineno)
    pipe.flush()
    text = exposition(metrics)
    counts: Counter[tuple[str, str]] = Counter()
    for name, labels, value in samples(text):
        if name.startswith("postfix_") and value:
            counts[name, next(iter(labels.values()), "")] += int(value)
    return counts, text


def test_exported_names_and_labels_are_postfix_exporters() -> None:
    names = exposed_names()
    assert len(names) == len(METRICS) >= 6
    for name, labels in names.items():
        assert name in DOCUMENTED, name
        assert labels == DOCUMENTED[name], name
    # The ones the issue names, so that dashboard 10013's queries find them.
    for wanted in (
        "postfix_smtp_messages_processed_total",
        "postfix_smtpd_messages_rejected_total",
        "postfix_smtp_bounced_messages_by_dsn_total",
    ):
        assert wanted in names


def exposition(metrics: Metrics) -> str:
    """What the daemon's endpoint serves for these metrics (its own renderer)."""
    return render(metrics.specs, metrics.snapshot()).decode()


def test_exposition_has_exactly_those_names_and_labels() -> None:
    metrics = Metrics()
    compat = PostfixExporterCompat(metrics, LABELS)
    for status, enhanced in (("deferred", "4.7.0"), ("bounced", "5.1.1"), ("sent", "2.0.0")):
        ev = Event(
            path="x", line=1, mta="postfix", direction="outbound", status=status, enhanced=enhanced
        )
        compat(ClassifiedEvent(ev, Verdict(class_=None, category="unknown")))
    seen: dict[str, set[str]] = {}
    for name, labels, _ in samples(exposition(metrics)):
        if name.startswith("postfix_"):
            seen.setdefault(name, set()).update(labels)
    # Every name but the NOQUEUE rejects has a series now (unlabelled ones start at 0).
    assert set(seen) == set(exposed_names()) - {"postfix_smtpd_messages_rejected_total"}
    for name, labels in seen.items():
        assert labels == set(exposed_names()[name])


def test_other_mtas_and_unbounded_values_do_not_leak() -> None:
    metrics = Metrics()
    compat = PostfixExporterCompat(metrics, LABELS)
    exim = Event(path="x", line=1, mta="exim", direction="outbound", status="bounced")
    odd = Event(
        path="x", line=2, mta="postfix", direction="outbound", status="bounced", enhanced="5.1.1x"
    )
    for ev in (exim, odd):
        compat(ClassifiedEvent(ev, Verdict(class_="permanent", category="unknown")))
    snap = metrics.snapshot()
    assert snap["postfix_smtp_bounced_messages_by_dsn"] == {("other",): 1.0}
    assert snap["postfix_smtp_messages_processed"] == {("bounced",): 1.0}


def test_counts_survive_a_checkpoint() -> None:
    """The daemon checkpoints every declared metric; the compat counters come back with it."""
    metrics = Metrics()
    compat = PostfixExporterCompat(metrics, LABELS)
    ev = Event(path="x", line=1, mta="postfix", direction="outbound", status="deferred")
    compat(ClassifiedEvent(ev, Verdict(class_="transient", category="network")))
    again = Metrics()
    PostfixExporterCompat(again, LABELS)
    again.restore(json.loads(json.dumps(metrics.persisted())))
    assert again.snapshot() == metrics.snapshot()
    assert again.snapshot()["postfix_smtp_status_deferred"] == {(): 1.0}


def test_values_match_postfix_exporters_rules_on_real_postfix_lines() -> None:
    lines = comparable_lines()
    expected = oracle(lines)
    # The real lines exercise every exported counter that has a line kind in them.
    assert {name for name, _ in expected} == set(exposed_names())
    got, _ = logscan_counts(lines)
    assert got == expected


@pytest.mark.integration
@pytest.mark.skipif(EXPORTER is None, reason="Debian prometheus-postfix-exporter missing")
def test_source_rules_agree_with_the_real_exporter(tmp_path: Path) -> None:
    """The rules the other tests hold logscan to are the real exporter's, where it has the name."""
    lines = comparable_lines()
    theirs = scrape_real_exporter(tmp_path, lines)
    ours = oracle(lines)
    shared = {name for name, _ in theirs} & set(exposed_names())
    # Debian's 0.3.0 has these two of ours; the newer names are checked against the source.
    assert shared == {"postfix_smtp_status_deferred", "postfix_smtpd_messages_rejected_total"}
    for name in shared:
        assert only(theirs, name) == only(ours, name), name


@pytest.mark.integration
@pytest.mark.skipif(EXPORTER is None, reason="Debian prometheus-postfix-exporter missing")
def test_values_match_the_real_postfix_exporter(tmp_path: Path) -> None:
    lines = comparable_lines()
    got, _ = logscan_counts(lines)
    theirs = scrape_real_exporter(tmp_path, lines)
    for name in {name for name, _ in theirs} & set(exposed_names()):
        assert only(got, name) == only(theirs, name), name


def only(counts: Counter[tuple[str, str]], name: str) -> dict[tuple[str, str], int]:
    return {k: v for k, v in counts.items() if k[0] == name}


def scrape_real_exporter(tmp_path: Path, lines: list[str]) -> Counter[tuple[str, str]]:
    log = tmp_path / "mail.log"
    log.touch()
    port = free_port()
    assert EXPORTER is not None
    proc = subprocess.Popen(
        [
            EXPORTER,
            f"--web.listen-address=127.0.0.1:{port}",
            f"--postfix.logfile_path={log}",
            f"--postfix.showq_path={tmp_path / 'no-showq'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The exporter follows the file from its end, like `tail -f`, and its endpoint answers
    # before its tailer has opened the file: write a warm-up cleanup line until it is counted
    # (the tailer is then at the end), and only then the lines. A last cleanup line marks the
    # end: when it is counted, every line before it was.
    warm = "Jan  1 00:00:00 mx postfix/cleanup[1]: 0W: message-id=<warm@logscan.test>"
    sentinel = "Jan  1 00:00:00 mx postfix/cleanup[1]: 0A: message-id=<end@logscan.test>"
    cleanups = sum(1 for x in lines if "postfix/cleanup[" in x and ": message-id=<" in x) + 1
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        counted = 0
        for _ in range(100):
            with log.open("a") as f:
                f.write(warm + "\n")
            text = poll(url, lambda t: "postfix_cleanup_messages_processed_total" in t)
            counted = int(float(only_value(text, "postfix_cleanup_messages_processed_total")))
            if counted:
                break
            time.sleep(0.2)
        assert counted, "the exporter never counted a line"
        # One write per line: the exporter's tailer can split a line that a read cuts in two.
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        try:
            for line in [*lines, sentinel]:
                os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        done = f"postfix_cleanup_messages_processed_total {counted + cleanups}"
        poll(url, lambda t: done in t)
        # Its counters do not all move in the order of the lines: wait until they settle.
        text = settled(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    counts: Counter[tuple[str, str]] = Counter()
    for name, labels, value in samples(text):
        if name.startswith("postfix_") and value:
            counts[name, next(iter(labels.values()), "")] += int(value)
    counts["postfix_cleanup_messages_processed_total", ""] -= counted  # the warm-up lines
    return counts


def settled(url: str, timeout: float = 20.0) -> str:
    """A scrape equal to the one before it (0.5 s apart, the histograms' sums included)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=2) as resp:
            text = "\n".join(
                line for line in resp.read().decode().splitlines() if line.startswith("postfix_")
            )
        if text == last:
            return text
        last = text
        time.sleep(0.5)
    raise AssertionError(f"{url}: the counters did not settle in {timeout}s")


def only_value(text: str, name: str) -> float:
    """The value of the unlabelled sample ``name`` in a scrape, 0 when it is not there."""
    return next((value for n, _, value in samples(text) if n == name), 0.0)


def poll(url: str, ready: object, timeout: float = 20.0) -> str:
    assert callable(ready)
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                text = resp.read().decode()
            if ready(text):
                return text
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready after {timeout}s:\n{text[-2000:]}")


def test_config_and_flag_enable_it_and_reject_unknown_exporters() -> None:
    text = '[metrics]\ncompat = ["postfix_exporter"]\n[[sources]]\npath = "/var/log/mail.log"\n'
    assert parse_config(text, "t.toml").compat == ("postfix_exporter",)
    base = parse_config('[[sources]]\npath = "/var/log/mail.log"\n', "t.toml")
    assert base.compat == ()
    assert with_overrides(base, compat=["postfix_exporter"]).compat == ("postfix_exporter",)
    with pytest.raises(ConfigError, match=r"t.toml: metrics.compat\[0\]: unknown exporter 'mtail'"):
        parse_config(text.replace("postfix_exporter", "mtail"), "t.toml")


@pytest.mark.integration
def test_daemon_serves_them_across_kill9(tmp_path: Path, daemon: StartDaemon) -> None:
    """``logscan run --compat postfix_exporter``: the names on the real endpoint, with the values
    postfix_exporter's rules give; after kill -9 and a restart they come back, never lower."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "postfix", "--compat", "postfix_exporter")
    real = (DATA / "postfix-e2e-mail.log").read_text()
    with log.open("a") as f:
        f.write(real)
    lines = real.splitlines()
    s = d.wait_for(lambda s: s.get("logscan_lines_total") == len(lines), "every line read")
    expected = dict(oracle(lines))
    served = {
        (name, next(iter(labels.values()), "")): int(value)
        for name, labels, value in samples(http_get_text(d.url()))
        if name in exposed_names() and value
    }
    assert served == expected
    assert s.get("logscan_lines_total") == len(lines)
    d.wait_for(lambda s: s.get("logscan_checkpoint_writes_total", result="ok") >= 2, "checkpoint")
    d.kill9()
    d.start()
    again = {
        (name, next(iter(labels.values()), "")): int(value)
        for name, labels, value in samples(http_get_text(d.url()))
        if name in exposed_names() and value
    }
    assert again == expected


def http_get_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as resp:
        return str(resp.read().decode())
