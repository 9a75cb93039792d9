"""logscan: SMTP reply codes from mail-server logs, classified, counted and alerted on.

The pipeline (see docs/design.md)::

    source --lines--> parser --events--> classifier --verdicts--> sinks

Public API for parser plug-ins: :class:`logscan.event.Event` and :class:`logscan.parser.Parser`.
"""

__version__ = "0.1.0"
