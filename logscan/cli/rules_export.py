"""``logscan rules export``: the alert rules in another form, generated from the rule files.

    logscan rules export --format prometheus --output deploy/prometheus/alerts.yml
    logscan rules export --format runbooks --output docs/runbooks

``prometheus``: the rules in PromQL (:mod:`logscan.sinks.alerting.promql`), to stdout without
``--output``.
``runbooks``: one Markdown page per alert (:mod:`logscan.sinks.alerting.runbooks`) into the
``--output``
directory. Operators' ``--rules-dir`` overrides take part, as in the daemon.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logscan.classify.rule_files import RuleError, RuleFile, load_rule_files
from logscan.sinks.alerting.promql import ExportError, export_rules, render_file
from logscan.sinks.alerting.runbooks import build_runbooks
from logscan.sinks.alerting.settings import DEFAULT_RUNBOOK_BASE

EXIT_ERROR = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    export = sub.add_parser("export", help="write the alert rules as PromQL rules or runbooks")
    export.add_argument("--format", choices=("prometheus", "runbooks"), required=True)
    export.add_argument(
        "--output",
        metavar="PATH",
        help="file (prometheus; default: stdout) or directory (runbooks; required)",
    )
    export.add_argument(
        "--runbook-base",
        metavar="URL",
        default=DEFAULT_RUNBOOK_BASE,
        help=f"base of the runbook_url annotations (default: {DEFAULT_RUNBOOK_BASE})",
    )
    export.add_argument(
        "--rules-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="operators' rule directory (repeatable), after the built-in rules",
    )


def run(args: argparse.Namespace) -> int:
    try:
        files = load_rule_files([Path(d) for d in args.rules_dir])
        if args.format == "prometheus":
            return _prometheus(files, args)
        return _runbooks(files, args)
    except (RuleError, ExportError, OSError) as exc:
        print(f"logscan rules export: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _prometheus(files: list[RuleFile], args: argparse.Namespace) -> int:
    text = render_file(export_rules(files, args.runbook_base))
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _runbooks(files: list[RuleFile], args: argparse.Namespace) -> int:
    if args.output is None:
        print("logscan rules export: --format runbooks needs --output DIR", file=sys.stderr)
        return EXIT_ERROR
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    approximations = {r.alert: r.approximation for r in export_rules(files, args.runbook_base)}
    for name, page in build_runbooks(files, approximations).items():
        (out / f"{name}.md").write_text(page, encoding="utf-8")
    return 0
