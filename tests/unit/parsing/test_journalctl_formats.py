"""Lines as ``journalctl -o FORMAT`` prints them (systemd's ``src/shared/logs-show.c``,
``output_timestamp_realtime()`` and ``output_timestamp_monotonic()``; checked against journalctl
252 and the newer source), after the time: `` HOST IDENTIFIER[PID]: MESSAGE``:

=================  ===============================================  ==========================
format             time stamp                                       ``ts``
=================  ===============================================  ==========================
short              ``Mar 01 10:00:01`` (``%b %d %H:%M:%S``, local)  year from the parser
short-precise      ``Mar 01 10:00:01.123456``                       year from the parser
short-iso          ``2024-03-01T10:00:01+0000`` (252; newer:        as written, ``+00:00``
                   ``+00:00``)
short-iso-precise  ``2024-03-01T10:00:01.123456+0000``              as written, ``+00:00``
short-full         ``Fri 2024-03-01 10:00:01 UTC`` (zone            offset for UTC/GMT or a
with-unit          abbreviation, a numeric ``+03``, or none)        number; else local time
short-unix         ``1709287201.123456`` (``%10d.%06d``, UTC)       UTC
short-monotonic    ``[    5.000123]`` (since boot)                  none
short-delta        ``[    5.000123 <    0.000001 >]``               none
=================  ===============================================  ==========================

The project's real BSD syslog lines of each syslog MTA, rewritten in each format, must give the
events the originals give, line for line, the right ``ts``, and the parser chosen by detection as
for the originals. Before 2026-12-07 ``short-full``, ``short-unix`` and the monotonic formats gave
no ``ts`` (or no event at all), and ``short-iso`` kept systemd 252's ``+0000``.

``with-unit`` prints ``short-full``'s time but the systemd unit (``postfix@-.service``) in place
of the program (``postfix/smtp``), which the parsers need: its lines give no events. ``cat``
prints the message alone, with neither time nor program.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from logscan.parsing.registry import Registry
from logscan.parsing.syslog import iso_ts
from tests.helpers.paths import DATA
from tests.helpers.rewrapped import BSD_LINE, FILES, YEAR, events, shape

USEC = 123456  # journalctl's precise formats print microseconds; the real lines have none
CET = timezone(timedelta(hours=1), "CET")


# Each format: the time stamp journalctl prints for ``when`` (UTC, or CET where said), and the
# ``ts`` logscan must give a line whose plain BSD time is ``naive`` (ISO, no zone).
Stamp = Callable[[datetime], str]
Want = Callable[[str], str | None]


def _utc(naive: str) -> datetime:
    return datetime.fromisoformat(naive).replace(tzinfo=UTC)


def _precise(when: datetime) -> datetime:
    return when.replace(microsecond=USEC)


FORMATS: dict[str, tuple[Stamp, Want]] = {
    "short": (lambda w: w.strftime("%b %d %H:%M:%S"), lambda n: n),
    "short-precise": (
        lambda w: _precise(w).strftime("%b %d %H:%M:%S.%f"),
        lambda n: f"{n}.{USEC}",
    ),
    "short-iso-252": (lambda w: w.strftime("%Y-%m-%dT%H:%M:%S%z"), lambda n: f"{n}+00:00"),
    "short-iso": (lambda w: w.isoformat(timespec="seconds"), lambda n: f"{n}+00:00"),
    "short-iso-precise-252": (
        lambda w: _precise(w).strftime("%Y-%m-%dT%H:%M:%S.%f%z"),
        lambda n: f"{n}.{USEC}+00:00",
    ),
    "short-iso-precise": (
        lambda w: _precise(w).isoformat(timespec="microseconds"),
        lambda n: f"{n}.{USEC}+00:00",
    ),
    "short-full": (lambda w: w.strftime("%a %Y-%m-%d %H:%M:%S UTC"), lambda n: f"{n}+00:00"),
    "short-full-cet": (
        lambda w: w.astimezone(CET).strftime("%a %Y-%m-%d %H:%M:%S %Z"),
        lambda n: _utc(n).astimezone(CET).replace(tzinfo=None).isoformat(),
    ),
    "short-full-numeric-zone": (
        lambda w: w.astimezone(timezone(timedelta(hours=3))).strftime("%a %Y-%m-%d %H:%M:%S +03"),
        lambda n: _utc(n).astimezone(timezone(timedelta(hours=3))).isoformat(),
    ),
    "short-full-no-zone": (lambda w: w.strftime("%a %Y-%m-%d %H:%M:%S"), lambda n: n),
    "short-unix": (
        lambda w: f"{int(w.timestamp()):10d}.{USEC:06d}",
        lambda n: f"{n}.{USEC}+00:00",
    ),
    "short-monotonic": (lambda w: f"[{int(w.timestamp()) % 86400:5d}.{USEC:06d}]", lambda n: None),
    "short-delta": (
        lambda w: f"[{int(w.timestamp()) % 86400:5d}.{USEC:06d} <    0.000001 >]",
        lambda n: None,
    ),
}


def rewritten(line: str, fmt: str) -> tuple[str, str] | None:
    """``line`` as journalctl prints it in ``fmt``, and its plain BSD time in ISO (no zone)."""
    m = BSD_LINE.fullmatch(line)
    if m is None:
        return None
    stamp, host, program, pid, message = m.groups()
    naive = iso_ts(stamp, YEAR)
    assert naive is not None
    return f"{FORMATS[fmt][0](_utc(naive))} {host} {program}[{pid}]: {message}", naive


CASES = [
    pytest.param(mta, name, fmt)
    for mta, names in FILES.items()
    for name in names
    for fmt in FORMATS
]


@pytest.mark.parametrize(("mta", "name", "fmt"), CASES)
def test_real_lines_as_journalctl_prints_them(mta: str, name: str, fmt: str) -> None:
    text = (DATA / mta / name).read_text(encoding="utf-8", errors="replace").splitlines()
    pairs = [(line, rewritten(line, fmt)) for line in text]
    plain = [line for line, new in pairs if new is not None]
    wrapped = [new[0] for _, new in pairs if new is not None]
    naive = [new[1] for _, new in pairs if new is not None]
    assert len(plain) >= 5, "too few BSD syslog lines to compare"
    want = events(mta, plain)
    assert want, "the original lines give events"
    got = events(mta, wrapped)
    assert [shape(e) for e in got] == [shape(e) for e in want]
    want_ts = FORMATS[fmt][1]
    for w, g in zip(want, got, strict=True):
        own = naive[w.line - 1]
        # An Exim line may carry Exim's own time stamp after the syslog header: that one stays.
        expected = want_ts(own) if w.ts == own else w.ts
        assert g.ts == expected, (fmt, w.line, wrapped[w.line - 1][:40])
        if g.ts is not None:
            datetime.fromisoformat(g.ts)
    assert Registry.load().detect(wrapped[:50], str(Path(name))).name == mta
