"""The daemon's loop: sources -> pipelines -> sinks, checkpoints, the endpoint, signals, systemd.

One thread (the caller's) reads every source in bounded steps under the state lock; the HTTP
threads take the lock only to copy a snapshot. Sinks and periodic ticks plug in without touching
the loop (the alert engine does)::

    daemon = Daemon(compose.load(cfg), hooks=Hooks(sinks=[alerting.sink], ticks=[tick]),
                    reload=lambda: compose.load(read_config()))
    daemon.run()        # until SIGTERM; SIGHUP reloads the config and the rules

Sinks (``ClassifiedEvent -> None``) and ticks (``now: float -> None``, called about every
``poll_interval`` with ``time.time()``) run in the daemon's thread, under the state lock: they must
not block (hand slow work such as notifications to a thread of your own). A hook declares its
own metrics in ``Hooks.metrics``; they are checkpointed like ours.

The parts: :mod:`~logscan.app.source_set` (the sources, and what a reload changes of them),
:mod:`~logscan.app.file_runtime` and :mod:`~logscan.app.journal_runtime` (one source of each
kind), :mod:`~logscan.app.source_feed` (lines -> pipeline, counted), and
:mod:`~logscan.app.compose` (what a config builds, at start and at each reload).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from logscan.app.compose import App
from logscan.app.config import Config
from logscan.app.early_signals import EarlySignals
from logscan.app.endpoint.metrics_endpoint import MetricsServer
from logscan.app.file_runtime import FileRuntime
from logscan.app.sdnotify import SystemdNotify
from logscan.app.source_feed import Wiring
from logscan.app.source_set import SourceSet
from logscan.core.event import MessageNote
from logscan.pipeline import Sink
from logscan.sinks.metric_handles import OpsMetrics
from logscan.sinks.metrics import Metrics, MetricSpec, MetricsSink, Snapshot, render
from logscan.sinks.postfix_exporter import PostfixExporterCompat
from logscan.sources.checkpoint import Checkpoint, CheckpointError, CheckpointStore
from logscan.sources.loss import LOSS_METRICS
from logscan.sources.watch import Waker

log = structlog.get_logger("logscan.app.daemon")

Tick = Callable[[float], None]
DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class Section:
    """A top-level section of the checkpoint that a hook owns (the alert engine's state).

    ``save`` runs under the state lock with the counters and positions (so all three agree);
    ``restore`` gets the saved value once at start, before the sources open (None when the
    checkpoint has no such section), and must check it itself.
    """

    save: Callable[[], Any]
    restore: Callable[[Any], None]


@dataclass(frozen=True)
class Hooks:
    """What plugs into the daemon from outside: more sinks, periodic ticks, checkpoint sections
    (by name; not ``version``, ``written``, ``sources`` or ``counters``), and the metrics they
    write (declared before the checkpoint is restored, so that their counters persist)."""

    sinks: Sequence[Sink] = ()
    ticks: Sequence[Tick] = ()
    sections: Mapping[str, Section] = field(default_factory=dict)
    # Where parsers report message milestones (message correlation); None: they don't.
    notes: Callable[[MessageNote], None] | None = None
    metrics: Sequence[MetricSpec] = ()


class Daemon:
    def __init__(
        self,
        app: App,
        hooks: Hooks = Hooks(),
        notifier: SystemdNotify | None = None,
        reload: Callable[[], App] | None = None,
        early_signals: EarlySignals | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.hooks = hooks
        self.notifier = notifier or SystemdNotify.from_env()
        self.reload_app = reload
        self.early_signals = early_signals
        self.metrics = metrics if metrics is not None else Metrics()
        for spec in (*LOSS_METRICS, *hooks.metrics):
            self.metrics.declare(spec)
        self.ops = OpsMetrics.of(self.metrics)
        self.metrics_sink = MetricsSink(self.metrics, app.classifier)
        sinks: list[Sink] = [self.metrics_sink]
        if "postfix_exporter" in self.cfg.compat:
            sinks.append(PostfixExporterCompat(self.metrics, self.metrics_sink.labels))
        self.wiring = Wiring(
            app.registry, app.classifier, (*sinks, *hooks.sinks), self.ops, hooks.notes
        )
        self.lock = threading.Lock()
        self.store = CheckpointStore(Path(self.cfg.state_dir))
        self._wake = threading.Event()
        self.sources = SourceSet(self.wiring, self._wake.set)
        self._stop = False
        self._reload = False
        self._stop_signal: str | None = None  # the signal that asked us to stop, if one did
        self._seq = 0
        self._checkpoint_failing = False
        self._good_snapshot: Snapshot | None = None
        self._failing: set[str] = set()
        self.waker = Waker(self._wake.set)
        self.server: MetricsServer | None = None

    @property
    def cfg(self) -> Config:
        """The running configuration (the app's)."""
        return self.app.config

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Restore the checkpoint, open the sources, write a first checkpoint, serve metrics."""
        Path(self.cfg.state_dir).mkdir(parents=True, exist_ok=True)
        saved = self._restore()
        with self.lock:
            for src in self.cfg.sources:
                self.sources.add(src, saved.get(src.name) if saved is not None else None)
        self.checkpoint()  # fails loudly now (state dir not writable) rather than at a crash
        self.server = MetricsServer(
            self.cfg.listen, self.app.web, self.scrape, self.cfg.max_connections
        )
        self.server.start()
        log.info(
            "started",
            listen=f"{self.cfg.listen.rpartition(':')[0]}:{self.server.port}",
            sources=[s.name for s in self.cfg.sources],
            config=self.cfg.origin,
            state_dir=self.cfg.state_dir,
        )

    def run(self) -> int:
        """Install signal handlers, start, loop until SIGTERM/SIGINT, then drain and checkpoint."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        self._take_early_signals()
        self.start()
        assert self.server is not None
        host = self.cfg.listen.rpartition(":")[0]
        self.notifier.send("READY=1", f"STATUS=listening on {host}:{self.server.port}")
        self.loop()
        log.info("stopping", signal=self._stop_signal)
        self.shutdown()
        return 0

    def loop(self) -> None:
        cfg_interval = self.cfg.checkpoint_interval
        next_checkpoint = time.monotonic() + cfg_interval
        next_maintenance = 0.0
        next_ping = 0.0
        while not self._stop:
            if self._reload:
                self._reload = False
                self._do_reload()
            self._wake.clear()
            more = self.pump()
            now = time.monotonic()
            if now >= next_maintenance:
                self._maintain()
                next_maintenance = now + self.cfg.poll_interval
            if now >= next_checkpoint:
                self.checkpoint()
                next_checkpoint = now + self.cfg.checkpoint_interval
            ping = self.notifier.watchdog_interval
            if ping is not None and now >= next_ping:
                self.notifier.send("WATCHDOG=1")
                next_ping = now + ping
            if not more and not self._stop and not self._reload:
                timeout = self.cfg.poll_interval
                if ping is not None:
                    timeout = min(timeout, ping)
                self._wake.wait(timeout)

    def pump(self) -> bool:
        """One bounded step of every source; True when some source has more right away."""
        more = False
        for name in list(self.sources):
            with self.lock:
                rt = self.sources.get(name)
                if rt is None:
                    continue
                try:
                    more = rt.step() or more
                except Exception:
                    # A bug (ours, a plug-in's, a sink's) must not stop the other sources or the
                    # endpoint; the batch in hand is lost, never counted twice (offsets move first).
                    self.ops.read_errors.inc(name, "internal")
                    if name not in self._failing:
                        log.exception("source step failed; continuing", source=name)
                    self._failing.add(name)
                else:
                    self._failing.discard(name)
        return more

    def shutdown(self) -> None:
        self.notifier.send("STOPPING=1")
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and self.pump():
            pass
        self.checkpoint()
        if self.server is not None:
            self.server.stop()
        self.waker.stop()
        with self.lock:
            self.sources.close()
        log.info("stopped", checkpoint=str(self.store.path))

    # -- state -----------------------------------------------------------------------------

    def snapshot(self) -> tuple[int, Checkpoint, Snapshot]:
        """Positions and counters copied together, under the lock: they cannot disagree."""
        with self.lock:
            for rt in self.sources.values():
                rt.gauges()
            self._seq += 1
            state = Checkpoint(
                written=time.time(),
                sources=self.sources.states(),
                counters=self.metrics.persisted(),
                sections={name: sec.save() for name, sec in self.hooks.sections.items()},
            )
            return self._seq, state, self.metrics.snapshot()

    def checkpoint(self) -> Snapshot:
        """Write a checkpoint; the values a scrape may serve (never more than a crash keeps)."""
        seq, state, snap = self.snapshot()
        try:
            self.store.write(state, seq)
        except OSError as exc:
            with self.lock:
                self.ops.checkpoint_writes.inc("error")
                writes = dict(self.metrics.values[self.ops.checkpoint_writes.name])
            if not self._checkpoint_failing:
                log.error(
                    "checkpoint write failed; the previous checkpoint is kept",
                    path=str(self.store.path),
                    error=str(exc),
                )
            self._checkpoint_failing = True
            if not self.sources_started() or self._good_snapshot is None:
                raise
            # Serve what the kept checkpoint holds (a crash now would restore exactly that),
            # and the failures themselves so that they show.
            return {**self._good_snapshot, self.ops.checkpoint_writes.name: writes}
        self._good_snapshot = snap
        with self.lock:
            self.ops.checkpoint_writes.inc("ok")
        if self._checkpoint_failing:
            log.info("checkpoint writes work again", path=str(self.store.path))
        self._checkpoint_failing = False
        return snap

    def scrape(self) -> bytes:
        """Checkpoint, then serve exactly what was checkpointed (never more than a crash keeps)."""
        snap = self.checkpoint()
        return render(self.metrics.specs, snap)

    def sources_started(self) -> bool:
        return self.server is not None

    def _restore(self) -> dict[str, Any] | None:
        try:
            doc = self.store.read()
        except CheckpointError as exc:
            try:
                bad = self.store.set_aside()
            except OSError:
                bad = self.store.path
            log.error(
                "checkpoint unusable: counters start at zero and every source from its end",
                error=str(exc),
                kept_as=str(bad),
            )
            return None
        if doc is None:
            log.warning(
                "no checkpoint: counters start at zero and every source from its end",
                path=str(self.store.path),
            )
            return None
        self.metrics.restore(doc.counters, self.metrics_sink.labels)  # folded as sinks fold
        for name, sec in self.hooks.sections.items():
            sec.restore(doc.sections.get(name))
        log.info("checkpoint restored", path=str(self.store.path), written=doc.written)
        return dict(doc.sources)

    # -- sources ---------------------------------------------------------------------------

    def _maintain(self) -> None:
        """Every poll interval: new glob matches, inotify watches, ticks."""
        dirs: set[str] = set()
        with self.lock:
            for rt in self.sources.values():
                if isinstance(rt, FileRuntime):
                    rt.files.rescan()
                    dirs.update(rt.files.watch_dirs())
        polled = self.waker.sync(dirs)
        with self.lock:
            for rt in self.sources.values():
                if isinstance(rt, FileRuntime):
                    watched = all(d not in polled for d in rt.files.watch_dirs())
                    inotify = rt.cfg.watch == "auto" and watched
                    self.ops.watch_inotify.set(rt.cfg.name, value=int(inotify))
            now = time.time()
            for tick in self.hooks.ticks:
                try:
                    tick(now)
                except Exception:
                    log.exception("tick hook failed")

    # -- signals, reload -------------------------------------------------------------------

    # A handler runs in the main thread between two bytecodes, possibly while that thread holds
    # the log's or the wake event's lock (neither is re-entrant): it only sets flags, which the
    # loop reads within one poll interval, and the loop does the logging.

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop_signal = signal.Signals(signum).name
        self._stop = True

    def _take_early_signals(self) -> None:
        """Signals that arrived before our handlers were installed act now (after start)."""
        early = self.early_signals.take() if self.early_signals is not None else frozenset()
        for sig in sorted(early):
            log.info("signal received during start-up: acting on it once started", signal=sig.name)
        stop = next((sig for sig in (signal.SIGTERM, signal.SIGINT) if sig in early), None)
        if stop is not None:
            self._stop_signal, self._stop = stop.name, True
        if signal.SIGHUP in early:
            self._reload = True

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload = True

    def _do_reload(self) -> None:
        if self.reload_app is None:
            return
        self.notifier.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            app = self.reload_app()
        except Exception as exc:  # a bad config keeps the old one
            with self.lock:
                self.ops.config_reloads.inc("error")
            log.error("reload failed; keeping the running configuration", error=str(exc))
            self.notifier.send("READY=1", "STATUS=reload failed; old configuration kept")
            return
        with self.lock:
            self._apply(app)
            self.ops.config_reloads.inc("ok")
        log.info("reloaded", config=self.cfg.origin, sources=[s.name for s in self.cfg.sources])
        self.notifier.send("READY=1", "STATUS=following logs")

    def _apply(self, app: App) -> None:
        """Swap in new rules and sources; unchanged sources keep their positions and parsers.

        Settings that take effect at restart only keep their running values: the new config
        is the running one with those put back, every other setting as the file says.
        """
        now = self.cfg
        cfg = replace(app.config, **{key: getattr(now, key) for key in RESTART_ONLY})
        changed = [key for key in RESTART_ONLY if getattr(app.config, key) != getattr(now, key)]
        if changed:
            log.warning("these settings take effect at restart only", settings=changed)
        self.app = replace(app, config=cfg, web=self.app.web)
        self.wiring = replace(self.wiring, registry=app.registry, classifier=app.classifier)
        self.metrics_sink.set_classifier(app.classifier)
        self.sources.update(now.sources, cfg.sources, self.wiring)


# What a reload cannot change in a running daemon: the endpoint, the checkpoint's place, the
# metric names served (compat sinks are built at start), the alert notifiers and labels (the
# alert rules do reload). A reload keeps their running values.
RESTART_ONLY = ("listen", "web_config", "max_connections", "state_dir", "compat", "alerting")
