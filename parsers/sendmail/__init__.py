"""Sendmail through syslog: ``sm-mta[pid]:``, ``sendmail[pid]:``, ``sm-msp-queue[pid]:``,
``sm-acceptingconnections[pid]:``, Solaris ``[ID 801593 mail.info]``, and lines that start at
the program (``sm-mta[pid]: ...``, as OSSEC/Wazuh alerts quote them).

One event per reply or delivery outcome::

    >>> p = SendmailParser("maillog", year=2024)
    >>> p.feed("Nov 29 00:00:02 mx1 sm-mta[9]: 4AT00103578509: from=<a@example.com>, size=2853, "
    ...        "class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]", 1)
    []
    >>> [ev] = p.feed("Nov 29 00:00:10 mx1 sm-mta[9]: 4AT00103578509: to=<b@example.org>, "
    ...               "delay=00:00:02, mailer=esmtp, pri=170603, relay=mx.example.org. "
    ...               "[192.0.2.9], dsn=4.7.0, stat=Deferred: 421 4.7.0 Try again later", 2)
    >>> ev.status, ev.code, ev.enhanced, ev.sender, ev.remote_host, ev.ts
    ('deferred', '421', '4.7.0', 'a@example.com', 'mx.example.org', '2024-11-29T00:00:10')

Choices where Sendmail's log is ambiguous:

* ``stat=Sent (text)``: Sendmail strips the reply's code (and enhanced code) before it logs
  the text, so ``code`` is null unless the text still holds a code with an enhanced code
  (Microsoft's "... Queued mail for delivery -> 250 2.1.5"); ``enhanced`` falls back to
  ``dsn=``.
* ``to=<a>,<b>`` (one delivery to several recipients): one event per recipient, as Postfix
  logs one line per recipient. A ``to=`` line without ``mailer=`` is no delivery: it names
  the recipients of a message refused, discarded or aborted while it was received
  (``srvrsmtp.c`` logundelrcpts()), whose refusal is its ``reject=`` line: ignored.
* ``<addr>... 550 5.1.1 text`` after a ``to=`` line is the remote server's reply to that
  delivery (the ``to=`` line gave the outcome): an event with the code and no status, so the
  outcome is counted once and the reply once. ``<addr>... User unknown`` (no code) is our
  refusal of a client's RCPT: Sendmail sends "550 5.1.1 ... User unknown"
  (``recipient.c``), so code 550 inferred; other texts there are refusals with no code.
* ``AUTH failure (MECH): ...``: Sendmail answers "535 5.7.0 authentication failed"
  (``srvrsmtp.c``), so code 535 inferred, stage auth, no status (no message was refused).
* ``EXPN/VRFY x [rejected]``: "502 5.7.0 Sorry, we do not allow this operation" (PRIV_NOEXPN
  / PRIV_NOVRFY in ``srvrsmtp.c``), inferred. ``rejecting commands from ... due to pre-greeting
  traffic``: greeting "554 ... not accepting messages" (``srvrsmtp.c`` greetcode), inferred.
* ``DSN: ...`` lines (Sendmail writing a bounce or delay notice) are not replies: ignored,
  except ``DSN: Cannot send message for N days``, the queue lifetime running out, which is
  the ``expired`` outcome.
* ``lost input channel``, ``did not issue MAIL/EXPN/VRFY/ETRN``, ``possible SMTP attack``,
  ``STARTTLS=``, ``SYSERR`` and daemon messages hold no reply: ignored.

The package: :mod:`.parser` (the parser), :mod:`.texts` (the shapes of Sendmail's lines and
what they name).
"""

from parsers.sendmail.parser import SendmailParser

__all__ = ["SendmailParser"]
