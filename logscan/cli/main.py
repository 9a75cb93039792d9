"""The ``logscan`` command line (contract in docs/design.md).

Each sub-command lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int``; this module only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

import logscan
from logscan.app.early_signals import EarlySignals

# sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "explain": (
        "logscan.cli.explain",
        "what a reply code or a whole reply line means, and what to do",
    ),
    "parsers": (
        "logscan.cli.list_parsers",
        "list the registered parsers and where each comes from",
    ),
    "scan": (
        "logscan.cli.scan",
        "read logs once (plain, gzip or stdin) and print a report or events",
    ),
    "run": ("logscan.cli.run", "the daemon: follow logs, export metrics"),
    "check-config": ("logscan.cli.check_config", "validate a config file and its rules"),
    "rules": ("logscan.cli.rules_export", "export the alert rules as Prometheus rules or runbooks"),
}

EXIT_USAGE = 2
EXIT_OUTPUT_ERROR = 1
# Sub-commands whose results go to stdout: with stdout closed they refuse to start.
WRITES_STDOUT = frozenset({"explain", "parsers", "scan", "check-config"})


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that sub-command's module is imported.

    The daemon's modules (prometheus_client, watchdog, pyparsing, ...) cost ``explain`` and
    ``scan`` start-up time and memory they do not need.
    """
    parser = argparse.ArgumentParser(
        prog="logscan",  # also under `python -m logscan`
        description="Mail-server log scanner: SMTP replies classified, counted and alerted on.",
    )
    parser.add_argument("--version", action="version", version=f"logscan {logscan.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is not None and name != only:
            continue
        mod = importlib.import_module(module)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = next((w for w in words if not w.startswith("-")), None)
    # Before the daemon's slow imports: a SIGHUP now must not kill it (see early_signals).
    early = EarlySignals.install() if chosen == "run" else None
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(words)
    if sys.stderr is None:
        # Started with 2>&- : messages have nowhere to go, and print(file=None) would put them
        # on stdout, among the results.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    args.early_signals = early
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if sys.stdout is None and args.command in WRITES_STDOUT:
        print(f"logscan {args.command}: standard output is closed (>&-)", file=sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args._run(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a failed write shows here, not as a traceback at exit
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `logscan scan ... | head`: the reader left; that is not an error (exit 0).
        _discard_output()
        return 0
    except OSError as exc:
        if args.command not in WRITES_STDOUT:
            raise  # the daemon handles its own I/O errors; one escaping it is a bug to see
        # Any other failed write to stdout (disk full, EIO): say so, without a traceback.
        _discard_output()
        where = exc.filename or "cannot write the output"
        print(f"logscan {args.command}: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    return code


def _discard_output() -> None:
    """Point stdout at /dev/null: what is still buffered must not fail again at exit.

    (Python flushes stdout at exit; a second failure there would print "Exception ignored" and
    exit 120.)
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests); nothing is flushed at exit then


if __name__ == "__main__":
    sys.exit(main())
