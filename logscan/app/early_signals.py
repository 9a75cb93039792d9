"""Signals that arrive while the daemon starts: held, then handed to the daemon once it runs.

Python's default for SIGHUP is to terminate, and importing the daemon's modules, reading the
config and the rules, and restoring the checkpoint take a second or more. ``logscan run`` installs
these handlers first thing, so that a ``systemctl reload`` (or a log rotation's ``postrotate``
SIGHUP) at that moment is not fatal: several SIGHUPs become one reload after start, and a SIGTERM
or SIGINT stops the daemon as soon as it has started (after its first checkpoint)::

    >>> early = EarlySignals.install()
    >>> early.take()
    frozenset()
    >>> early.restore_defaults()
"""

from __future__ import annotations

import signal
from types import FrameType

HELD = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


class EarlySignals:
    """Records which of HELD arrived (coalesced: a set) until :meth:`take` hands them over."""

    def __init__(self) -> None:
        self._seen: set[signal.Signals] = set()

    @classmethod
    def install(cls) -> EarlySignals:
        early = cls()
        for sig in HELD:
            signal.signal(sig, early._record)
        return early

    def take(self) -> frozenset[signal.Signals]:
        """The signals seen so far (the caller installs its own handlers first)."""
        seen = frozenset(self._seen)
        self._seen.clear()
        return seen

    def restore_defaults(self) -> None:
        for sig in HELD:
            signal.signal(
                sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
            )

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._seen.add(signal.Signals(signum))
