"""The rule options ``scan`` and ``explain`` share: ``--rules-dir`` and ``-c``, and the classifier
they select, so that a report, an explanation and the daemon's metrics classify alike."""

from __future__ import annotations

import argparse
from pathlib import Path

from logscan.app.config import operator_rules_dirs
from logscan.classify.classifier import Classifier


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules-dir",
        metavar="DIR",
        action="append",
        type=Path,
        default=[],
        help="extra rules directory, read after the built-in rules (repeatable; default: the "
        "config's rules_dirs, as the daemon)",
    )
    parser.add_argument(
        "-c", "--config", type=Path, help="config whose rules_dirs to use (default: as `run`)"
    )


def load_classifier(args: argparse.Namespace) -> Classifier:
    """The classifier of the options; RuleError or ConfigError when they cannot be used."""
    return Classifier.load(operator_rules_dirs(args.config, args.rules_dir))
