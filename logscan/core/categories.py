"""The bounded vocabularies of the contract: reply classes and categories (docs/design.md)."""

from __future__ import annotations

# The reply classes are SMTP's (logscan.core.smtp); they are named here too, with the categories,
# because together they are the contract's closed vocabularies of a verdict.
from logscan.core.smtp import CLASSES, ReplyClass, class_of

__all__ = ["CATEGORIES", "CATEGORY_SET", "CLASSES", "ReplyClass", "class_of"]

CATEGORIES: tuple[str, ...] = (
    "delivered",
    "info",
    "mailbox-unknown",
    "bad-address",
    "bad-domain",
    "dns-failure",
    "mailbox-full",
    "mailbox-disabled",
    "message-too-large",
    "relay-denied",
    "auth-required",
    "auth-failed",
    "tls-required",
    "blocklisted",
    "spam-rejected",
    "sender-auth-failed",
    "rate-limited",
    "greylisted",
    "policy-rejected",
    "service-unavailable",
    "server-error",
    "network",
    "routing",
    "protocol",
    "unknown",
)

CATEGORY_SET = frozenset(CATEGORIES)
