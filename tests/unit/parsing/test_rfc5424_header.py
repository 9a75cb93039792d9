"""Lines written with the RFC 5424 header (rsyslog's ``RSYSLOG_SyslogProtocol23Format``, syslog-ng's
``syslog-protocol``, a central log host's files), where the program and its pid are fields of
their own: ``<22>1 2024-03-01T10:00:01+00:00 mx postfix/smtp 1234 - - 3F2A1: to=<...``.

They yield no event before 2026-12-07. The project's real BSD syslog lines, re-headed as rsyslog's
template writes them (``<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID%
%MSGID% %STRUCTURED-DATA% %msg%``), must give the events the originals give, line for line,
with the parser chosen by detection as for the originals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.parsing.registry import Registry
from logscan.parsing.syslog import iso_ts
from tests.helpers.paths import DATA
from tests.helpers.rewrapped import BSD_LINE, CASES, YEAR, events, shape


def re_headed(line: str) -> str | None:
    """``line`` as rsyslog writes it in RFC 5424 (mail.info, no MSGID, no structured data)."""
    m = BSD_LINE.fullmatch(line)
    if m is None:
        return None
    stamp, host, program, pid, message = m.groups()
    return f"<22>1 {iso_ts(stamp, YEAR)}+00:00 {host} {program} {pid} - - {message}"


def timed(mta: str, lines: list[str]) -> list[tuple[object, ...]]:
    return [(*shape(e), (e.ts or "")[:19]) for e in events(mta, lines)]


@pytest.mark.parametrize(("mta", "name"), CASES)
def test_real_lines_re_headed_in_rfc5424_give_the_same_events(mta: str, name: str) -> None:
    text = (DATA / mta / name).read_text(encoding="utf-8", errors="replace").splitlines()
    pairs = [(line, re_headed(line)) for line in text]
    bsd = [line for line, new in pairs if new is not None]
    rfc = [new for _, new in pairs if new is not None]
    assert len(bsd) >= 5, "too few BSD syslog lines to compare"
    want = timed(mta, bsd)
    assert want, "the original lines give events"
    assert timed(mta, rfc) == want
    assert Registry.load().detect(rfc[:50], str(Path(name))).name == mta


def test_a_bsd_line_with_its_pri_left_in_is_read_with_its_time() -> None:
    line = (
        "<22>Mar  1 10:00:05 mx postfix/smtp[1234]: 4QbXc3XyzLz1wW: to=<b@example.org>,"
        " relay=none, delay=1, delays=0.1/0/0.4/0, dsn=4.4.1, status=deferred"
        " (connect to mx.example.org[203.0.113.5]:25: Connection timed out)"
    )
    (ev,) = Registry.load().get("postfix")(path="m.log", year=YEAR).feed(line, 1) or []
    assert (ev.status, ev.enhanced, ev.ts) == ("deferred", "4.4.1", "2024-03-01T10:00:05")


def test_structured_data_and_a_bom_before_the_message() -> None:
    line = (
        '<22>1 2024-03-01T10:00:01.5Z mx.example.com postfix/smtp 77 - [meta sequenceId="12"]'
        " \ufeff4QbXc3XyzLz1wS: to=<b@example.org>, relay=mx.example.org[203.0.113.5]:25,"
        " delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
    )
    (ev,) = Registry.load().get("postfix")(path="m.log", year=YEAR).feed(line, 1) or []
    assert (ev.status, ev.code, ev.queue_id, ev.ts) == (
        "sent", "250", "4QbXc3XyzLz1wS", "2024-03-01T10:00:01.5Z"
    )  # fmt: skip


def test_a_sendmail_line_with_structured_data() -> None:
    line = (
        '<22>1 2024-03-01T10:00:01Z mx sm-mta 42 - [meta sequenceId="7"] 421A0B2c012345:'
        " to=<b@example.org>, delay=00:00:01, mailer=esmtp, pri=120000,"
        " relay=mx.example.org. [203.0.113.5], dsn=5.1.1, stat=User unknown"
    )
    (ev,) = Registry.load().get("sendmail")(path="m.log", year=YEAR).feed(line, 1) or []
    assert (ev.status, ev.enhanced, ev.queue_id, ev.ts) == (
        "bounced", "5.1.1", "421A0B2c012345", "2024-03-01T10:00:01Z"
    )  # fmt: skip
