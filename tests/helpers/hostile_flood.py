"""Hostile but valid Postfix delivery lines: what a remote host that wants to blow up our label
sets can make our MTA log (any reply code, enhanced codes spelt with leading zeros, any text,
any blocklist name, relays under every provider's domain and under junk ones)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from logscan.classify.classifier import Classifier

TEXTS = (
    "Recipient address rejected: User unknown",
    "Mailbox full",
    "Service unavailable; Client host [192.0.2.{n}] blocked using {junk}.bl.example",
    "Service unavailable; Client host [192.0.2.{n}] blocked using zen.spamhaus.org",
    "Too many connections, slow down",
    "Greylisted, please try again later",
    "Message rejected as spam {n}",
    "TLS required {n}",
    "Authentication required",
    "{junk} {n} whatever the remote host likes to say",
)


def _spell(number: int, rng: random.Random) -> str:
    """``number`` with 0 to 2 leading zeros (still a valid code part of at most three digits)."""
    text = str(number)
    return "0" * rng.randint(0, 3 - len(text)) + text


def hostile_postfix_lines(n: int, seed: int = 11) -> Iterator[str]:
    """``n`` Postfix ``smtp`` delivery lines, each one outbound event (bounced or deferred)."""
    rng = random.Random(seed)
    suffixes = [s for s, _ in Classifier.load().signatures.hosts.suffixes]
    for i in range(n):
        status = rng.choice(("bounced", "deferred"))
        code = str(rng.randint(200, 599))
        subject, detail = _spell(rng.randint(0, 9), rng), _spell(rng.randint(0, 30), rng)
        enhanced = f"{rng.choice('245')}.{subject}.{detail}"
        junk = f"j{rng.randrange(10**6)}"
        text = rng.choice(TEXTS).format(n=rng.randint(1, 254), junk=junk)
        host = f"mx{i % 7}{rng.choice(suffixes)}" if rng.random() < 0.7 else f"mx.{junk}.example"
        yield (
            f"Nov 29 05:42:49 mta postfix/smtp[25507]: {0xA0000 + i:X}: to=<u{i}@dest.test>, "
            f"relay={host}[192.0.2.1]:25, delay=0.03, delays=0.01/0/0/0.01, dsn={enhanced}, "
            f"status={status} (host {host}[192.0.2.1] said: {code} {enhanced} {text} "
            "(in reply to RCPT TO command))"
        )
