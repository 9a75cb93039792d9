"""logscan: SMTP reply codes from mail-server logs, classified, counted and alerted on.

The package is the pipeline (see docs/design.md), one subpackage per stage::

    sources --lines--> parsing --events--> classify --verdicts--> sinks
    (core: the SMTP vocabulary and the Event; app: the daemon; cli: the commands)

The public API is what parser plug-ins need: :class:`Event`, :class:`MessageNote`, :class:`Parser`
(imported on first use, so that ``import logscan`` costs a command nothing it does not use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logscan.core.event import Event, MessageNote
    from logscan.parsing.api import Parser

__version__ = "0.1.0"
__all__ = ["Event", "MessageNote", "Parser", "__version__"]

_PUBLIC = {
    "Event": "logscan.core.event",
    "MessageNote": "logscan.core.event",
    "Parser": "logscan.parsing.api",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'logscan' has no attribute {name!r}")
