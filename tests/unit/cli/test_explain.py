"""`logscan explain`, run as the real command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LOGSCAN = [sys.executable, "-m", "logscan"]


def explain(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*LOGSCAN, "explain", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_code_pair_plain_output_says_class_category_meaning_action() -> None:
    out = explain("550", "5.1.1")
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "permanent" in text
    assert "Category:   mailbox-unknown" in text
    assert "Meaning:" in text and "What to do:" in text


def test_whole_reply_names_the_blocklist() -> None:
    reply = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
    out = explain("--json", reply)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["code"] == "554"
    assert answer["enhanced"] == "5.7.1"
    assert answer["class"] == "permanent"
    assert answer["category"] == "blocklisted"
    assert answer["blocklist"] == "zen.spamhaus.org"
    for key in ("provider", "meaning", "action"):
        assert key in answer


@pytest.mark.parametrize(
    ("reply", "provider"),
    [
        # Google's wordings (support.google.com/a/answer/3726730), no gsmtp suffix, no host.
        ("550-5.7.1 Gmail has detected that this message is likely unsolicited mail.", "google"),
        ("550 5.1.1 The email account that you tried to reach does not exist.", "google"),
        (
            "421-4.7.28 Our system has detected an unusual rate of unsolicited mail "
            "originating from your IP address.",
            "google",
        ),
        (
            "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to "
            "unexpected volume or user complaints",
            "yahoo",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact "
            "your Internet service provider since part of their network is on our block list "
            "(S3150).",
            "microsoft",
        ),
        ("550 5.7.1 Access denied, banned sending IP [192.0.2.1]", "microsoft"),
    ],
)
def test_a_providers_own_wording_names_the_provider(reply: str, provider: str) -> None:
    out = explain("--json", reply)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["provider"] == provider


def test_stdin_gives_one_answer_per_line_and_flags_bad_lines() -> None:
    lines = b"550 5.1.1 no such user\n\xff\xfe garbage\n\n5.7.1\n"
    out = explain("--json", "-", stdin=lines)
    assert out.returncode == 2
    answers = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(answers) == 4
    assert answers[0]["category"] == "mailbox-unknown"
    assert "not valid UTF-8" in answers[1]["error"]
    assert "line 3" in answers[2]["error"]
    assert answers[3]["enhanced"] == "5.7.1"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((b"",), None, b"empty input"),
        ((b"qwzx florp",), None, b"no reply code"),
        ((b"550 \xff\xfe user",), None, b"not valid UTF-8"),
        ((b"999",), None, b"no reply code"),
        ((b"-",), b"550 " + b"x" * (1024 * 1024) + b"\n", b"too long"),
    ],
    ids=["empty", "garbage", "invalid-utf8", "unknown-code", "one-megabyte-line"],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    args: tuple[bytes, ...], stdin: bytes | None, message: bytes
) -> None:
    out = subprocess.run(
        [*(a.encode() for a in LOGSCAN), b"explain", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert message in out.stderr
    assert b"Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("reply", "category"),
    [
        # Exchange and Exchange Online wordings (Microsoft Learn NDR pages).
        ("451 4.7.0 Temporary server error. Please try again later. PRX5", "server-error"),
        (
            "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client "
            "to support TLS 1.2.",
            "tls-required",
        ),
        (
            "554 5.2.0 STOREDRV.Deliver.Exception:QuotaExceededException."
            "MapiExceptionShutoffQuotaExceeded",
            "mailbox-full",
        ),
        (
            "550 5.7.750 Service unavailable. Client blocked from sending from unregistered "
            "domains.",
            "policy-rejected",
        ),
    ],
)
def test_exchange_wordings(reply: str, category: str) -> None:
    out = explain("--json", reply)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["category"] == category
