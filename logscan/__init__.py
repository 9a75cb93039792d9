"""logscan: SMTP reply codes from mail-server logs, classified, counted and alerted on.

The package is the pipeline (see docs/design.md), one subpackage per stage::

    sources --lines--> parsing --events--> classify --verdicts--> sinks
    (core: the SMTP vocabulary and the Event; app: the daemon; cli: the commands)

The public API is what parser plug-ins need: :class:`Event`, :class:`MessageNote`, :class:`Parser`.
"""

from logscan.core.event import Event, MessageNote
from logscan.parsing.api import Parser

__version__ = "0.1.0"
__all__ = ["Event", "MessageNote", "Parser", "__version__"]
