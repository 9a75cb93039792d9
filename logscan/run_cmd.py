"""``logscan run``: the daemon (see :mod:`logscan.daemon`).

Without ``-c`` it reads ``/etc/logscan/logscan.toml`` if that exists, else the embedded default;
flags override the config (``--source`` replaces its sources)::

    logscan run --source /var/log/mail.log --listen 127.0.0.1:9842 --state-dir /var/lib/logscan
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import structlog

from logscan.alerting import (
    ALERT_METRICS,
    Alerting,
    AlertingConfig,
    AlertingConfigError,
    health_from_metrics,
)
from logscan.checkpoint import CheckpointError
from logscan.classifier import Classifier
from logscan.compat_postfix_exporter import PostfixExporterCompat
from logscan.config import COMPAT_EXPORTERS, Config, ConfigError, load_config, with_overrides
from logscan.daemon import Daemon, Hooks
from logscan.exporter import WebConfigError, load_web_config
from logscan.registry import Registry
from logscan.rules import RuleError

EXIT_FAILURE = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, help="config file (TOML)")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="PATH",
        help="a file or glob to follow (repeatable; replaces the config's sources)",
    )
    parser.add_argument("--parser", help="parser for every source (default: auto-detect)")
    parser.add_argument("--listen", metavar="HOST:PORT", help="metrics endpoint (127.0.0.1:9842)")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="checkpoint directory (/var/lib/logscan)"
    )
    parser.add_argument(
        "--web-config", metavar="FILE", help="TLS and basic auth (exporter-toolkit format)"
    )
    parser.add_argument(
        "--checkpoint-interval", type=float, metavar="SECONDS", help="checkpoint period (5)"
    )
    parser.add_argument(
        "--poll-interval", type=float, metavar="SECONDS", help="polling period (0.5)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--alertmanager",
        action="append",
        default=[],
        metavar="URL",
        help="send alerts to this Alertmanager (repeatable; adds to [alerting] alertmanager)",
    )
    parser.add_argument(
        "--compat",
        action="append",
        default=[],
        choices=COMPAT_EXPORTERS,
        help="also serve this exporter's metric names (repeatable; config: metrics.compat)",
    )


def build_config(args: argparse.Namespace) -> tuple[Config, Classifier]:
    """The config (file or default, then flags) and its rules; ConfigError/RuleError if bad."""
    cfg = load_config(args.config)
    cfg = with_overrides(
        cfg,
        sources=[os.path.abspath(s) for s in args.source],
        parser=args.parser,
        listen=args.listen,
        state_dir=args.state_dir,
        checkpoint_interval=args.checkpoint_interval,
        poll_interval=args.poll_interval,
        web_config=args.web_config,
        compat=args.compat,
    )
    registry = Registry.load()
    for i, src in enumerate(cfg.sources):
        if src.parser != "auto" and src.parser not in registry.names():
            raise ConfigError(
                f"{cfg.origin}: sources[{i}].parser: no parser named {src.parser!r} "
                f"(known: {', '.join(registry.names()) or 'none'})"
            )
    classifier = Classifier.load([Path(d) for d in cfg.rules_dirs])
    return cfg, classifier


def configure_logging(level: str) -> None:
    """structlog, one JSON object per line on stderr (journald and log shippers read it)."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    log = structlog.get_logger("logscan.run")
    try:
        cfg, classifier = build_config(args)
        load_web_config(cfg.web_config)
        alerting_cfg = AlertingConfig.from_table(cfg.alerting, cfg.origin)
        alerting_cfg = alerting_cfg.with_alertmanagers(args.alertmanager)
        alerting = Alerting.build(alerting_cfg, cfg.rules_dirs, listen=cfg.listen)
    except (ConfigError, RuleError, WebConfigError, AlertingConfigError) as exc:
        log.error("cannot start: bad configuration", error=str(exc))
        return EXIT_FAILURE
    exported: dict[tuple[str, str, str], int] = {}

    def tick(now: float) -> None:
        # Runs in the daemon's loop, under its state lock, like the sinks.
        alerting.tick(now)
        alerting.export(daemon.metrics, exported)

    def reload() -> tuple[Config, Classifier]:
        new_cfg, new_classifier = build_config(args)
        new_alerting = AlertingConfig.from_table(new_cfg.alerting, new_cfg.origin)
        alerting.reload(new_cfg.rules_dirs)  # a bad rule file keeps the running rules
        if new_alerting.with_alertmanagers(args.alertmanager) != alerting_cfg:
            log.warning("alerting settings (notifiers, labels) take effect at restart only")
        return new_cfg, new_classifier

    hooks = Hooks(sinks=[alerting.sink], ticks=[tick])
    daemon = Daemon(
        cfg,
        Registry.load(),
        classifier,
        hooks=hooks,
        reload_config=reload,
        early_signals=getattr(args, "early_signals", None),
    )
    for spec in ALERT_METRICS:
        daemon.metrics.declare(spec)  # before the checkpoint is restored
    alerting.health = lambda: health_from_metrics(
        daemon.metrics.values, [s.name for s in daemon.cfg.sources]
    )
    if "postfix_exporter" in cfg.compat:
        daemon.sinks.append(PostfixExporterCompat(daemon.metrics))  # declared before the restore
    try:
        return daemon.run()
    except (OSError, CheckpointError) as exc:
        log.error("cannot start", error=f"{getattr(exc, 'filename', '') or ''} {exc}".strip())
        return EXIT_FAILURE
    finally:
        alerting.close(timeout=5.0)  # deliver what is queued (resolves, last changes)
