"""Durations as alert rules and the ``[alerting]`` section write them: ``"90s"``, ``"5m"``,
``"1h30m"`` or seconds.

Kept apart from :mod:`logscan.sinks.alerting.rules` so that reading a config (every command
does) does not load the filter language and its parser.
"""

from __future__ import annotations

import math
import re

# The longest window, "for" or "quiet" (31 days): longer ones hold events for as long and never
# let a rule fire within any useful time.
MAX_DURATION = 31 * 86400.0

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(raw: object) -> float:
    """Seconds in ``"90s"``, ``"5m"``, ``"1h30m"`` or a bare number of seconds.

    >>> parse_duration("1h30m"), parse_duration("45s"), parse_duration(10)
    (5400.0, 45.0, 10.0)
    """
    if isinstance(raw, bool):
        raise ValueError(f"not a duration: {raw!r}")
    seconds: float | None = None
    if isinstance(raw, int | float):
        if raw < 0:
            raise ValueError(f"negative duration: {raw!r}")
        seconds = float(raw)
    elif isinstance(raw, str):
        m = _DURATION.match(raw.strip())
        if m and any(m.groups()):
            h, mi, s = (int(g or 0) for g in m.groups())
            seconds = float(h * 3600 + mi * 60 + s)
    if seconds is None or math.isnan(seconds):
        raise ValueError(f'not a duration: {raw!r} (write e.g. "30s", "5m", "1h30m")')
    if seconds > MAX_DURATION:
        # inf or a year: a window that never fills, a rule that never fires.
        raise ValueError(f"duration {raw!r} is longer than {format_duration(MAX_DURATION)}")
    return seconds


def format_duration(seconds: float) -> str:
    """The short form of a duration, for summaries.

    >>> format_duration(300), format_duration(5400), format_duration(45)
    ('5m', '1h30m', '45s')
    """
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{sec}s" if sec else "")
    return out or "0s"
