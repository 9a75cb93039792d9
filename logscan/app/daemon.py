"""The daemon's loop: sources -> pipelines -> sinks, checkpoints, the endpoint, signals, systemd.

One thread (the caller's) reads every source in bounded steps under the state lock; the HTTP
threads take the lock only to copy a snapshot. Sinks and periodic ticks plug in without touching
the loop (the alert engine does)::

    daemon = Daemon(cfg, Registry.load(), Classifier.load(dirs),
                    hooks=Hooks(sinks=[engine.on_event], ticks=[engine.tick]))
    daemon.run()        # until SIGTERM; SIGHUP reloads the config and the rules

Sinks (``ClassifiedEvent -> None``) and ticks (``now: float -> None``, called about every
``poll_interval`` with ``time.time()``) run in the daemon's thread, under the state lock: they must
not block (hand slow work such as notifications to a thread of your own). A hook may declare its
own metrics with ``daemon.metrics.declare(MetricSpec(...))``; they are checkpointed like ours.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from logscan.app.config import Config, SourceConfig, missing_source
from logscan.app.early_signals import EarlySignals
from logscan.app.endpoint.metrics_endpoint import MetricsServer, load_web_config
from logscan.app.sdnotify import SystemdNotify
from logscan.classify.classifier import Classifier
from logscan.core.event import MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline, Sink
from logscan.sinks.metrics import Metrics, MetricsSink, Snapshot, render
from logscan.sources.checkpoint import Checkpoint, CheckpointError, CheckpointStore
from logscan.sources.discovery import FileSource
from logscan.sources.journald import JournalReader
from logscan.sources.loss import LOSS_METRICS, Loss
from logscan.sources.loss import record as record_loss
from logscan.sources.watch import Waker

log = structlog.get_logger("logscan.app.daemon")

Tick = Callable[[float], None]
JOURNAL_BATCH = 2000
DETECT_LINES = 50
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
    (by name; not ``version``, ``written``, ``sources`` or ``counters``)."""

    sinks: Sequence[Sink] = ()
    ticks: Sequence[Tick] = ()
    sections: Mapping[str, Section] = field(default_factory=dict)
    # Where parsers report message milestones (message correlation); None: they don't.
    notes: Callable[[MessageNote], None] | None = None


class LineHandler:
    """Lines of one file (or one journal) -> its pipeline, counting outcomes into the metrics."""

    def __init__(self, daemon: Daemon, source: str, path: str, parser: str) -> None:
        self.d = daemon
        self.source = source
        self.path = path
        self.parser_name = parser  # "auto" until detected
        self.pipeline: Pipeline | None = None
        if parser != "auto":
            self._make(parser)

    def __call__(self, lines: list[str], first: int) -> None:
        if self.pipeline is None:
            cls = self.d.registry.detect(lines[:DETECT_LINES], self.path)
            if cls is not None:
                self._make(cls.name)
                log.info("parser detected", source=self.source, path=self.path, parser=cls.name)
        now = time.time()
        m = self.d.metrics
        m.set("logscan_source_last_line_timestamp_seconds", (self.source,), now)
        p = self.pipeline
        if p is None:
            m.inc("logscan_lines", (self.source, "none", "unrecognized"), len(lines))
            return
        c = p.counts
        ev, ig, un, errs = c.event, c.ignored, c.unrecognized, p.parser_errors
        evicted = p.state_evictions()
        bad_ts = p.invalid_timestamps
        p.feed_lines(lines, first)  # the block path: most lines skip the parser call
        name = self.parser_name
        if c.event != ev:
            m.inc("logscan_lines", (self.source, name, "event"), c.event - ev)
            m.set("logscan_source_last_event_timestamp_seconds", (self.source,), now)
        if c.ignored != ig:
            m.inc("logscan_lines", (self.source, name, "ignored"), c.ignored - ig)
        if c.unrecognized != un:
            m.inc("logscan_lines", (self.source, name, "unrecognized"), c.unrecognized - un)
        if p.parser_errors != errs:
            m.inc("logscan_parser_errors", (self.source, name), p.parser_errors - errs)
        evicted = p.state_evictions() - evicted
        if evicted > 0:
            m.inc("logscan_parser_state_evictions", (self.source, name), evicted)
        if p.invalid_timestamps != bad_ts:
            m.inc("logscan_invalid_timestamps", (self.source, name), p.invalid_timestamps - bad_ts)

    def _make(self, name: str) -> None:
        cls: type[Parser] = self.d.registry.get(name)
        self.parser_name = name
        self.pipeline = Pipeline(
            self.source,
            cls(path=self.path),
            self.d.classifier,
            self.d.sinks,
            notes=self.d.hooks.notes,
        )


