"""Exim main log (``mainlog``): plain, syslog-wrapped (``host exim[pid]:``) or relayed by
cPanel/ISPmanager's ``splogger[pid]:``.

One event per reply or delivery outcome::

    >>> p = EximParser("mainlog")
    >>> p.feed("2012-02-13 14:46:10 1RwtQA-000Mti-P5 <= a@example.ru H=mx.example.ru "
    ...        "[192.0.2.4] P=esmtp S=3211 id=x@example.ru", 1)
    []
    >>> [ev] = p.feed('2012-02-13 14:46:14 1RwtQA-000Mti-P5 => b@example.org R=dnslookup '
    ...               'T=remote_smtp H=mx.example.org [192.0.2.9] C="250 2.0.0 Ok: queued"', 2)
    >>> ev.status, ev.code, ev.enhanced, ev.sender, ev.size, ev.stage
    ('sent', '250', '2.0.0', 'a@example.ru', 3211, 'end-of-data')
    >>> [ev] = p.feed("2022-06-29 16:04:14 H=mx.example.com [192.0.2.7]:35328 F=<a@example.com> "
    ...               "rejected RCPT <b@example.org>: No Such User Here", 3)
    >>> ev.direction, ev.stage, ev.status, ev.code, ev.code_inferred
    ('inbound', 'rcpt', 'rejected', '550', True)

Exim does not log the code it sends for an ACL refusal unless the ACL's message starts with
one, so those events carry Exim's documented default with ``code_inferred=True`` (see
``_ACL_WHAT`` in :mod:`parsers.exim.texts`).

The package: :mod:`.parser` (the parser), :mod:`.texts` (the shapes of Exim's lines and what
they name).
"""

from parsers.exim.parser import EximParser

__all__ = ["EximParser"]
