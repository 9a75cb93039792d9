"""``logscan check-config``: validate a config, its rules and its web config; exit 1 on error.

$ logscan check-config -c /etc/logscan/logscan.toml
/etc/logscan/logscan.toml: OK (2 sources, rules from 1 extra directory), 11 alert rules

It checks what ``run`` checks, through the same composition root (:mod:`logscan.app.compose`),
and more, as fail2ban checks its filters' samples: every signature's ``examples`` (the built-in
rules' and the operator's) must be decided by that signature; a miss is an error naming the file
and the signature. A source with nothing to read yet (a path that does not exist, a glob that
matches nothing) is a warning on stderr, not an error: the daemon waits for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logscan.app import compose
from logscan.app.config import load_config
from logscan.app.source_set import missing_source
from logscan.classify.examples import example_misses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, help="config file (default: as `run`)")


def run(args: argparse.Namespace) -> int:
    try:
        app = compose.load(load_config(args.config))
    except compose.LOAD_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    cfg = app.config
    misses = example_misses(app.classifier)
    for miss in misses:
        print(f"error: {miss}", file=sys.stderr)
    for i, src in enumerate(cfg.sources):
        problem = missing_source(src)
        if problem is not None:
            print(f"warning: {cfg.origin}: sources[{i}] ({src.name}): {problem}", file=sys.stderr)
    if misses:
        return 1
    extra = sum(1 for d in cfg.rules_dirs if Path(d).is_dir())
    print(
        f"{cfg.origin}: OK ({len(cfg.sources)} source{'s' if len(cfg.sources) != 1 else ''}, "
        f"rules from {extra} extra director{'ies' if extra != 1 else 'y'}), "
        f"{len(app.alert_rules)} alert rules"
    )
    return 0
