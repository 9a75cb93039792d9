"""The ``logscan`` command line (contract in DESIGN.md).

Each sub-command lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int``; this module only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import logscan

# sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "parsers": ("logscan.parsers_cmd", "list the registered parsers and where each comes from"),
    "run": ("logscan.run_cmd", "the daemon: follow logs, export metrics"),
    "check-config": ("logscan.check_config", "validate a config file and its rules"),
}

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logscan",
        description="Mail-server log scanner: SMTP replies classified, counted and alerted on.",
    )
    parser.add_argument("--version", action="version", version=f"logscan {logscan.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args._run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `logscan scan ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
