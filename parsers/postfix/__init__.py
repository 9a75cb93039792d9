"""Postfix: every SMTP reply and delivery outcome in a Postfix mail log, as events.

One event per reply or outcome (docs/design.md, Event contract):

* delivery lines (smtp, lmtp, local, virtual, pipe, error, discard: ``status=sent|deferred|
  bounced``, ``SOFTBOUNCE`` as deferred): ``direction="outbound"``; the reply is the remote's
  text after ``said:`` / ``refused to talk to me:`` / ``refused to start TLS:``, or the detail
  itself when it starts with a code; without a reply, ``code=None``, ``enhanced`` from ``dsn=``
  and ``text`` is Postfix's detail ("connect to ...: Connection timed out");
* qmgr ``status=expired`` / ``force-expired``: ``status="expired"``, no code;
* ``host X said: ...`` / ``host X refused to talk to me: ...`` lines without a status (Postfix
  goes on to the next MX, the status line comes later): a reply with ``status=None``;
* smtpd and postscreen ``reject:``, cleanup ``milter-reject:`` and ``reject: header|body``,
  ``proxy-reject:``: ``direction="inbound"``, ``status="rejected"``;
* ``reject_warning:`` (``warn_if_reject``: the client was NOT refused, Postfix logs what it
  would have replied) and ``proxy-accept:``: an inbound event with ``status=None``, so the reply
  is counted but no rejection or delivery is.

Lines of Postfix programs that carry no reply (qmgr, anvil, connect/disconnect, TLS setup, SASL
warnings, postscreen PASS/PREGREET/DNSBL/HANGUP, a standalone ``connect to ...: Connection timed
out`` whose outcome the next ``status=`` line reports, ...) give ``[]``. Lines of programs that
share a mail log with Postfix (amavis, opendkim, dovecot, policyd-spf, postgrey, ...) give ``[]``
too; any other line gives ``None`` (unrecognized).

Choices where the contract is silent:

* ``stage``: "(in reply to X command)" or the "while ..." phrase when present; smtpd's reject
  kind (``VRFY`` and ``ETRN`` have no stage: "unknown"); the reply of ``status=sent`` is the
  end-of-data reply; refused connections, connect failures and MX lookup failures are
  "connect"; TLS failures "starttls"; deliveries by local/virtual/pipe "unknown".
* ``sender`` is ``""`` for the null sender ``<>`` (a bounce), ``None`` when the line and the
  queue state have none; an empty recipient is ``None``.
* ``remote_host``/``remote_ip`` are None for transports (``relay=local``, ``none``), unix sockets
  (``[private/dovecot-lmtp]``) and ``unknown``.
* smtpd's ``SASL ... authentication failed`` warnings carry no reply code and stay ignored;
  postscreen's ``reject: CONNECT ... too many connections`` is a rejection without a code (no
  inferred one).
* A detail cut short by syslog (no closing parenthesis) is kept whole.

Correlation: qmgr's ``from=<..>, size=N`` fills ``sender`` and ``size`` of later lines of the same
queue id (short hex or long ids); the state is bounded (:class:`QueueState`)::

    >>> p = PostfixParser("mail.log", year=2024)
    >>> p.feed("Nov 29 00:00:01 mx1 postfix/qmgr[7]: 1BB92DC6C1: from=<a@b.example>, "
    ...        "size=8632, nrcpt=1 (queue active)", 1)
    []
    >>> [ev] = p.feed("Nov 29 00:00:02 mx1 postfix/smtp[8]: 1BB92DC6C1: to=<c@d.example>, "
    ...     "relay=mx.d.example[192.0.2.7]:25, delay=1, delays=0.5/0/0.4/0.1, dsn=5.1.1, "
    ...     "status=bounced (host mx.d.example[192.0.2.7] said: 550 5.1.1 <c@d.example>: "
    ...     "User unknown (in reply to RCPT TO command))", 2)
    >>> ev.status, ev.code, ev.enhanced, ev.stage, ev.sender, ev.size, ev.ts
    ('bounced', '550', '5.1.1', 'rcpt', 'a@b.example', 8632, '2024-11-29T00:00:02')
    >>> ev.text, ev.remote_host, ev.remote_ip
    ('550 5.1.1 <c@d.example>: User unknown', 'mx.d.example', '192.0.2.7')
    >>> p.feed("Nov 29 00:00:02 mx1 dovecot: imap-login: Login: user=<x>", 3)
    []
    >>> p.feed("random garbage", 4) is None
    True

The package: :mod:`.parser` (the parser and its hot path), :mod:`.programs` (which daemon wrote a
line), :mod:`.replies` (the texts of reply-bearing lines), :mod:`.queue` (the queue state),
:mod:`.clock` (line times).

Speed: most lines carry no reply. The hot path isolates ``program[pid]`` with ``str.find``,
maps it through a bounded cache to the kind of daemon, and runs only that daemon's one or two
substring tests; no regex runs on a line that carries no reply. Reply lines are matched by one
compiled regex each. Measured in bench/RESULTS.md ("Postfix parser").
"""

from parsers.postfix.parser import PostfixParser
from parsers.postfix.queue import QueueState

__all__ = ["PostfixParser", "QueueState"]
