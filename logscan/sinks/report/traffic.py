"""Mail traffic for the ``logscan scan`` report: what pflogsumm shows, for every MTA.

A sink of events and a listener of finished messages
(:class:`logscan.sinks.messages.MessageTracker`,
which tells each message's arrival, sender and size). It sums:

* the time span of the log, messages received and their bytes (pflogsumm: smtpd ``client=`` and
  pickup lines; bytes from qmgr's ``size=``), deliveries (``status=sent``, forwards excluded, as
  pflogsumm does), deferrals, bounces, rejections, expiries and the bytes delivered;
* per recipient domain and per provider: deliveries, bytes, deferrals, bounces, average and
  maximal delay (the MTA's ``delay=``); per sender domain (or client host): messages and bytes;
* traffic per hour of the day and per day; top senders and recipients (count and bytes);
* bounce, deferral and reject detail, grouped by the reply text with addresses, numbers and
  hosts masked (:mod:`logscan.sinks.report.normalised_text`), with category and direction;
* messages (not attempts) by final outcome, and their delivery delay.

Every table is bounded (``MAX_KEYS`` rows; past it new keys count under ``other``), so memory
does not grow with the log.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from logscan.core.event import ClassifiedEvent
from logscan.sinks.messages import DELIVERED, OUTCOMES, Finished
from logscan.sinks.report.normalised_text import Normaliser

MAX_KEYS = 50_000
TOP = 25
OTHER = "other"
# Delivery delay buckets of the report (seconds), as the daemon's histogram.
DELAY_BUCKETS = (1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, 432000.0)
_INF = float("inf")
_ATTEMPTS = frozenset({"sent", "deferred", "bounced"})  # what a per-domain row counts


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

    def add(self, status: str, size: int, delay: float | None) -> None:
        """One delivery attempt; the maximal delay counts deferrals too, as pflogsumm's does."""
        if status == "sent":
            self.delivered += 1
            self.bytes += size
            self.delay_sum += delay or 0.0
        elif status == "deferred":
            self.deferred += 1
        else:
            self.bounced += 1
            return
        if delay is not None and delay > self.delay_max:
            self.delay_max = delay

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


# A row of the senders' and recipients' tables is one int, messages in the bits from 64 up,
# bytes below: tens of thousands of rows, each about 60 bytes smaller than a [count, bytes]
# list with its two ints (2.5 MiB less peak RSS on 1M Postfix lines). Bytes stay exact below
# 2**64 (16 EiB).
_ONE = 1 << 64
_BYTES = _ONE - 1


def _count(table: dict[str, int], key: str, size: int) -> None:
    """One message of ``size`` bytes for ``key`` (past MAX_KEYS keys, for "other")."""
    row = table.get(key)
    if row is None:
        key = _bounded_key(table, key)
        row = table.get(key, 0)
    table[key] = row + _ONE + size


