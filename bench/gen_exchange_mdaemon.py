#!/usr/bin/env python3
"""Generate realistic Exchange and MDaemon logs for the parser benchmark (standard library only).

    python3 bench/gen_exchange_mdaemon.py --format tracking --lines 200000 --seed 1 > MSGTRK.LOG
    python3 bench/gen_exchange_mdaemon.py --format send     --lines 200000 > SEND.LOG
    python3 bench/gen_exchange_mdaemon.py --format receive  --lines 200000 > RECV.LOG
    python3 bench/gen_exchange_mdaemon.py --format mdaemon  --lines 200000 > MDaemon-SMTP-all.log

Protocol and MDaemon sessions run concurrently (up to 24 open at once), so their lines interleave
as on a busy server; MDaemon lines carry "[session:child]" ID strings for that reason. Tracking
lines mix RECEIVE, AGENTINFO, DELIVER, SEND, DEFER, FAIL and DSN with one to four recipients.
Output is identical for the same arguments.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Callable, Iterator

TRACKING_FIELDS = (
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "network-message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
    "transport-traffic-type",
    "log-id",
    "schema-version",
)
PROTOCOL_FIELDS = (
    "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,"
    "context"
)
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "fabrikam.example", "partner.example", "web.de")
RCPT_REPLIES = (
    ("250 2.1.5 Recipient OK", 80),
    ("550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table", 8),
    ("452 4.2.2 <{r}>: Recipient address rejected: Mailbox full", 3),
    ("450 4.7.1 <{r}>: Recipient address rejected: Greylisted, see https://postgrey.example", 5),
    ("550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent (S3150)", 4),
)
FAILS = (
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
    "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org",
)
DEFERS = (
    "451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
    '[{LED=451 4.4.0 Primary target IP address responded with: "421 4.4.2 Connection dropped '
    'due to SocketError."};{MSG=};{FQDN=mx.fabrikam.example};{IP=203.0.113.25};{LRT=}]',
)


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def address(rng: random.Random) -> str:
    return f"{rng.choice(USERS)}{rng.randrange(100)}@{rng.choice(DOMAINS)}"


def csv_line(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(row)
    return buf.getvalue()


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def tick(self, rng: random.Random) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=rng.randrange(1, 40))
        return self.now

    def iso(self, rng: random.Random) -> str:
        return self.tick(rng).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tracking(rng: random.Random, clock: Clock) -> Iterator[str]:
    yield "#Software: Microsoft Exchange Server"
    yield "#Version: 15.01.2507.006"
    yield "#Log-type: Message Tracking Log"
    yield "#Date: " + clock.iso(rng)
    yield "#Fields: " + ",".join(TRACKING_FIELDS)
    msg = 1000
    while True:
        msg += 1
        rcpts = [address(rng) for _ in range(rng.choice((1, 1, 1, 2, 3, 4)))]
        sender = address(rng)
        for event in (
            "RECEIVE",
            "AGENTINFO",
            rng.choice(("SEND", "SEND", "DELIVER", "DEFER", "FAIL")),
        ):
            status = ""
            if event == "SEND":
                status = ";".join("250 2.1.5 Recipient OK" for _ in rcpts)
            elif event == "FAIL":
                status = ";".join(rng.choice(FAILS) for _ in rcpts)
            elif event == "DEFER":
                status = ";".join(rng.choice(DEFERS) for _ in rcpts)
            row = dict.fromkeys(TRACKING_FIELDS, "")
            row.update(
                {
                    "date-time": clock.iso(rng),
                    "client-ip": "10.0.0.5",
                    "client-hostname": "EX01",
                    "server-ip": "203.0.113.25",
                    "server-hostname": "mx.fabrikam.example",
                    "source-context": f"08DC4262A1B2{msg:04X};250 2.0.0 OK"
                    if event == "SEND"
                    else "",
                    "connector-id": "Internet Send Connector",
                    "source": "AGENT" if event == "AGENTINFO" else "SMTP",
                    "event-id": event,
                    "internal-message-id": str(msg),
                    "message-id": f"<{msg}@contoso.example>",
                    "recipient-address": ";".join(rcpts),
                    "recipient-status": status,
                    "total-bytes": str(rng.randrange(1000, 90000)),
                    "recipient-count": str(len(rcpts)),
                    "message-subject": "Re: quarterly figures, draft",
                    "sender-address": sender,
                    "return-path": sender,
                    "directionality": "Originating",
                    "transport-traffic-type": "Email",
                    "schema-version": "15.01.2507.006",
                }
            )
            yield csv_line(list(row.values()))
        if rng.random() < 0.1:
            row = dict.fromkeys(TRACKING_FIELDS, "")
            row.update({"date-time": clock.iso(rng), "source": "DSN", "event-id": "DSN"})
            yield csv_line(list(row.values()))


def smtp_dialogue(rng: random.Random, inbound: bool) -> Iterator[tuple[str, str]]:
    """(who, text) turns of one session: who is "client" or "server"."""
    yield "server", "220 mx.example ESMTP ready"
    yield "client", "EHLO client.example"
    for cap in ("250-mx.example Hello", "250-SIZE 36700160", "250-PIPELINING", "250 CHUNKING"):
        yield "server", cap
    if inbound and rng.random() < 0.1:
        yield "client", "AUTH LOGIN"
        yield "server", "334 <authentication response>"
        yield "server", "535 5.7.3 Authentication unsuccessful"
        yield "client", "QUIT"
        yield "server", "221 2.0.0 Service closing transmission channel"
        return
    yield "client", f"MAIL FROM:<{address(rng)}>"
    yield "server", "250 2.1.0 Sender OK"
    ok = 0
    for _ in range(rng.choice((1, 1, 2, 3))):
        rcpt = address(rng)
        yield "client", f"RCPT TO:<{rcpt}>"
        reply = pick(rng, RCPT_REPLIES).format(r=rcpt)
        ok += reply.startswith("250")
        yield "server", reply
    if ok:
        yield "client", "DATA"
        yield "server", "354 Start mail input; end with <CRLF>.<CRLF>"
        yield "server", "250 2.6.0 Queued mail for delivery"
    yield "client", "QUIT"
    yield "server", "221 2.0.0 Bye"


def interleave(rng: random.Random, start_session: Callable[[int], Iterator[str]]) -> Iterator[str]:
    open_sessions: list[Iterator[str]] = []
    n = 0
    while True:
        while len(open_sessions) < 24:
            n += 1
            open_sessions.append(start_session(n))
        i = rng.randrange(len(open_sessions))
        line = next(open_sessions[i], None)
        if line is None:
            open_sessions.pop(i)
        else:
            yield line


def protocol(rng: random.Random, clock: Clock, kind: str) -> Iterator[str]:
    inbound = kind == "receive"
    yield "#Software: Microsoft Exchange Server"
    yield "#Version: 15.1.2507.6"
    yield f"#Log-type: SMTP {'Receive' if inbound else 'Send'} Protocol Log"
    yield "#Date: " + clock.iso(rng)
    yield "#Fields: " + PROTOCOL_FIELDS

    def session(n: int) -> Iterator[str]:
        sid = f"08DC4270{n:08X}"
        local, remote = "10.0.0.5:25", f"198.51.100.{n % 250}:{40000 + n % 20000}"
        seq = 0

        def line(event: str, data: str = "", context: str = "") -> str:
            nonlocal seq
            seq += 1
            row = [clock.iso(rng), "EX01\\Default EX01", sid, str(seq), local, remote]
            return csv_line([*row, event, data, context])

        yield line("+")
        yield line("*", "SMTPSubmit SMTPAcceptAnySender", "Set Session Permissions")
        for who, text in smtp_dialogue(rng, inbound):
            sent = (who == "server") == inbound
            yield line(">" if sent else "<", text)
        yield line("-", "", "Local")

    yield from interleave(rng, session)


def mdaemon(rng: random.Random, clock: Clock) -> Iterator[str]:
    def stamp() -> str:
        t = clock.tick(rng)
        return t.strftime("%a %Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"

    def session(n: int) -> Iterator[str]:
        inbound = n % 2 == 0
        tag = f"[{n}:{n % 7}]"
        yield f"{stamp()}: {tag} Session {n}; child {n % 7:04d}"
        if inbound:
            client = f"[198.51.100.{n % 250}:5{n % 9999}]"
            yield f"{stamp()}: {tag} Accepting SMTP connection from {client} to [192.0.2.10:25]"
        else:
            yield f"{stamp()}: {tag} Parsing message <c:\\mdaemon\\queues\\remote\\pd5{n:011d}.msg>"
            yield f"{stamp()}: {tag} *  To: {address(rng)}"
            yield f"{stamp()}: {tag} Attempting SMTP connection to [mx.fabrikam.example:25]"
            if rng.random() < 0.05:
                yield f"{stamp()}: {tag} *  Name server reports domain name unknown"
                yield f"{stamp()}: {tag} SMTP session terminated (Bytes in/out: 0/0)"
                return
            link = "(192.0.2.10:50122 -> 203.0.113.25:25)"
            yield f"{stamp()}: {tag} *  Connection established {link}"
        for who, text in smtp_dialogue(rng, inbound):
            sent = (who == "server") == inbound
            yield f"{stamp()}: {tag} {'-->' if sent else '<--'} {text}"
        yield f"{stamp()}: {tag} SMTP session successful (Bytes in/out: 1022/10811)"

    yield from interleave(rng, session)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", choices=("tracking", "send", "receive", "mdaemon"), required=True)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    clock = Clock(dt.datetime(2024, 3, 12, 8, 0, 0))
    gen = {
        "tracking": lambda: tracking(rng, clock),
        "send": lambda: protocol(rng, clock, "send"),
        "receive": lambda: protocol(rng, clock, "receive"),
        "mdaemon": lambda: mdaemon(rng, clock),
    }[args.format]()
    out = sys.stdout
    for _, line in zip(range(args.lines), gen, strict=False):
        out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
