"""Masking of sample lines: addresses and IPs hidden, everything else kept."""

from __future__ import annotations

import pytest

from logscan.sinks.alerting.masking import mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to=<alice@example.com>", "to=<a***@example.com>"),
        ("from=<bob.smith+tag@mail.example.org>,", "from=<b***@mail.example.org>,"),
        ("Client host [198.51.100.25] blocked", "Client host [198.51.x.x] blocked"),
        ("relay=mx.example[2607:f8b0:400e:c04::1b]:25", "relay=mx.example[2607:f8b0:x:x]:25"),
        ("from [::ffff:192.0.2.1]", "from [::ffff:192.0.x.x]"),
        # not addresses: times, versions, enhanced codes, dotted ids
        ("at 00:17:48 code 5.7.1", "at 00:17:48 code 5.7.1"),
        ("version 1.2.3.4.5 and 999.1.1.1", "version 1.2.3.4.5 and 999.1.1.1"),
        ("qc12si8475009pab.211 - gsmtp", "qc12si8475009pab.211 - gsmtp"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_no_address_or_ip_survives_in_a_real_reply() -> None:
    reply = (
        "host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 "
        "[203.0.113.10 12] Our system has detected that this message is likely unsolicited "
        "mail; sender <news@shop.example> recipient <carol@gmail.com>"
    )
    out = mask_text(reply)
    for secret in ("203.0.113.10", "news@", "carol@", "c04::1b"):
        assert secret not in out
    assert "gmail-smtp-in.l.google.com" in out and "550-5.7.1" in out
