"""The traffic part of the ``logscan scan`` table report (see
:mod:`logscan.sinks.report.traffic`)."""

from __future__ import annotations

from typing import Any

from logscan.sinks.report.table import TABLE_ROWS, clean


def render_traffic(t: dict[str, Any]) -> str:
    """Volumes, messages, per-domain, senders and recipients, hourly and daily, detail."""
    out: list[str] = []
    out += _totals(t)
    out += _messages(t["messages"])
    out += _domains("Per recipient domain", t["by_recipient_domain"])
    out += _domains("Per provider", t["by_provider"])
    out += _pairs("Senders by domain (or client host)", t["by_sender_domain"])
    out += _pairs("Top senders", t["top_senders"])
    out += _pairs("Top recipients", t["top_recipients"])
    out += _activity("Traffic per hour of day", "hour", t["hourly"])
    out += _activity("Traffic per day", "day", t["daily"])
    out += _detail(t["detail"])
    return "\n".join(out)


def _totals(t: dict[str, Any]) -> list[str]:
    s, n = t["span"], t["totals"]
    return [
        f"Time span: {s['first'] or '-'} .. {s['last'] or '-'}",
        "Grand totals (recipients for deliveries, as pflogsumm)",
        f"  {n['received']:>11,}  received         {n['bytes_received']:>15,} bytes",
        f"  {n['delivered']:>11,}  delivered        {n['bytes_delivered']:>15,} bytes",
        f"  {n['forwarded']:>11,}  forwarded",
        f"  {n['messages_deferred']:>11,}  deferred messages ({n['deferrals']:,} deferrals)",
        f"  {n['bounced']:>11,}  bounced",
        f"  {n['rejected']:>11,}  rejected",
        f"  {n['expired']:>11,}  expired",
        "",
    ]


def _messages(m: dict[str, Any]) -> list[str]:
    out = ["Messages by final outcome (one per message, not per attempt)"]
    out += [f"  {n:>11,}  {o}" for o, n in m["by_outcome"].items() if n]
    d = m["delay"]
    out.append(
        f"  delivery delay: {d['count']:,} messages, avg {d['avg']:.1f} s, max {d['max']:.1f} s"
    )
    return [*out, ""]


def _domains(title: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = [
        title,
        f"  {'delivered':>10} {'bytes':>13} {'deferred':>9} {'bounced':>8} {'avg delay':>10}"
        f" {'max delay':>10}  name",
    ]
    for r in rows[:TABLE_ROWS]:
        out.append(
            f"  {r['delivered']:>10,} {r['bytes']:>13,} {r['deferred']:>9,} {r['bounced']:>8,}"
            f" {short_duration(r['delay_avg']):>10} {short_duration(r['delay_max']):>10}"
            f"  {clean(r['name'])}"
        )
    return [*out, ""]


def _pairs(title: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = [title, f"  {'messages':>10} {'bytes':>13}  name"]
    out += [f"  {r['count']:>10,} {r['bytes']:>13,}  {clean(r['name'])}" for r in rows[:TABLE_ROWS]]
    return [*out, ""]


def _activity(title: str, key: str, rows: list[dict[str, Any]]) -> list[str]:
    if not any(r["received"] or r["sent"] or r["deferred"] or r["rejected"] for r in rows):
        return []
    out = [
        title,
        f"  {key:<10} {'received':>10} {'delivered':>10} {'deferred':>10} {'bounced':>10}"
        f" {'rejected':>10}",
    ]
    for r in rows:
        out.append(
            f"  {r[key]!s:<10} {r['received']:>10,} {r['sent']:>10,} {r['deferred']:>10,}"
            f" {r['bounced']:>10,} {r['rejected']:>10,}"
        )
    return [*out, ""]


def _detail(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = ["Bounce, deferral and reject detail (normalised reply text)"]
    for r in rows[: 2 * TABLE_ROWS]:
        out.append(
            f"  {r['count']:>11,}  {r['status']:<9} {r['direction']:<8} {r['category']:<20}"
            f" {clean(r['text'], 100)}"
        )
    return [*out, ""]


def short_duration(seconds: float) -> str:
    """A delay as the reports show it: ``12.0 s``, ``3.5 m``, ``1.2 h`` (table and HTML alike)."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} m"
    return f"{seconds:.1f} s"
