"""The bounded vocabularies of the contract: reply classes and categories (docs/design.md)."""

from __future__ import annotations

CLASSES: dict[str, str] = {
    "2": "success",
    "3": "intermediate",
    "4": "transient",
    "5": "permanent",
}

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


def class_of(code: str | None) -> str | None:
    """The reply class from a basic or enhanced code's first digit, or None.

    >>> class_of("451"), class_of("5.7.1"), class_of(None)
    ('transient', 'permanent', None)
    """
    if not code:
        return None
    return CLASSES.get(code[0])