@dataclass
class Traffic:
    """The sums; call it with events, :meth:`finished` with finished messages."""

    first_ts: str | None = None
    last_ts: str | None = None
    totals: Counter[str] = field(default_factory=Counter)
    by_domain: dict[str, Row] = field(default_factory=dict)
    by_provider: dict[str, Row] = field(default_factory=dict)
    senders: dict[str, int] = field(default_factory=dict)  # address -> count, bytes (_count)
    sender_domains: dict[str, int] = field(default_factory=dict)
    recipients: dict[str, int] = field(default_factory=dict)
    # (ts[:13], what) -> count: "2024-11-29T07"; hours and days are summed from it at the end.
    by_hour: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (ts[:13], category) of failed attempts and rejections: the categories over time.
    categories_by_hour: Counter[tuple[str, str]] = field(default_factory=Counter)
    detail: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    deferrals_before_delivery: Counter[int] = field(default_factory=Counter)
    delays: Counter[float] = field(default_factory=Counter)  # bucket bound (inf last) -> count
    delay_sum: float = 0.0
    delay_max: float = 0.0
    delay_count: int = 0
    _normalise: Normaliser = field(default_factory=Normaliser, repr=False)

    # -- input ------------------------------------------------------------------------------

    def _when(self, ts: str | None, what: str) -> None:
        if ts is None:
            return
        first = self.first_ts
        if first is None or ts < first:
            self.first_ts = ts
        last = self.last_ts
        if last is None or ts > last:
            self.last_ts = ts
        key = (ts[:13], what)
        by_hour = self.by_hour
        if key in by_hour or len(by_hour) < MAX_KEYS:
            by_hour[key] += 1

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, verdict = item
        status = ev.status
        if status is None:
            return
        if status == "sent":
            if ev.text is not None and "forwarded as " in ev.text:
                self.totals["forwarded"] += 1
                return
        else:
            text = self._normalise(ev.text) if ev.text else "(no reply text)"
            key = (status, ev.direction, verdict.category, text)
            detail = self.detail
            if key not in detail and len(detail) >= MAX_KEYS:
                key = (status, ev.direction, verdict.category, OTHER)
            detail[key] += 1
            if ev.ts is not None:
                by_hour = self.categories_by_hour
                hour_key = (ev.ts[:13], verdict.category)
                if hour_key in by_hour or len(by_hour) < MAX_KEYS:
                    by_hour[hour_key] += 1
        self.totals[status] += 1
        ts = ev.ts
        if ts is not None:
            self._when(ts, status)
        if ev.direction == "outbound" and status in _ATTEMPTS:
            size = ev.size or 0
            domain = domain_of(ev.recipient)
            row = self.by_domain.get(domain)
            if row is None:
                row = self.by_domain[_bounded_key(self.by_domain, domain)] = Row()
            row.add(status, size, ev.delay)
            if verdict.provider is not None:
                prov = self.by_provider.get(verdict.provider)
                if prov is None:
                    prov = self.by_provider[verdict.provider] = Row()
                prov.add(status, size, ev.delay)
            if status == "sent":
                self.totals["bytes_delivered"] += size
                _count(self.recipients, (ev.recipient or "").lower(), size)

    def finished(self, f: Finished) -> None:
        """A message is done: its outcome, its delay, and (if its arrival was seen) the
        received totals (pflogsumm's: counted at arrival, bytes from the queue manager)."""
        _, _, outcome, deferrals, delay, sender, size, client, arrived, _ = f
        self.outcomes[outcome] += 1
        if arrived is not None:
            self.totals["received"] += 1
            self._when(arrived, "received")
            if size is not None:
                self.totals["bytes_received"] += size
                address = sender if sender else "from=<>"
                if sender and "@" in sender:
                    dom = domain_of(sender)
                else:
                    dom = _client_name(client or "") or address
                _count(self.senders, address, size)
                _count(self.sender_domains, dom, size)
        if deferrals:
            self.totals["messages_deferred"] += 1
        if outcome in DELIVERED:
            self.deferrals_before_delivery[min(deferrals, 10)] += 1
            if delay is not None:
                self.delay_count += 1
                self.delay_sum += delay
                if delay > self.delay_max:
                    self.delay_max = delay
                i = bisect_left(DELAY_BUCKETS, delay)  # the first bound >= delay
                self.delays[DELAY_BUCKETS[i] if i < len(DELAY_BUCKETS) else _INF] += 1

    # -- output -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The JSON form (``scan --format json``, key ``traffic``; README "Scan JSON")."""
        t = self.totals
        hourly: dict[int, Counter[str]] = {}
        daily: dict[str, Counter[str]] = {}
        timeline: dict[str, Counter[str]] = {}
        categories: dict[str, Counter[str]] = {}
        for (hour, category), n in self.categories_by_hour.items():
            categories.setdefault(hour, Counter())[category] += n
        for (hour, what), n in self.by_hour.items():
            timeline.setdefault(hour, Counter())[what] += n
            if hour[11:13].isdigit():
                hourly.setdefault(int(hour[11:13]), Counter())[what] += n
            daily.setdefault(hour[:10], Counter())[what] += n
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
            "hourly": [{"hour": h, **_activity(hourly.get(h, Counter()))} for h in range(24)],
            "daily": [{"day": d, **_activity(c)} for d, c in sorted(daily.items())],
            "timeline": [{"hour": h, **_activity(c)} for h, c in sorted(timeline.items())],
            "categories_timeline": [
                {"hour": h, "categories": dict(sorted(c.items()))}
                for h, c in sorted(categories.items())
            ],
            "detail": [
                {"status": s, "direction": d, "category": c, "text": text, "count": n}
                for (s, d, c, text), n in heapq.nsmallest(
                    200, self.detail.items(), key=lambda kv: (-kv[1], kv[0])
                )
            ],
        }


def _activity(c: Counter[str]) -> dict[str, int]:
    return {k: c[k] for k in ("received", "sent", "deferred", "bounced", "rejected")}


def _rows(table: dict[str, Row]) -> list[dict[str, Any]]:
    ranked = sorted(table.items(), key=lambda kv: (-kv[1].delivered - kv[1].deferred, kv[0]))
    return [{"name": name, **row.as_dict()} for name, row in ranked]


def _pairs(table: dict[str, int], top: int | None = None) -> list[dict[str, Any]]:
    def rank(kv: tuple[str, int]) -> tuple[int, str]:
        return -(kv[1] >> 64), kv[0]

    items = table.items()
    ranked = heapq.nsmallest(top, items, key=rank) if top else sorted(items, key=rank)
    return [{"name": k, "count": v >> 64, "bytes": v & _BYTES} for k, v in ranked]


def _client_name(client: str) -> str | None:
    """pflogsumm's gimme_domain for a client ``host[ip]``: the host's domain, else the ip."""
    host, _, ip = client.partition("[")
    ip = ip.rstrip("]")
    if host and host != "unknown":
        parts = host.lower().split(".")
        return ".".join(parts[-2:]) if len(parts) > 2 else host.lower()
    return ip or None