class FileRuntime:
    """A configured file or glob source at run time."""

    def __init__(self, d: Daemon, cfg: SourceConfig, saved: dict[str, Any] | None) -> None:
        self.cfg = cfg
        self.handlers: dict[str, LineHandler] = {}
        parsers = (saved or {}).get("parsers", {})
        assert cfg.path is not None

        def make_handler(path: str) -> LineHandler:
            name = cfg.parser
            if name == "auto" and isinstance(parsers.get(path), str):
                name = parsers[path] if parsers[path] in d.registry.names() else "auto"
            h = self.handlers[path] = LineHandler(d, cfg.name, path, name)
            return h

        def notify(kind: str, path: str, detail: str) -> None:
            d.file_notice(cfg.name, kind, path, detail)

        def lose(loss: Loss) -> None:
            record_loss(d.metrics, cfg.name, loss)

        files = (saved or {}).get("files") if saved is not None else None
        self.files = FileSource(
            cfg.path,
            make_handler,
            notify,
            cfg.start,
            files if isinstance(files, dict) else None,
            lose,
        )

    def step(self) -> bool:
        return self.files.step()

    def state(self) -> dict[str, Any]:
        return {
            "kind": "file",
            "files": self.files.positions(),
            "parsers": {p: h.parser_name for p, h in self.handlers.items()},
        }

    def gauges(self, m: Metrics) -> None:
        m.set("logscan_source_lag_bytes", (self.cfg.name,), self.files.lag_bytes())
        m.set("logscan_source_files", (self.cfg.name,), self.files.open_files())
        m.set("logscan_source_up", (self.cfg.name,), 1 if self.files.open_files() else 0)

    def pipelines(self) -> list[Pipeline]:
        return [h.pipeline for h in self.handlers.values() if h.pipeline is not None]

    def close(self) -> None:
        self.files.close()


class JournalRuntime:
    """A configured journald source at run time."""

    def __init__(
        self, d: Daemon, cfg: SourceConfig, saved: dict[str, Any] | None, wake: Callable[[], None]
    ) -> None:
        self.cfg = cfg
        self.d = d
        saved = saved or {}
        cursor = saved.get("cursor") if isinstance(saved.get("cursor"), str) else None
        parser = cfg.parser
        if parser == "auto" and saved.get("parser") in d.registry.names():
            parser = saved["parser"]
        self.handler = LineHandler(d, cfg.name, f"journald:{cfg.name}", parser)
        self.cursor = cursor
        self.lineno = int(saved.get("lineno", 0)) if str(saved.get("lineno", "0")).isdigit() else 0
        # Until the first entry gives a cursor, a restart resumes at the time we started at the
        # end (a checkpoint without a cursor must not mean "the whole journal").
        since = saved.get("since")
        self.since = float(since) if isinstance(since, int | float) else None
        if cursor is None and self.since is None and cfg.start == "end":
            self.since = time.time()
        start = "beginning" if saved else cfg.start
        self.reader = JournalReader(cfg, cursor, start, on_entry=wake, since=self.since)

    def step(self) -> bool:
        entries = self.reader.drain(JOURNAL_BATCH)
        restarts = self.reader.take_restarts()
        if restarts:
            self.d.metrics.inc("logscan_journal_reader_restarts", (self.cfg.name,), restarts)
        if not entries:
            return False
        lines = [line for line, _ in entries]
        self.handler(lines, self.lineno + 1)
        self.lineno += len(lines)
        self.cursor = entries[-1][1]
        return len(entries) == JOURNAL_BATCH

    def state(self) -> dict[str, Any]:
        return {
            "kind": "journald",
            "cursor": self.cursor,
            "since": self.since,
            "lineno": self.lineno,
            "parser": self.handler.parser_name,
        }

    def gauges(self, m: Metrics) -> None:
        m.set("logscan_journal_reader_up", (self.cfg.name,), 1 if self.reader.up else 0)
        m.set("logscan_source_up", (self.cfg.name,), 1 if self.reader.up else 0)

    def pipelines(self) -> list[Pipeline]:
        return [self.handler.pipeline] if self.handler.pipeline is not None else []

    def close(self) -> None:
        self.reader.stop()


