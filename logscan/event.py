"""Deprecated import path (0.1) of :mod:`logscan.core.event`, kept for one release.

Plug-ins written against 0.1 import ``logscan.event``; new code imports ``from logscan import
Event``.
"""

from logscan.core.event import STAGES, STATUSES, ClassifiedEvent, Event, MessageNote, Verdict

__all__ = ["STAGES", "STATUSES", "ClassifiedEvent", "Event", "MessageNote", "Verdict"]
