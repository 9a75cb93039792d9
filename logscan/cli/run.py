"""``logscan run``: the daemon (see :mod:`logscan.app.daemon`).

Without ``-c`` it reads ``/etc/logscan/logscan.toml`` if that exists, else the embedded default;
flags override the config (``--source`` replaces its sources)::

    logscan run --source /var/log/mail.log --listen 127.0.0.1:9842 --state-dir /var/lib/logscan
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import structlog

from logscan.app import compose, operational_log
from logscan.app.compose import App
from logscan.app.config import COMPAT_EXPORTERS, Config, load_config, with_overrides
from logscan.app.daemon import Daemon, Hooks, Section
from logscan.app.operational_log import LOG_FORMATS
from logscan.sinks.alerting.assembly import ALERT_METRICS, Alerting, health_from_metrics
from logscan.sinks.message_metrics import MESSAGE_METRICS, MessageMetrics
from logscan.sinks.messages import MessageTracker
from logscan.sinks.metrics import Metrics
from logscan.sources.checkpoint import CheckpointError

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
        "--log-format",
        default="auto",
        choices=LOG_FORMATS,
        help="the daemon's own log: console on a TTY, else JSON (auto)",
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


def read_config(args: argparse.Namespace) -> Config:
    """The config (file or default, then flags); ConfigError if bad."""
    cfg = load_config(args.config)
    return with_overrides(
        cfg,
        sources=[os.path.abspath(s) for s in args.source],
        parser=args.parser,
        listen=args.listen,
        state_dir=args.state_dir,
        checkpoint_interval=args.checkpoint_interval,
        poll_interval=args.poll_interval,
        web_config=args.web_config,
        compat=args.compat,
        alertmanagers=args.alertmanager,
    )


def load_app(args: argparse.Namespace) -> App:
    """The config and everything it names, checked once (see :mod:`logscan.app.compose`)."""
    return compose.load(read_config(args))


def state_dir_problem(state_dir: Path) -> str | None:
    """What keeps the daemon from keeping checkpoints in ``state_dir``, with what to do."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        writable = os.access(state_dir, os.W_OK | os.X_OK)
        reason = "permission denied"
    except OSError as exc:
        writable, reason = False, exc.strerror or str(exc)
    if writable:
        return None
    return (
        f"cannot write the state directory {state_dir} ({reason}): it holds the checkpoint "
        "(positions and counters). Pass --state-dir DIR (or state_dir in the config) with a "
        "directory this user may write, or run the systemd unit (deploy/systemd/logscan.service), "
        "which provides /var/lib/logscan."
    )


def run(args: argparse.Namespace) -> int:
    operational_log.configure(args.log_level, args.log_format)
    log = structlog.get_logger("logscan.run")
    try:
        app = load_app(args)
    except compose.LOAD_ERRORS as exc:
        log.error("cannot start: bad configuration", error=str(exc))
        return EXIT_FAILURE
    problem = state_dir_problem(Path(app.config.state_dir))
    if problem is not None:
        log.error("cannot start: state directory not writable", error=problem)
        return EXIT_FAILURE
    metrics = Metrics()
    daemon: Daemon | None = None  # the health callback reads its sources once it runs

    alerting = Alerting.assemble(
        app.config.alerting,
        app.rule_files,
        app.alert_rules,
        listen=app.config.listen,
        health=lambda: health_from_metrics(
            metrics.values, [s.name for s in daemon.cfg.sources] if daemon is not None else []
        ),
    )
    try:
        daemon = _daemon(args, app, alerting, metrics)
        return daemon.run()
    except (OSError, CheckpointError) as exc:
        log.error("cannot start", error=f"{getattr(exc, 'filename', '') or ''} {exc}".strip())
        return EXIT_FAILURE
    finally:
        alerting.close(timeout=5.0)  # deliver what is queued (resolves, last changes)


def _daemon(args: argparse.Namespace, app: App, alerting: Alerting, metrics: Metrics) -> Daemon:
    """The daemon with its hooks: alerting, message correlation, their checkpoint sections."""
    exported: dict[tuple[str, str, str], int] = {}

    def tick(now: float) -> None:
        # Runs in the daemon's loop, under its state lock, like the sinks.
        alerting.tick(now)
        alerting.export(metrics, exported)

    def reload() -> App:
        new = load_app(args)  # raises on a bad file: the running rules stay
        alerting.reload_rules(new.rule_files, new.alert_rules)
        # New bounds hold at once: messages over them are evicted (and counted) now.
        messages.set_bounds(new.config.messages.max_in_flight, new.config.messages.max_bytes)
        return new

    # The alert state travels in the checkpoint: a restart keeps firing alerts and windows.
    # So do the messages in flight (message correlation): a restart loses none of them.
    caps = app.config.messages
    messages = MessageTracker(MessageMetrics(metrics), caps.max_in_flight, caps.max_bytes)
    sections = {
        "alerts": Section(alerting.save, alerting.restore),
        "messages": Section(messages.save, messages.restore),
    }
    hooks = Hooks(
        sinks=[alerting.sink, messages],
        ticks=[tick],
        sections=sections,
        notes=messages.note,
        metrics=(*ALERT_METRICS, *MESSAGE_METRICS),
    )
    return Daemon(
        app,
        hooks=hooks,
        reload=reload,
        early_signals=getattr(args, "early_signals", None),
        metrics=metrics,
    )