Runtime = FileRuntime | JournalRuntime


class Daemon:
    def __init__(
        self,
        cfg: Config,
        registry: Registry,
        classifier: Classifier,
        hooks: Hooks = Hooks(),
        notifier: SystemdNotify | None = None,
        reload_config: Callable[[], tuple[Config, Classifier]] | None = None,
        early_signals: EarlySignals | None = None,
    ) -> None:
        self.cfg = cfg
        self.registry = registry
        self.classifier = classifier
        self.hooks = hooks
        self.notifier = notifier or SystemdNotify.from_env()
        self.reload_config = reload_config
        self.early_signals = early_signals
        self.metrics = Metrics()
        for spec in LOSS_METRICS:
            self.metrics.declare(spec)
        self.metrics_sink = MetricsSink(self.metrics, classifier)
        self.sinks: list[Sink] = [self.metrics_sink, *hooks.sinks]
        self.lock = threading.Lock()
        self.store = CheckpointStore(Path(cfg.state_dir))
        self.sources: dict[str, Runtime] = {}
        self._wake = threading.Event()
        self._stop = False
        self._reload = False
        self._stop_signal: str | None = None  # the signal that asked us to stop, if one did
        self._seq = 0
        self._checkpoint_failing = False
        self._good_snapshot: Snapshot | None = None
        self._failing: set[str] = set()
        self.waker = Waker(self._wake.set)
        self._polled: dict[str, str] = {}
        self.server: MetricsServer | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Restore the checkpoint, open the sources, write a first checkpoint, serve metrics."""
        Path(self.cfg.state_dir).mkdir(parents=True, exist_ok=True)
        saved = self._restore()
        with self.lock:
            for src in self.cfg.sources:
                self._add_source(src, saved.get(src.name) if saved is not None else None)
        self.checkpoint()  # fails loudly now (state dir not writable) rather than at a crash
        web = load_web_config(self.cfg.web_config)
        self.server = MetricsServer(self.cfg.listen, web, self.scrape, self.cfg.max_connections)
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
                    self.metrics.inc("logscan_source_read_errors", (name, "internal"))
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
            for rt in self.sources.values():
                rt.close()
        log.info("stopped", checkpoint=str(self.store.path))

    # -- state -----------------------------------------------------------------------------

    def snapshot(self) -> tuple[int, Checkpoint, Snapshot]:
        """Positions and counters copied together, under the lock: they cannot disagree."""
        with self.lock:
            for rt in self.sources.values():
                rt.gauges(self.metrics)
            self._seq += 1
            state = Checkpoint(
                written=time.time(),
                sources={name: rt.state() for name, rt in self.sources.items()},
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
                self.metrics.inc("logscan_checkpoint_writes", ("error",))
                writes = dict(self.metrics.values["logscan_checkpoint_writes"])
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
            return {**self._good_snapshot, "logscan_checkpoint_writes": writes}
        self._good_snapshot = snap
        with self.lock:
            self.metrics.inc("logscan_checkpoint_writes", ("ok",))
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

    def _add_source(self, src: SourceConfig, saved: Any) -> None:
        saved = saved if isinstance(saved, dict) else None
        if src.path is not None and src.journald_if_missing and not os.path.exists(src.path):
            log.info("file missing: following the journal instead", source=src.name, path=src.path)
            src = SourceConfig(
                name=src.name,
                journald=True,
                parser=src.parser,
                start=src.start,
                units=src.units,
                identifiers=src.identifiers,
                journal_directory=src.journal_directory,
                journal_file=src.journal_file,
            )
        if saved is not None and saved.get("kind") != src.kind:
            saved = None
        problem = missing_source(src)
        if problem is not None:
            log.warning("source has nothing to read", source=src.name, detail=problem)
        rt: Runtime
        if src.journald:
            rt = JournalRuntime(self, src, saved, self._wake.set)
        else:
            rt = FileRuntime(self, src, saved)
        self.sources[src.name] = rt

    def _replace_source(self, before: SourceConfig, after: SourceConfig) -> None:
        """New settings for a source: same files (or journal) -> carry on from its position."""
        rt = self.sources.pop(after.name)
        state = rt.state()
        rt.close()
        if not _same_origin(before, after):
            self._add_source(after, None)
            log.warning(
                "source now reads other files: they start per its 'start' setting",
                source=after.name,
                start=after.start,
            )
            return
        if before.parser != after.parser:
            state.pop("parsers", None)  # a detected parser belongs to the old setting
            state.pop("parser", None)
        self._add_source(after, state)
        log.info("source settings changed: it keeps its position", source=after.name)

    def file_notice(self, source: str, kind: str, path: str, detail: str) -> None:
        """What a file follower reports: count it and log it (these are rare events)."""
        m = self.metrics
        if kind == "open":
            m.inc("logscan_source_opens", (source,))
            log.info("file opened", source=source, path=path, detail=detail)
        elif kind == "rotation":
            m.inc("logscan_source_rotations", (source,))
            log.info("file rotated", source=source, path=path, detail=detail)
        elif kind == "truncation":
            m.inc("logscan_source_truncations", (source,))
            log.warning("file truncated", source=source, path=path, detail=detail)
        elif kind == "read_error":
            m.inc("logscan_source_read_errors", (source, detail))
            log.warning("cannot read file; will retry", source=source, path=path, error=detail)
        elif kind == "offset_beyond_end":
            log.warning(
                "checkpoint offset beyond the end of the same file: resuming at its end",
                source=source,
                path=path,
                detail=detail,
            )
        elif kind == "recovered":
            log.info("file readable again", source=source, path=path)
        elif kind == "cr_line_endings":
            m.inc("logscan_source_read_errors", (source, "cr_line_endings"))
            log.error(
                "lines end in CR alone (old Mac style), not LF: they are not counted (at most "
                "one line, when the file is rotated); convert the file or read it with "
                "`logscan scan`, which splits at CR",
                source=source,
                path=path,
            )

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
                    self.metrics.set("logscan_source_watch_inotify", (rt.cfg.name,), int(inotify))
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
        if self.reload_config is None:
            return
        self.notifier.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            cfg, classifier = self.reload_config()
        except Exception as exc:  # a bad config keeps the old one
            with self.lock:
                self.metrics.inc("logscan_config_reloads", ("error",))
            log.error("reload failed; keeping the running configuration", error=str(exc))
            self.notifier.send("READY=1", "STATUS=reload failed; old configuration kept")
            return
        with self.lock:
            self._apply(cfg, classifier)
            self.metrics.inc("logscan_config_reloads", ("ok",))
        log.info("reloaded", config=cfg.origin, sources=[s.name for s in cfg.sources])
        self.notifier.send("READY=1", "STATUS=following logs")

    def _apply(self, cfg: Config, classifier: Classifier) -> None:
        """Swap in new rules and sources; unchanged sources keep their positions and parsers."""
        if cfg.listen != self.cfg.listen or cfg.web_config != self.cfg.web_config:
            log.warning("metrics.listen and metrics.web_config take effect at restart only")
        if cfg.max_connections != self.cfg.max_connections:
            log.warning("metrics.max_connections takes effect at restart only")
        if cfg.state_dir != self.cfg.state_dir:
            log.warning("state_dir takes effect at restart only")
        self.classifier = classifier
        self.metrics_sink.set_classifier(classifier)
        old = {s.name: s for s in self.cfg.sources}
        new = {s.name: s for s in cfg.sources}
        for name in list(self.sources):
            if name not in new:
                self.sources.pop(name).close()
                log.info("source removed", source=name)
            elif new[name] != old.get(name):
                self._replace_source(old[name], new[name])
        for name, src in new.items():
            if name not in self.sources:
                self._add_source(src, None)
                log.info("source added", source=name)
        for rt in self.sources.values():
            for p in rt.pipelines():
                p.classifier = classifier
        self.cfg = Config(
            sources=cfg.sources,
            listen=self.cfg.listen,
            web_config=self.cfg.web_config,
            max_connections=self.cfg.max_connections,
            state_dir=self.cfg.state_dir,
            rules_dirs=cfg.rules_dirs,
            checkpoint_interval=cfg.checkpoint_interval,
            poll_interval=cfg.poll_interval,
            alerting=cfg.alerting,
            origin=cfg.origin,
        )


def _same_origin(a: SourceConfig, b: SourceConfig) -> bool:
    """The same files (path or glob) or the same journal entries: positions carry over."""
    if a.journald != b.journald:
        return False
    if not a.journald:
        return a.path == b.path
    keys = ("units", "identifiers", "journal_directory", "journal_file")
    return all(getattr(a, k) == getattr(b, k) for k in keys)
