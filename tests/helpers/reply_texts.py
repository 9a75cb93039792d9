"""Tables of documented reply texts (providers, gateways, server software): one row per text
with its source, and the classifier's verdict of a text as a parser would hand it over."""

from __future__ import annotations

from typing import NamedTuple

from logscan.classify.classifier import Classifier
from logscan.core.event import Verdict
from logscan.parsing.reply import parse_reply


class ReplyText(NamedTuple):
    """A documented text and what it means: ``provider`` None where the text alone names none."""

    source: str
    text: str
    category: str
    provider: str | None = None


def verdict_of(clf: Classifier, text: str) -> Verdict:
    """The verdict of a whole reply (code, enhanced code and text read from it)."""
    reply = parse_reply(text)
    return clf.classify(reply.code, reply.enhanced, reply.text)
