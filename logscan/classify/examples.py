"""Signature ``examples`` checked against the rules, as fail2ban checks its filters' samples.

A signature may carry sample reply texts (``examples``); each must be decided by that signature:
its category (and the verdict's rule), the provider its text names, the blocklist it names. The
built-in rules are held to this by the tests; ``logscan check-config`` holds operators' rule
directories (and the built-ins) to it too::

    >>> from logscan.classify.classifier import Classifier
    >>> example_misses(Classifier.load())
    []
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from logscan.classify.classifier import Classifier
from logscan.classify.signature import Signature
from logscan.parsing.reply import parse_reply


@dataclass(frozen=True)
class ExampleMiss:
    """An example its signature does not decide: where it is and what decided instead."""

    signature: Signature
    text: str
    problem: str

    def __str__(self) -> str:
        sig = self.signature
        return f"{sig.origin}: signature {sig.id!r}: example {self.text!r}: {self.problem}"


def example_misses(
    clf: Classifier, signatures: Iterable[Signature] | None = None
) -> list[ExampleMiss]:
    """Every example of ``signatures`` (default: all the classifier's) that its own signature
    does not decide."""
    sigs = clf.signatures.ordered if signatures is None else signatures
    return [miss for sig in sigs for text in sig.examples for miss in _misses(clf, sig, text)]


def _misses(clf: Classifier, sig: Signature, text: str) -> list[ExampleMiss]:
    code, enhanced, _ = parse_reply(text)
    # An example of a signature for one MTA's own replies is such a reply.
    writer = sig.written_by
    hit, _provider = clf.signatures.match(code, enhanced, text, None, writer)
    verdict = clf.classify(code, enhanced, text, writer=writer)
    out: list[str] = []
    if sig.category is not None:
        if hit.category is not sig or verdict.rule != f"signature:{sig.id}":
            got = hit.category.id if hit.category else None
            out.append(f"category decided by {got}")
        elif verdict.category != sig.category:
            out.append(f"verdict {verdict.category}")
    # The provider is named by the text: by this signature or an earlier one naming the same.
    if (
        sig.provider is not None
        and sig.when_provider is None
        and (hit.provider is None or hit.provider.provider != sig.provider)
    ):
        got = hit.provider.id if hit.provider else None
        out.append(f"provider decided by {got}")
    names_list = sig.blocklist is not None or sig.captures_list()
    if names_list and hit.blocklist is not sig:
        got = hit.blocklist.id if hit.blocklist else None
        out.append(f"blocklist decided by {got}")
    return [ExampleMiss(sig, text, problem) for problem in out]
