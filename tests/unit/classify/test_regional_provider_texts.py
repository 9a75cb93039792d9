"""Reply texts of regional mailbox providers (issue 12, ninth round), one row per text with
its source key (tests/data/SOURCES.md, "Collected for issue 12, ninth round").

Scored blind first with `logscan explain`; the category is the one a postmaster reads from the
provider's own explanation. ``provider`` is asserted only where the text names the provider
(Spectrum's AUP#I codes); None means the remote host, not the text, names it.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.reply_texts import ReplyText as Row
from tests.helpers.reply_texts import verdict_of

SPECTRUM = "spectrum.net understanding-email-error-codes (rebuilt)"
SPECTRUM_URL = (
    "Please see https://www.spectrum.net/support/internet/understanding-email-error-codes "
    "for more information."
)
IUA = "mail.i.ua/err/<code> via sisimai lib/Sisimai/Rhost/IUA.pm (rebuilt)"
DOCOMO = "sisimai lib/Sisimai/Rhost/NTTDOCOMO.pm"


def spectrum(prefix: str, code: int, category: str) -> Row:
    return Row(SPECTRUM, f"{prefix} {SPECTRUM_URL} AUP#I-{code}", category, "charter")


ROWS = [
    # Spectrum (Charter, TWC, Roadrunner): the inbound AUP#I code table
    spectrum("554 5.7.1 Connection refused.", 1000, "blocklisted"),
    Row(
        "suped.com AUP#I-1010 (Email Geeks, 2024)",
        "554 dnvrco-cmimta15 esmtp ESMTP server not available AUP#I-1010",
        "policy-rejected",
        "charter",
    ),
    spectrum("550 5.1.0 sender rejected.", 1020, "policy-rejected"),
    spectrum("451 4.3.0 Temporary failure.", 1090, "server-error"),
    spectrum("550 5.7.1 DNS check failed.", 1100, "sender-auth-failed"),
    spectrum("550 5.7.1 Policy violation.", 1160, "policy-rejected"),
    spectrum("554 5.7.1 IP listed.", 1200, "blocklisted"),
    spectrum("554 5.7.1 IP listed.", 1220, "blocklisted"),
    spectrum("550 5.7.1 IPv6 not accepted.", 1260, "policy-rejected"),
    spectrum("421 4.7.0 Too many connections.", 1310, "rate-limited"),
    spectrum("452 4.5.3 Too many messages.", 1350, "rate-limited"),
    spectrum("552 5.3.4 Message too large.", 1530, "message-too-large"),
    spectrum("452 4.5.3 Too many messages in session.", 1540, "rate-limited"),
    spectrum("550 5.5.3 Too many recipients.", 1550, "rate-limited"),
    spectrum("550 5.1.1 Too many invalid recipients.", 1560, "rate-limited"),
    spectrum("550 5.7.1 Too many recipients.", 1580, "rate-limited"),
    # NTT docomo (Japan)
    Row(DOCOMO, "552 too many recipients", "rate-limited", None),
    Row(DOCOMO, "503 bad sequence of commands", "protocol", None),
    Row(DOCOMO, "504 command parameter not implemented", "protocol", None),
    # KDDI au (Japan)
    Row(
        "sisimai lib/Sisimai/Rhost/KDDI.pm",
        "550 <user@ezweb.ne.jp>: User unknown",
        "mailbox-unknown",
        None,
    ),
    # i.ua (Ukraine)
    Row(
        "sisimai lib/Sisimai/Rhost/IUA.pm",
        "550 Mailbox is frozen. See http://mail.i.ua/err/3/",
        "mailbox-disabled",
        None,
    ),
    *(
        Row(IUA, f"550 See http://mail.i.ua/err/{code}/", category, None)
        for code, category in [
            (1, "relay-denied"),
            (2, "mailbox-unknown"),
            (4, "mailbox-full"),
            (5, "rate-limited"),
            (6, "relay-denied"),
            (7, "policy-rejected"),
            (9, "blocklisted"),
            (10, "policy-rejected"),
        ]
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[-60:])
def test_regional_provider_reply_text(clf: Classifier, row: Row) -> None:
    verdict = verdict_of(clf, row.text)
    assert (verdict.category, verdict.provider) == (row.category, row.provider), verdict.rule
