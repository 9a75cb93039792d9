"""The ``logscan scan`` summary as a readable text report (the default ``--format table``).

In the spirit of pflogsumm, but with logscan's categories::

    >>> from logscan.sinks.report.summary import Report
    >>> print(render(Report().summary(), show_unrecognized=False).splitlines()[0])
    logscan scan: 0 files, 0 lines (0 with events, 0 ignored, 0 unrecognized), 0 events
"""

from __future__ import annotations

from typing import Any

# Rows shown per table; the JSON summary has them all.
TABLE_ROWS = 25
TEXT_WIDTH = 160
# Log text is untrusted: control characters (terminal escapes included) are shown as "?".
_CONTROLS = {c: "?" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}

_TABLES = (
    ("Events by delivery status", "by_status"),
    ("Events by reply class", "by_class"),
    ("Events by category", "by_category"),
    ("Events by reply code", "by_code"),
    ("Events by enhanced status code", "by_enhanced"),
    ("Events by provider", "by_provider"),
    ("Events by direction", "by_direction"),
)
# Direction first: what others refused of our mail (we are listed) is what pages; what we
# refused of our clients (our own RBL, our policy) is our filter doing its job.
_DIRECTION_TITLES = (
    ("outbound", "we are listed / refused by others (outbound)"),
    ("inbound", "we refused them (inbound)"),
)


def render(summary: dict[str, Any], show_unrecognized: bool) -> str:
    """The whole report, ending with a newline."""
    out: list[str] = [_headline(summary), ""]
    out += _files(summary["files"])
    for title, key in _TABLES:
        out += _counts(title, summary[key], summary["events"])
    for direction, says in _DIRECTION_TITLES:
        out += _counts(f"Blocklists: {says}", summary["blocklists"][direction], summary["events"])
    for direction, says in _DIRECTION_TITLES:
        out += _reasons(says, summary["top_reject_reasons"][direction])
    out += _unrecognized(summary, show_unrecognized)
    return "\n".join(out).rstrip("\n") + "\n"


def clean(text: str, width: int | None = TEXT_WIDTH) -> str:
    """``text`` safe for a terminal and cut to ``width`` characters (paths are never cut)."""
    text = text.translate(_CONTROLS)
    return text if width is None or len(text) <= width else text[: width - 3] + "..."


def _headline(s: dict[str, Any]) -> str:
    o = s["outcomes"]
    n_files = len(s["files"])
    return (
        f"logscan scan: {n_files} file{'' if n_files == 1 else 's'}, {s['lines']:,} lines "
        f"({o['event']:,} with events, {o['ignored']:,} ignored, "
        f"{o['unrecognized']:,} unrecognized), {s['events']:,} events"
    )


def _files(files: list[dict[str, Any]]) -> list[str]:
    if not files:
        return []
    width = min(max(len(f["path"]) for f in files), 60)  # longer paths push their row right
    out = [
        "Files",
        f"  {'file':<{width}}  {'parser':<10} {'lines':>11} {'event':>11} {'ignored':>11}"
        f" {'unrecog.':>11}",
    ]
    for f in files:
        o = f["outcomes"]
        out.append(
            f"  {clean(f['path'], None):<{width}}  {f['parser'] or '-':<10} {f['lines']:>11,}"
            f" {o['event']:>11,} {o['ignored']:>11,} {o['unrecognized']:>11,}"
        )
        if f["error"]:
            out.append(f"  {'':<{width}}  ! {clean(f['error'])}")
        if f["invalid_timestamps"]:
            n = f["invalid_timestamps"]
            out.append(f"  {'':<{width}}  ! {n:,} impossible timestamps, set to null")
    return [*out, ""]


def _counts(title: str, table: dict[str, int], total: int) -> list[str]:
    if not table:
        return []
    out = [title]
    for name, n in list(table.items())[:TABLE_ROWS]:
        share = f"{100 * n / total:5.1f}%" if total else ""
        out.append(f"  {n:>11,} {share}  {clean(name)}")
    if len(table) > TABLE_ROWS:
        rest = sum(list(table.values())[TABLE_ROWS:])
        out.append(f"  {rest:>11,}         ({len(table) - TABLE_ROWS} more; see --format json)")
    return [*out, ""]


def _reasons(says: str, reasons: list[dict[str, Any]]) -> list[str]:
    if not reasons:
        return []
    out = [f"Top reject and deferral reasons: {says} (category, code, first example)"]
    for r in reasons:
        ex = r["example"]
        out.append(f"  {r['count']:>11,}  {r['category']:<20} {r['code']:<5}")
        out.append(f"  {'':>11}    {clean(ex['path'], None)}:{ex['line']}: {clean(ex['text'])}")
    return [*out, ""]


def _unrecognized(s: dict[str, Any], show: bool) -> list[str]:
    total = s["outcomes"]["unrecognized"]
    out = [f"Unrecognized lines: {total:,}"]
    for f in s["files"]:
        n = f["outcomes"]["unrecognized"]
        if n:
            out.append(f"  {n:>11,}  {clean(f['path'], None)}")
    if total and not show:
        out.append("  (list them with --show-unrecognized)")
    if show:
        for u in s["unrecognized_lines"]:
            out.append(f"  {clean(u['path'], None)}:{u['line']}: {clean(u['text'])}")
        if s["unrecognized_not_shown"]:
            out.append(f"  ... and {s['unrecognized_not_shown']:,} more not shown")
    return out
