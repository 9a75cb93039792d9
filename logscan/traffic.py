"""Mail traffic for the ``logscan scan`` report: what pflogsumm shows, for every MTA.

A sink of events and of message notes (see :class:`logscan.event.MessageNote`) and a listener of
finished messages (:class:`logscan.messages.MessageTracker`). It sums:

* the time span of the log, messages received and their bytes (pflogsumm: smtpd ``client=`` and
  pickup lines; bytes from qmgr's ``size=``), deliveries (``status=sent``, forwards excluded, as
  pflogsumm does), deferrals, bounces, rejections, expiries and the bytes delivered;
* per recipient domain and per provider: deliveries, bytes, deferrals, bounces, average and
  maximal delay (the MTA's ``delay=``); per sender domain (or client host): messages and bytes;
* traffic per hour of the day and per day; top senders and recipients (count and bytes);
* bounce, deferral and reject detail, grouped by the reply text with addresses, numbers and
  hosts blanked out (:func:`normalise`), with category and direction;
* messages (not attempts) by final outcome, and their delivery delay.

Every table is bounded (``MAX_KEYS`` rows; past it new keys count under ``other``), so memory
does not grow with the log.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from logscan.event import ClassifiedEvent, MessageNote
from logscan.messages import DELIVERED, OUTCOMES, Finished

MAX_KEYS = 50_000
MAX_PENDING = 200_000
TOP = 25
OTHER = "other"
# Delivery delay buckets of the report (seconds), as the daemon's histogram.
DELAY_BUCKETS = (1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, 432000.0)

_ADDRESS = re.compile(r"<[^>]*>|\S+@\S+")
_IP = re.compile(r"\[?\b(?:\d{1,3}\.){3}\d{1,3}\b\]?(?::\d+)?|\[[0-9a-fA-F:]*:[0-9a-fA-F:]+\]")
_LONG_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{12,}\b")
_NUMBER = re.compile(r"\b\d+\b")


def normalise(text: str) -> str:
    """A reply text with what varies per message blanked out, so equal reasons group.

    >>> normalise("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
    '550 5.1.1 <addr>: Recipient address rejected: User unknown'
    >>> normalise("connect to mx.example.net[192.0.2.7]:25: Connection timed out")
    'connect to mx.example.net<ip>: Connection timed out'
    """
    text = _ADDRESS.sub("<addr>", text)
    text = _IP.sub("<ip>", text)
    text = _LONG_TOKEN.sub("<id>", text)
    head, sep, rest = text.partition(" ")
    if sep and len(head) == 3 and head.isdigit():  # keep the code; blank numbers after it
        head2, sep2, rest2 = rest.partition(" ")
        if sep2 and head2.count(".") == 2:
            return f"{head} {head2} {_NUMBER.sub('#', rest2)}"[:200]
        return f"{head} {_NUMBER.sub('#', rest)}"[:200]
    return _NUMBER.sub("#", text)[:200]


def domain_of(address: str | None) -> str:
    """The domain of an address, lower case; the address itself if it has none."""
    if not address:
        return "<>"
    at = address.rfind("@")
    return address[at + 1 :].lower() if at >= 0 else address.lower()


@dataclass
class Row:
    """One row of a per-domain or per-provider table."""

    delivered: int = 0
    bytes: int = 0
    deferred: int = 0
    bounced: int = 0
    delay_sum: float = 0.0
    delay_max: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        avg = self.delay_sum / self.delivered if self.delivered else 0.0
        return {
            "delivered": self.delivered,
            "bytes": self.bytes,
            "deferred": self.deferred,
            "bounced": self.bounced,
            "delay_avg": round(avg, 3),
            "delay_max": self.delay_max,
        }


def _bounded_key(table: dict[str, Any], key: str) -> str:
    return key if key in table or len(table) < MAX_KEYS else OTHER


@dataclass
class Traffic:
    """The sums; call it with events, :meth:`note` with notes, :meth:`finished` with messages."""

    first_ts: str | None = None
    last_ts: str | None = None
    totals: Counter[str] = field(default_factory=Counter)
    by_domain: dict[str, Row] = field(default_factory=dict)
    by_provider: dict[str, Row] = field(default_factory=dict)
    senders: dict[str, list[int]] = field(default_factory=dict)  # address -> [count, bytes]
    sender_domains: dict[str, list[int]] = field(default_factory=dict)
    recipients: dict[str, list[int]] = field(default_factory=dict)
    hourly: dict[int, Counter[str]] = field(default_factory=dict)
    daily: dict[str, Counter[str]] = field(default_factory=dict)
    detail: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    deferrals_before_delivery: Counter[int] = field(default_factory=Counter)
    delays: Counter[float] = field(default_factory=Counter)  # bucket bound (inf last) -> count
    delay_sum: float = 0.0
    delay_max: float = 0.0
    delay_count: int = 0
    # Messages received whose size qmgr has not told yet (pflogsumm's %rcvdMsg): id -> client.
    _pending: dict[tuple[str, str], str] = field(default_factory=dict)

    # -- input ------------------------------------------------------------------------------

    def _when(self, ts: str | None, what: str) -> None:
        if ts is None:
            return
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts
        hour = ts[11:13]
        if hour.isdigit():
            self.hourly.setdefault(int(hour), Counter())[what] += 1
        day = ts[:10]
        self.daily.setdefault(_bounded_key(self.daily, day), Counter())[what] += 1

    def note(self, n: MessageNote) -> None:
        key = (n.mta, n.queue_id)
        if n.kind == "received":
            self.totals["received"] += 1
            self._when(n.ts, "received")
            if n.size is None:  # Postfix: the size comes with qmgr's line
                if len(self._pending) >= MAX_PENDING:
                    del self._pending[next(iter(self._pending))]
                self._pending[key] = n.client or ""
            else:
                self._sender(n.sender, n.client or "", n.size)
        elif n.kind == "queued" and n.size is not None:
            client = self._pending.pop(key, None)
            if client is not None:
                self._sender(n.sender, client, n.size)

    def _sender(self, sender: str | None, client: str, size: int) -> None:
        self.totals["bytes_received"] += size
        address = sender if sender else "from=<>"
        dom = domain_of(sender) if sender and "@" in sender else _client_name(client) or address
        for table, key in ((self.senders, address), (self.sender_domains, dom)):
            row = table.setdefault(_bounded_key(table, key), [0, 0])
            row[0] += 1
            row[1] += size

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, verdict = item
        status = ev.status
        if status is None:
            return
        if status == "sent" and ev.text is not None and "forwarded as " in ev.text:
            self.totals["forwarded"] += 1
            return
        self.totals[status] += 1
        self._when(ev.ts, status)
        if ev.direction == "outbound" and status in ("sent", "deferred", "bounced"):
            self._delivery(item)
        if status != "sent":
            text = normalise(ev.text) if ev.text else "(no reply text)"
            key = (status, ev.direction, verdict.category, text)
            if key in self.detail or len(self.detail) < MAX_KEYS:
                self.detail[key] += 1
            else:
                self.detail[(status, ev.direction, verdict.category, OTHER)] += 1

    def _delivery(self, item: ClassifiedEvent) -> None:
        ev, verdict = item
        status = ev.status
        rows = [
            self.by_domain.setdefault(_bounded_key(self.by_domain, domain_of(ev.recipient)), Row())
        ]
        if verdict.provider is not None:
            rows.append(self.by_provider.setdefault(verdict.provider, Row()))
        size = ev.size or 0
        delay = ev.delay
        for row in rows:
            if status == "sent":
                row.delivered += 1
                row.bytes += size
                row.delay_sum += delay or 0.0
            elif status == "deferred":
                row.deferred += 1
            else:
                row.bounced += 1
            if delay is not None and status != "bounced" and delay > row.delay_max:
                row.delay_max = delay
        if status == "sent":
            self.totals["bytes_delivered"] += size
            address = (ev.recipient or "").lower()
            row2 = self.recipients.setdefault(_bounded_key(self.recipients, address), [0, 0])
            row2[0] += 1
            row2[1] += size

    def finished(self, f: Finished) -> None:
        self.outcomes[f.outcome] += 1
        if f.deferrals:
            self.totals["messages_deferred"] += 1
        if f.outcome in DELIVERED:
            self.deferrals_before_delivery[min(f.deferrals, 10)] += 1
            if f.delay is not None:
                self.delay_count += 1
                self.delay_sum += f.delay
                self.delay_max = max(self.delay_max, f.delay)
                bound = next((b for b in DELAY_BUCKETS if f.delay <= b), float("inf"))
                self.delays[bound] += 1

    # -- output -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The JSON form (``scan --format json``, key ``traffic``; README "Scan JSON")."""
        t = self.totals
        return {
            "span": {"first": self.first_ts, "last": self.last_ts},
            "totals": {
                "received": t["received"],
                "delivered": t["sent"],
                "forwarded": t["forwarded"],
                "deferrals": t["deferred"],
                "messages_deferred": t["messages_deferred"],
                "bounced": t["bounced"],
                "rejected": t["rejected"],
                "expired": t["expired"],
                "bytes_received": t["bytes_received"],
                "bytes_delivered": t["bytes_delivered"],
            },
            "messages": {
                "by_outcome": {o: self.outcomes[o] for o in OUTCOMES},
                "delivered_after_deferrals": {
                    (f"{n}+" if n == 10 else str(n)): c
                    for n, c in sorted(self.deferrals_before_delivery.items())
                },
                "delay": {
                    "count": self.delay_count,
                    "avg": round(self.delay_sum / self.delay_count, 3) if self.delay_count else 0,
                    "max": self.delay_max,
                    "buckets": {
                        ("+Inf" if b == float("inf") else f"{b:g}"): self.delays[b]
                        for b in (*DELAY_BUCKETS, float("inf"))
                    },
                },
            },
            "by_recipient_domain": _rows(self.by_domain),
            "by_provider": _rows(self.by_provider),
            "by_sender_domain": _pairs(self.sender_domains),
            "top_senders": _pairs(self.senders, TOP),
            "top_recipients": _pairs(self.recipients, TOP),
            "hourly": [{"hour": h, **_activity(self.hourly.get(h, Counter()))} for h in range(24)],
            "daily": [{"day": d, **_activity(c)} for d, c in sorted(self.daily.items())],
            "detail": [
                {"status": s, "direction": d, "category": c, "text": text, "count": n}
                for (s, d, c, text), n in sorted(
                    self.detail.items(), key=lambda kv: (-kv[1], kv[0])
                )[:200]
            ],
        }


def _activity(c: Counter[str]) -> dict[str, int]:
    return {k: c[k] for k in ("received", "sent", "deferred", "bounced", "rejected")}


def _rows(table: dict[str, Row]) -> list[dict[str, Any]]:
    ranked = sorted(table.items(), key=lambda kv: (-kv[1].delivered - kv[1].deferred, kv[0]))
    return [{"name": name, **row.as_dict()} for name, row in ranked]


def _pairs(table: dict[str, list[int]], top: int | None = None) -> list[dict[str, Any]]:
    ranked = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [{"name": k, "count": v[0], "bytes": v[1]} for k, v in ranked[:top]]


def _client_name(client: str) -> str | None:
    """pflogsumm's gimme_domain for a client ``host[ip]``: the host's domain, else the ip."""
    host, _, ip = client.partition("[")
    ip = ip.rstrip("]")
    if host and host != "unknown":
        parts = host.lower().split(".")
        return ".".join(parts[-2:]) if len(parts) > 2 else host.lower()
    return ip or None
