"""Exim before 4.80 or so named the remote host after the command, not as H= ("SMTP error from
remote mail server after MAIL FROM:<x>: host mx [ip]: 421 ..."): a reply logged for the host
alone, outside a ** or == line, keeps its host, and so its provider (found by the audit)."""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, find_line, only_event


@pytest.mark.parametrize(
    ("file_name", "needle", "host", "ip", "provider"),
    [
        (
            "aminer-tests-cpanel-guide-exim.log",
            "[GL01] Message from",
            "mta5.am0.yahoodns.net",
            "66.196.118.240",
            "yahoo",
        ),
        (
            "ossec-docs-exim-log-samples-2006.log",
            "The Gmail user you are trying to contact",
            "gmail-smtp-in.l.google.com",
            "1.1.1.1",
            "google",
        ),
    ],
)
def test_a_host_reply_in_the_old_form_keeps_its_host_and_provider(
    clf: Classifier,
    exim: list[ParsedLine],
    file_name: str,
    needle: str,
    host: str,
    ip: str,
    provider: str,
) -> None:
    ev = only_event(find_line(exim, file_name, needle))
    assert (ev.direction, ev.remote_host, ev.remote_ip) == ("outbound", host, ip), ev
    assert clf.classify_event(ev).verdict.provider == provider
