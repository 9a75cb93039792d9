"""The lines of MDaemon's session logs: a time stamp, an optional ID string, the message.

Every MDaemon version writes ``Day YYYY-MM-DD HH:MM:SS: message``; the versions differ in what
follows the date and what precedes the message:

    >>> for text in (
    ...     "Wed 2013-09-11 12:22:04: *  Size (bytes): 70048",           # 9 to 12
    ...     "Mon 2018-04-23 20:39:00.774: [879998] --> STARTTLS",       # 13+: ms; 18+: id
    ...     "Thu 2019-02-07 11:10:18.554: 03: [183789] <-- 220 ready",  # 18+: thread
    ...     "Tue 2022-08-09 07:47:31: [4242:1] --> QUIT",               # real-time IDs
    ...     "2019-02-07 11:10:18: Session 1; child 1",                  # no weekday
    ...     "Mon 2009-03-02 1:05:09 PM: Session 2; child 1",            # 12-hour clock
    ...     "[434849] <-- 550 5.1.1 no such user",                      # a pasted line
    ...     ">   [434849] --> QUIT",                                     # quoted in a reply
    ... ):
    ...     print(read(text))
    Line(key='', msg='*  Size (bytes): 70048', clock='2013-09-11T12:22:04')
    Line(key='879998', msg='--> STARTTLS', clock='2018-04-23T20:39:00.774')
    Line(key='183789', msg='<-- 220 ready', clock='2019-02-07T11:10:18.554')
    Line(key='4242:1', msg='--> QUIT', clock='2022-08-09T07:47:31')
    Line(key='', msg='Session 1; child 1', clock='2019-02-07T11:10:18')
    Line(key='', msg='Session 2; child 1', clock='2009-03-02T13:05:09')
    Line(key='434849', msg='<-- 550 5.1.1 no such user', clock=None)
    Line(key='434849', msg='--> QUIT', clock=None)

The ID string is ``[session:child]`` when "log sessions in real time" is on, ``[session]`` in
MDaemon 18 and later, which also add the number of the thread that runs the session
(``03: ``); lines are grouped into sessions by the ID string, else by the thread, else one
session per file (``key`` ``""``). Session transcripts quoted in MDaemon's delivery status
notifications add one leading space, and lines quoted in a reply e-mail a ``> ``. A line
copied out of a log without its time stamp keeps only the ID string, as people paste them when
asking for help: it is read, without a time. The header at the top of each file ("START Event
Log / MDaemon PRO v26.0.3, SMTP (in) log information", rules of dashes, "Event Time/Date ...")
is not a line (:func:`is_header`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Day (some builds leave it out), date, time (MDaemon 13+ adds milliseconds, a 12-hour clock
# AM/PM), MDaemon 18+'s thread number, the ID string; or the ID string alone.
LINE = re.compile(
    r"""\s*(?:>[ \t]*)*(?:
        (?:[^\W\d_]{2,4},?[ ])?(?P<date>\d{4}-\d\d-\d\d)
        [ ](?P<time>\d\d?:\d\d:\d\d(?:\.\d+)?)(?:[ ]?(?P<half>[AaPp][Mm]))?:[ ]
        (?:(?P<thread>\d{1,5}):[ ])?(?:\[(?P<session>\d+(?::\d+)?)\][ ])?
      | \[(?P<bare>\d+(?::\d+)?)\][ ]
    )(?P<msg>.*)""",
    re.DOTALL | re.VERBOSE,
)
# The header of each log file ("START Event Log / MDaemon PRO v26.0.3, SMTP (in) log
# information", a rule of dashes, "Event Time/Date    Event Description", a rule).
BANNERS = ("START Event Log", "STOP Event Log", "Event Time/Date")


@dataclass(frozen=True, slots=True)
class Line:
    key: str  # the session the line belongs to
    msg: str
    clock: str | None  # ISO 8601 local time, not yet checked for impossible dates


def read(text: str) -> Line | None:
    """The parts of one log line, None if it is not one."""
    if ": " not in text and "[" not in text[:8]:
        return None  # neither dated nor an ID string
    m = LINE.match(text)
    if m is None:
        return None
    key = m["session"] or m["bare"] or (f"thread {m['thread']}" if m["thread"] else "")
    return Line(key, m["msg"].rstrip("\r\n"), _clock(m))


def is_header(text: str) -> bool:
    """A line of the header MDaemon writes at the top of each log file."""
    return text.startswith(BANNERS) or _is_rule(text)


def _is_rule(text: str) -> bool:
    """A line of dashes (the header's rules), not a dated "-----" session end."""
    return text[:5] == "-----" and not text.strip("-\r\n ")


def _clock(m: re.Match[str]) -> str | None:
    if m["date"] is None:
        return None
    hour, rest = m["time"].split(":", 1)
    if m["half"] is not None:  # 12:05 AM is 00:05, 12:05 PM is 12:05
        hour = str(int(hour) % 12 + (12 if m["half"].upper() == "PM" else 0))
    return f"{m['date']}T{hour.zfill(2)}:{rest}"
