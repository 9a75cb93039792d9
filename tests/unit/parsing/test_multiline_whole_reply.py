"""A multi-line reply is classified on its whole text, in every parser that sees its lines.

The reply is the one issue 12 names (an MDaemon server's rate limit): only its first line says
what happened, its last line ("Please try again later.") says nothing, and it has no enhanced
code, so only the whole text can give ``rate-limited``. Each parser gets it in the shape its MTA
logs a multi-line reply: Postfix joins the lines with spaces, Exim with ``\\n`` inside one log
line, Exchange's protocol log and MDaemon's session log give one line each. Sendmail is absent:
no Sendmail log in the project's corpus shows how its ``stat=`` renders a multi-line reply.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline

FIRST = "451-The server has reached its limit for processing requests from your host."
LAST = "451 Please try again later."

LOGS = {
    "postfix": [
        "Mar 12 10:00:00 mx postfix/smtp[124]: 4F1A2B3C4D: to=<b@example.net>, "
        "relay=mx.example.net[192.0.2.7]:25, delay=0.1, delays=0/0/0.1/0, dsn=4.0.0, "
        f"status=deferred (host mx.example.net[192.0.2.7] said: {FIRST} {LAST} "
        "(in reply to RCPT TO command))",
    ],
    "exim": [
        "2024-03-12 10:00:00 1rKxyz-0001AJ-CD == b@example.net R=dnslookup T=remote_smtp "
        "defer (-44) H=mx.example.net [192.0.2.7]: SMTP error from remote mail server after "
        f"RCPT TO:<b@example.net>: {FIRST}\\n{LAST}",
    ],
    "exchange": [
        "#Software: Microsoft Exchange Server",
        "#Log-type: SMTP Send Protocol Log",
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        "remote-endpoint,event,data,context",
        "2024-03-12T08:00:00.100Z,Internet,08DC1,1,10.0.0.5:1000,192.0.2.7:25,<,220 mx ESMTP,",
        "2024-03-12T08:00:00.200Z,Internet,08DC1,2,10.0.0.5:1000,192.0.2.7:25,>,"
        "RCPT TO:<b@example.net>,",
        f"2024-03-12T08:00:00.300Z,Internet,08DC1,3,10.0.0.5:1000,192.0.2.7:25,<,{FIRST},",
        f"2024-03-12T08:00:00.300Z,Internet,08DC1,4,10.0.0.5:1000,192.0.2.7:25,<,{LAST},",
        "2024-03-12T08:00:00.400Z,Internet,08DC1,5,10.0.0.5:1000,192.0.2.7:25,-,,Local",
    ],
    "mdaemon": [
        "Thu 2019-02-07 11:10:18.554: 03: [183789] Session 183789; child 1",
        "Thu 2019-02-07 11:10:18.554: 03: [183789] Attempting SMTP connection to [192.0.2.7:25]",
        "Thu 2019-02-07 11:10:18.600: 03: [183789] <-- 220 mx.example.net ESMTP",
        "Thu 2019-02-07 11:10:18.700: 03: [183789] --> RCPT To:<b@example.net>",
        f"Thu 2019-02-07 11:10:18.900: 03: [183789] <-- {FIRST}",
        f"Thu 2019-02-07 11:10:18.900: 03: [183789] <-- {LAST}",
        "Thu 2019-02-07 11:10:19.100: 03: [183789] SMTP session terminated (Bytes in/out: 1/2)",
    ],
}


@pytest.mark.parametrize("mta", sorted(LOGS))
def test_the_first_line_of_a_multiline_reply_decides_the_category(mta: str) -> None:
    out: list[ClassifiedEvent] = []
    parser = Registry.load().get(mta)(path="mail.log")
    pipe = Pipeline("mail.log", parser, Classifier.load(), [out.append])
    for lineno, line in enumerate(LOGS[mta], 1):
        pipe.feed(line, lineno)
    pipe.flush()
    [(ev, verdict)] = [(e, v) for e, v in out if e.code == "451"]
    assert ev.status == "deferred"
    assert ev.text is not None and "reached its limit" in ev.text and "try again later" in ev.text
    assert verdict.category == "rate-limited"
