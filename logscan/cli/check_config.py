"""``logscan check-config``: validate a config, its rules and its web config; exit 1 on error.

$ logscan check-config -c /etc/logscan/logscan.toml
/etc/logscan/logscan.toml: OK (2 sources, rules from 1 extra directory), 11 alert rules

A source with nothing to read yet (a path that does not exist, a glob that matches nothing) is
a warning on stderr, not an error: the daemon waits for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logscan.app.config import ConfigError, load_config, missing_source
from logscan.app.endpoint.metrics_endpoint import WebConfigError, load_web_config
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError, load_rule_files
from logscan.parsing.registry import Registry
from logscan.sinks.alerting.assembly import AlertingConfig, AlertingConfigError
from logscan.sinks.alerting.rules import load_alert_rules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, help="config file (default: as `run`)")


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
        registry = Registry.load()
        for i, src in enumerate(cfg.sources):
            if src.parser != "auto" and src.parser not in registry.names():
                raise ConfigError(
                    f"{cfg.origin}: sources[{i}].parser: no parser named {src.parser!r} "
                    f"(known: {', '.join(registry.names()) or 'none'})"
                )
        Classifier.load([Path(d) for d in cfg.rules_dirs])
        load_web_config(cfg.web_config)
        AlertingConfig.from_table(cfg.alerting, cfg.origin)
        alerts = load_alert_rules(load_rule_files([Path(d) for d in cfg.rules_dirs]))
    except (ConfigError, RuleError, WebConfigError, AlertingConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for i, src in enumerate(cfg.sources):
        problem = missing_source(src)
        if problem is not None:
            print(f"warning: {cfg.origin}: sources[{i}] ({src.name}): {problem}", file=sys.stderr)
    extra = sum(1 for d in cfg.rules_dirs if Path(d).is_dir())
    print(
        f"{cfg.origin}: OK ({len(cfg.sources)} source{'s' if len(cfg.sources) != 1 else ''}, "
        f"rules from {extra} extra director{'ies' if extra != 1 else 'y'}), "
        f"{len(alerts)} alert rules"
    )
    return 0
