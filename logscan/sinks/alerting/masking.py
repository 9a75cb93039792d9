"""Mask personal data in a sample log line before it leaves the host in an alert.

Addresses keep their first character and domain, IPs keep their network half, so the on-call
engineer still sees which domain or network is involved::

    >>> mask_text("550 5.1.1 <alice@example.com>: from 192.0.2.17 via 2001:db8:5::25")
    '550 5.1.1 <a***@example.com>: from 192.0.x.x via 2001:db8:x:x'
"""

from __future__ import annotations

import ipaddress
import re

_EMAIL = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}(?![\w.])")
# Candidates only: ipaddress decides (a time such as 00:17:48 is not an IPv6 address).
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:.])")


def _mask_email(m: re.Match[str]) -> str:
    return f"{m.group(1)[0]}***@{m.group(2)}"


def _mask_ipv4(m: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(m.group(0))
    except ValueError:
        return m.group(0)  # a version number or a dotted id, not an address
    return f"{m.group(1)}.{m.group(2)}.x.x"


def _mask_ipv6(m: re.Match[str]) -> str:
    try:
        addr = ipaddress.IPv6Address(m.group(0))
    except ValueError:
        return m.group(0)
    first, second = addr.exploded.split(":")[:2]
    return f"{int(first, 16):x}:{int(second, 16):x}:x:x"


def mask_text(text: str) -> str:
    """``text`` with e-mail addresses, IPv4 and IPv6 addresses masked."""
    text = _EMAIL.sub(_mask_email, text)
    text = _IPV4.sub(_mask_ipv4, text)
    return _IPV6.sub(_mask_ipv6, text)
