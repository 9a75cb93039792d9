"""Reply texts grouped by what they say: one normalisation for the report's detail and gaps."""

from __future__ import annotations

import pytest

from logscan.sinks.report.normalised_text import Normaliser, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "451 4.7.1 <bob@example.com>: try 192.0.2.7 in 300 s (id 3F2A1B4C9D)",
            "451 4.7.1 <addr>: try <ip> in <n> s (id <id>)",
        ),
        ("421 host [2001:db8::25] busy", "421 host [<ip>] busy"),
        ("deferred 10HmaX-000000005vi-0000 again", "deferred <id> again"),
        ("retry timeout exceeded", "retry timeout exceeded"),
        ("550-5.7.1  two   spaces", "550-5.7.1 two spaces"),
        # A port after a host is a number, not an IPv6 address; a time is three numbers.
        (
            "connect to mx.example.net[192.0.2.7]:25: Connection timed out",
            "connect to mx.example.net[<ip>]:<n>: Connection timed out",
        ),
        ("greylisted until 10:17:48", "greylisted until <n>:<n>:<n>"),
        ("from [::1] and 2001:db8::1", "from [<ip>] and <ip>"),
        (
            "450 4.1.8 <x@no.example>: Sender address rejected",
            "450 4.1.8 <addr>: Sender address rejected",
        ),
        ("bare bob@example.com said no", "bare <addr> said no"),
    ],
)
def test_normalise_masks_what_varies_and_keeps_codes(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_the_memo_is_bounded_and_answers_as_normalise() -> None:
    n = Normaliser(max_texts=3)
    texts = [f"451 try again in {i} s" for i in range(10)]
    assert [n(t) for t in texts] == [normalise(t) for t in texts]
    assert n(texts[-1]) == "451 try again in <n> s"
    assert len(n._memo) <= 3
