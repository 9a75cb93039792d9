"""Fixtures the unit tests share: the built-in classifier and each MTA's parsed corpus
(``tests/data/<mta>/``), made once per session (parsing a corpus takes a second or so)."""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from parsers.exim import EximParser
from parsers.mdaemon import MDaemonParser
from parsers.postfix import PostfixParser
from parsers.sendmail import SendmailParser
from tests.helpers.mta_corpus import ParsedLine, parse_corpus


@pytest.fixture(scope="session")
def clf() -> Classifier:
    """The classifier of the built-in rules."""
    return Classifier.load()


@pytest.fixture(scope="session")
def postfix() -> list[ParsedLine]:
    return parse_corpus(PostfixParser, "postfix")


@pytest.fixture(scope="session")
def exim() -> list[ParsedLine]:
    return parse_corpus(EximParser, "exim")


@pytest.fixture(scope="session")
def sendmail() -> list[ParsedLine]:
    return parse_corpus(SendmailParser, "sendmail")


@pytest.fixture(scope="session")
def mdaemon() -> list[ParsedLine]:
    return parse_corpus(MDaemonParser, "mdaemon")
