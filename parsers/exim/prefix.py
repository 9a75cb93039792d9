"""The start of an Exim line taken apart: Exim's own time stamp or a syslog one (its year from the
parser's :meth:`~logscan.parsing.api.Parser.iso_time`, so it crosses New Year as every parser's),
a syslog relay or splogger, the ``[1\\3]`` of a message split across syslog lines, a ``[pid]``;
and the envelope and header lines the reject log writes under a refusal."""

from __future__ import annotations

from logscan.parsing.api import Parser
from logscan.parsing.syslog import split
from parsers.exim.texts import (
    _EXIM_TS,
    _PID,
    _PROGRAMS,
    _REJECTED_HEADER,
    _RELAY,
    _SYSLOG_PART,
    _exim_iso,
)


class LinePrefix:
    """Splits the lines of one parser, remembering the last Exim time stamp converted."""

    def __init__(self, parser: Parser) -> None:
        self._parser = parser
        self._last_ts: tuple[str | None, str] = (None, "")
        self._after_refusal = False  # the last Exim line refused something

    def split(self, text: str) -> tuple[str | None, str] | None:
        """(ISO time, the text after time stamp, syslog relay and [pid]), or None if not Exim's.
        The text is empty for the second and later parts of a message split across syslog
        lines: the first part holds the line's outcome, the rest only continues its text, and
        for the envelope and headers the reject log lists under a refusal (log.c)."""
        m = _EXIM_TS.match(text)
        if m is None and self._after_refusal and _REJECTED_HEADER.match(text) is not None:
            return None, ""
        if m is not None:
            raw = m.group(0)
            if raw != self._last_ts[0]:  # consecutive lines mostly share their second
                self._last_ts = (raw, _exim_iso(m))
            ts: str | None = self._last_ts[1]
            body = text[m.end() :]
            if body.find("exim", 0, 80) >= 0 or body.find("splogger", 0, 80) >= 0:
                r = _RELAY.match(body)
                if r is not None:
                    body = _first_part(body[r.end() :])
        else:
            head = text[:160]
            if "exim" not in head and "splogger" not in head:
                return None  # cheap test before the syslog regex: another program's line
            s = split(text)
            if s is not None and s.program in _PROGRAMS:
                ts, body = self._parser.iso_time(s.ts), s.message
            else:
                r = _RELAY.match(text)
                if r is None:
                    return None
                ts, body = None, text[r.end() :]
            body = _first_part(body)
            m = _EXIM_TS.match(body)
            if m is not None:
                ts, body = _exim_iso(m), body[m.end() :]
        if body.startswith("["):
            p = _PID.match(body)
            if p is not None:
                body = body[p.end() :]
        self._after_refusal = "rejected " in body
        return self._parser.timestamps(ts), body


def _first_part(body: str) -> str:
    """``body`` without log.c write_syslog()'s "[1\\2] " (the part's number, ``\\`` where
    it ended at a newline or ``/`` where it was cut at 870 characters, the number of parts);
    "" for a part after the first."""
    if not body.startswith("["):
        return body
    part = _SYSLOG_PART.match(body)
    if part is None:
        return body
    return body[part.end() :] if part.group(1) == "1" else ""
