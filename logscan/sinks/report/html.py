"""``logscan scan --format html``: the report as one self-contained HTML file.

Made from the same summary as ``--format json`` (so the JSON carries everything shown here), with
inline SVG charts: no script, no stylesheet or font to fetch, nothing to load from the network,
so the file can be mailed as a daily report and opened anywhere. Charts: traffic over time,
failure categories over time, deferral and bounce rates per provider, blocklist hits by direction,
and the delivery delay distribution. Every text from the log is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from logscan.sinks.report.traffic_table import short_duration

# Colours by series; readable on white and in grey print.
_COLOURS = {
    "received": "#4e79a7",
    "sent": "#59a14f",
    "deferred": "#f28e2b",
    "bounced": "#e15759",
    "rejected": "#9c755f",
}
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip
_ROWS = 25
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
td.t,th.t{text-align:left;max-width:700px;overflow-wrap:anywhere}
.grid{display:flex;flex-wrap:wrap;gap:24px}.muted{color:#777;font-size:12px}
svg text{font-size:11px;fill:#333}
"""


def render_html(summary: dict[str, Any]) -> str:
    """The whole page."""
    t = summary["traffic"]
    span = t["span"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>logscan report {escape(span['first'] or '')}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Mail log report</h1>",
        f'<p class="muted">{escape(span["first"] or "-")} to {escape(span["last"] or "-")}; '
        f"{summary['lines']:,} lines in {len(summary['files'])} file(s), "
        f"{summary['events']:,} events</p>",
        _totals(t),
        "<h2>Traffic over time</h2>",
        _columns(t["timeline"], "hour", ("received", "sent", "deferred", "bounced", "rejected")),
        "<h2>Failure categories over time</h2>",
        _category_columns(t["categories_timeline"]),
        '<div class="grid">',
        _section("Deferral and bounce rate per provider", _provider_rates(t["by_provider"])),
        _section("Blocklist hits by direction", _blocklists(summary["blocklists"])),
        _section("Delivery delay of messages", _delay(t["messages"]["delay"])),
        "</div>",
        "<h2>Messages by final outcome</h2>",
        _table(
            ("outcome", "messages"),
            [(o, n) for o, n in t["messages"]["by_outcome"].items() if n],
        ),
        _domains("Per recipient domain", t["by_recipient_domain"]),
        _domains("Per provider", t["by_provider"]),
        _pairs("Senders by domain (or client host)", t["by_sender_domain"]),
        _pairs("Top senders", t["top_senders"]),
        _pairs("Top recipients", t["top_recipients"]),
        "<h2>Traffic per hour of day</h2>",
        _activity(t["hourly"], "hour"),
        "<h2>Traffic per day</h2>",
        _activity(t["daily"], "day"),
        "<h2>Bounce, deferral and reject detail</h2>",
        _table(
            ("count", "status", "direction", "category", "reply (normalised)"),
            [
                (r["count"], r["status"], r["direction"], r["category"], r["text"])
                for r in t["detail"][: 2 * _ROWS]
            ],
        ),
        '<p class="muted">Made by logscan scan --format html. The same numbers, and more rows, '
        "are in --format json.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# -- tables -------------------------------------------------------------------------------------


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    out = ["<table><tr>"]
    for i, h in enumerate(head):
        out.append(f'<th class="{"t" if i == len(head) - 1 else ""}">{escape(h)}</th>')
    out.append("</tr>")
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            text = f"{cell:,}" if isinstance(cell, int) else escape(str(cell))
            out.append(f'<td class="{"t" if i == len(row) - 1 else ""}">{text}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _totals(t: dict[str, Any]) -> str:
    n = t["totals"]
    rows = [
        ("received", n["received"], n["bytes_received"]),
        ("delivered", n["delivered"], n["bytes_delivered"]),
        ("forwarded", n["forwarded"], ""),
        (f"deferred messages ({n['deferrals']:,} deferrals)", n["messages_deferred"], ""),
        ("bounced", n["bounced"], ""),
        ("rejected", n["rejected"], ""),
        ("expired", n["expired"], ""),
    ]
    return "<h2>Grand totals</h2>" + _table(
        ("count", "bytes", "what"), [(c, b, w) for w, c, b in rows]
    )


def _domains(title: str, rows: list[dict[str, Any]]) -> str:
    body = [
        (r["delivered"], r["bytes"], r["deferred"], r["bounced"], short_duration(r["delay_avg"]),
         short_duration(r["delay_max"]), r["name"])
        for r in rows[:_ROWS]
    ]  # fmt: skip
    head = ("delivered", "bytes", "deferred", "bounced", "avg delay", "max delay", "name")
    return f"<h2>{escape(title)}</h2>" + _table(head, body)


def _pairs(title: str, rows: list[dict[str, Any]]) -> str:
    body = [(r["count"], r["bytes"], r["name"]) for r in rows[:_ROWS]]
    return f"<h2>{escape(title)}</h2>" + _table(("messages", "bytes", "name"), body)


def _activity(rows: list[dict[str, Any]], key: str) -> str:
    body = [
        (r["received"], r["sent"], r["deferred"], r["bounced"], r["rejected"], str(r[key]))
        for r in rows
    ]
    return _table(("received", "delivered", "deferred", "bounced", "rejected", key), body)


def _section(title: str, chart: str) -> str:
    return f"<div><h2>{escape(title)}</h2>{chart}</div>"


# -- charts (inline SVG) ------------------------------------------------------------------------


def _columns(rows: list[dict[str, Any]], key: str, series: Sequence[str]) -> str:
    """Stacked columns, one per row (an hour), with a legend."""
    stacks = [(str(r[key]), [(s, r.get(s, 0)) for s in series]) for r in rows]
    return _stacked(stacks, {s: _COLOURS.get(s, "#888") for s in series})


def _category_columns(rows: list[dict[str, Any]]) -> str:
    totals: dict[str, int] = {}
    for r in rows:
        for c, n in r["categories"].items():
            totals[c] = totals.get(c, 0) + n
    top = [c for c, _ in sorted(totals.items(), key=lambda kv: -kv[1])[: len(_PALETTE) - 1]]
    colours = {c: _PALETTE[i] for i, c in enumerate(top)}
    if len(totals) > len(top):
        colours["other"] = _PALETTE[-1]
    stacks = []
    for r in rows:
        cats = r["categories"]
        values = [(c, cats.get(c, 0)) for c in top]
        if "other" in colours:
            values.append(("other", sum(n for c, n in cats.items() if c not in colours)))
        stacks.append((r["hour"], values))
    return _stacked(stacks, colours)


def _stacked(stacks: list[tuple[str, list[tuple[str, int]]]], colours: dict[str, str]) -> str:
    if not stacks:
        return '<p class="muted">no data</p>'
    width, height, left, bottom = 1000, 220, 50, 40
    peak = max(sum(v for _, v in values) for _, values in stacks) or 1
    step = (width - left) / len(stacks)
    bar = min(max(step * 0.8, 1.0), 40.0)
    legend_rows = 1 + sum(20 + 7 * len(n) for n in colours) // (width - left)
    full = height + 8 + 18 * legend_rows
    out = [f'<svg role="img" width="{width}" height="{full}" '
           f'viewBox="0 0 {width} {full}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    out.append(f'<text x="0" y="12">{peak:,}</text><text x="0" y="{height - bottom}">0</text>')
    label_every = max(1, len(stacks) // 12)
    for i, (label, values) in enumerate(stacks):
        x = left + i * step
        y = float(height - bottom)
        for name, v in values:
            if v <= 0:
                continue
            h = (height - bottom - 10) * v / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[name]}"><title>{escape(label)} {escape(name)}: {v:,}</title>'
                "</rect>"
            )
        if i % label_every == 0:
            out.append(
                f'<text x="{x:.1f}" y="{height - bottom + 14}">{escape(label[5:] or label)}</text>'
            )
    x, y_legend = left, height + 8
    for name, colour in colours.items():
        if x + 20 + 7 * len(name) > width:  # next legend row
            x, y_legend = left, y_legend + 18
        out.append(f'<rect x="{x}" y="{y_legend}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y_legend + 9}">{escape(name)}</text>')
        x += 20 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def _bars(items: Sequence[tuple[str, float, str]], unit: str = "") -> str:
    """Horizontal bars: (label, value, colour)."""
    if not items:
        return '<p class="muted">none</p>'
    width, row, label_w = 460, 20, 190
    peak = max(v for _, v, _ in items) or 1
    out = [f'<svg role="img" width="{width}" height="{row * len(items) + 4}" '
           f'xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for i, (label, value, colour) in enumerate(items):
        y = i * row
        w = (width - label_w - 70) * value / peak
        shown = f"{value:.1f}{unit}" if unit else f"{value:,.0f}"
        out.append(f'<text x="0" y="{y + 14}">{escape(label[:28])}</text>')
        out.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{colour}">'
            f"<title>{escape(label)}: {shown}</title></rect>"
        )
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{shown}</text>')
    out.append("</svg>")
    return "".join(out)


def _provider_rates(rows: list[dict[str, Any]]) -> str:
    items: list[tuple[str, float, str]] = []
    for r in rows[:12]:
        attempts = r["delivered"] + r["deferred"] + r["bounced"]
        if attempts:
            items.append((f"{r['name']} deferred", 100 * r["deferred"] / attempts, "#f28e2b"))
            items.append((f"{r['name']} bounced", 100 * r["bounced"] / attempts, "#e15759"))
    return _bars(items, "%")


def _blocklists(blocklists: dict[str, dict[str, int]]) -> str:
    """Red: remote servers refused our mail (we are listed: "us"); blue: our RBL refused
    clients ("them")."""
    items = [
        (f"{name} ({'us' if d == 'outbound' else 'them'})", float(n),
         "#e15759" if d == "outbound" else "#4e79a7")
        for d in ("outbound", "inbound")
        for name, n in list(blocklists[d].items())[:10]
    ]  # fmt: skip
    return _bars(items)


def _delay(delay: dict[str, Any]) -> str:
    items = [(f"<= {b} s" if b != "+Inf" else "longer", float(n), "#59a14f")
             for b, n in delay["buckets"].items()]  # fmt: skip
    return _bars(items) + (
        f'<p class="muted">{delay["count"]:,} delivered messages, '
        f"average {short_duration(delay['avg'])}, max {short_duration(delay['max'])}</p>"
    )
