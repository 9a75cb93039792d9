"""Notifiers deliver alerts off the line path: Alertmanager (v2 API), a JSON webhook, the log.

The :class:`Dispatcher` gives each notifier its own thread and bounded queue. ``submit`` never
blocks: when a queue is full the oldest batch is dropped (the next one carries the newer state).
A failed send is retried with exponential back-off; nothing a notifier does can raise into the
daemon::

    >>> d = Dispatcher([LogNotifier()])
    >>> d.start()
    >>> d.submit([])          # the engine's tick hands its alerts here
    >>> d.close(timeout=2.0)

Counts of notifications by (alert, notifier, result) feed ``logscan_alert_notifications_total``;
``result`` is ``success``, ``failed`` (gave up after the retries) or ``dropped`` (queue full).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

import logscan
from logscan.sinks.alerting.alert import Alert

RESULTS = ("success", "failed", "dropped")


class NotifyError(Exception):
    """A delivery that failed (and may be retried)."""


class Notifier(Protocol):
    """One destination. ``name`` is the ``notifier`` metric label (a fixed word per kind)."""

    name: str
    wants_repeats: bool  # also the re-sends of alerts still firing (Alertmanager)

    def send(self, alerts: Sequence[Alert]) -> None:
        """Deliver ``alerts`` or raise :class:`NotifyError`."""


def rfc3339(t: float) -> str:
    """Unix time as the RFC 3339 UTC time Alertmanager reads.

    >>> rfc3339(0.25)
    '1970-01-01T00:00:00.250Z'
    """
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> None:
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("User-Agent", f"logscan/{logscan.__version__}")
    for k, v in headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode("utf-8", "replace").strip()
        raise NotifyError(f"{url}: HTTP {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotifyError(f"{url}: {reason}") from None


@dataclass
class AlertmanagerNotifier:
    """``POST /api/v2/alerts`` to one Alertmanager.

    A firing alert is sent with ``endsAt`` a few re-send intervals ahead (as Prometheus does), so
    Alertmanager keeps it active while the re-sends arrive and resolves it by itself if logscan
    stops; a resolved alert is sent with the ``endsAt`` at which it resolved.
    """

    url: str
    resend_interval: float = 60.0
    timeout: float = 5.0
    name: str = "alertmanager"
    wants_repeats: bool = True

    def payload(self, alerts: Sequence[Alert], now: float) -> list[dict[str, Any]]:
        out = []
        for a in alerts:
            ends = a.ends_at if a.ends_at is not None else now + 4 * self.resend_interval
            out.append(
                {
                    "labels": dict(a.labels),
                    "annotations": dict(a.annotations),
                    "startsAt": rfc3339(a.starts_at),
                    "endsAt": rfc3339(ends),
                    "generatorURL": a.generator_url,
                }
            )
        return out

    def send(self, alerts: Sequence[Alert]) -> None:
        body = json.dumps(self.payload(alerts, time.time())).encode()
        _post(self.url.rstrip("/") + "/api/v2/alerts", body, {}, self.timeout)


SIGNATURE_HEADER = "X-Logscan-Signature"


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value of a webhook body: ``sha256=<hex HMAC-SHA256>``.

    >>> sign(b"k", b"{}")
    'sha256=add853b103fbcc936a194f9eb15e29c4ff08af6e47d5d1bca4f20218e31e4fff'
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass
class WebhookNotifier:
    """A JSON ``POST`` per batch of transitions, signed when a secret is set.

    Body: ``{"version": "1", "sender": "logscan", "alerts": [{"status", "labels",
    "annotations", "startsAt", "endsAt"|null, "generatorURL"}, ...]}``. The receiver checks
    ``X-Logscan-Signature: sha256=<hex>`` = HMAC-SHA256(secret, raw body).
    """

    url: str
    secret: bytes | None = None
    timeout: float = 5.0
    name: str = "webhook"
    wants_repeats: bool = False

    def body(self, alerts: Sequence[Alert]) -> bytes:
        doc = {
            "version": "1",
            "sender": "logscan",
            "alerts": [
                {
                    "status": a.status,
                    "labels": dict(a.labels),
                    "annotations": dict(a.annotations),
                    "startsAt": rfc3339(a.starts_at),
                    "endsAt": rfc3339(a.ends_at) if a.ends_at is not None else None,
                    "generatorURL": a.generator_url,
                }
                for a in alerts
            ],
        }
        return json.dumps(doc, sort_keys=True).encode()

    def send(self, alerts: Sequence[Alert]) -> None:
        body = self.body(alerts)
        headers = {SIGNATURE_HEADER: sign(self.secret, body)} if self.secret else {}
        _post(self.url, body, headers, self.timeout)


@dataclass
class LogNotifier:
    """One structured log record per transition (structlog)."""

    name: str = "log"
    wants_repeats: bool = False

    def send(self, alerts: Sequence[Alert]) -> None:
        log = structlog.get_logger("logscan.sinks.alerting.engine")
        for a in alerts:
            fields = {k: v for k, v in a.labels.items() if k not in ("alertname",)}
            method = log.warning if a.status == "firing" else log.info
            method(
                f"alert {a.status}",
                alert=a.name,
                summary=a.annotations.get("summary", ""),
                sample=a.annotations.get("sample", ""),
                **fields,
            )


@dataclass(frozen=True)
class Backoff:
    """Retry delays: ``first``, doubling up to ``cap``, at most ``attempts`` tries in all."""

    first: float = 1.0
    cap: float = 60.0
    attempts: int = 6

    def delays(self) -> list[float]:
        """
        >>> Backoff(first=1, cap=5, attempts=5).delays()
        [1, 2, 4, 5]
        """
        return [min(self.cap, self.first * 2**i) for i in range(self.attempts - 1)]


class _Worker:
    def __init__(self, notifier: Notifier, size: int, backoff: Backoff, dispatcher: Dispatcher):
        self.notifier = notifier
        self.queue: queue.Queue[list[Alert] | None] = queue.Queue(maxsize=size)
        self.backoff = backoff
        self.dispatcher = dispatcher
        self.thread = threading.Thread(
            target=self._run, name=f"logscan-notify-{notifier.name}", daemon=True
        )
        self.log = structlog.get_logger("logscan.sinks.alerting.notifiers")

    def offer(self, alerts: list[Alert]) -> None:
        while True:
            try:
                self.queue.put_nowait(alerts)
                return
            except queue.Full:
                try:
                    dropped = self.queue.get_nowait()
                except queue.Empty:
                    continue
                if dropped is not None:
                    self.dispatcher.count(dropped, self.notifier.name, "dropped")

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            self._deliver(batch)

    def _deliver(self, batch: list[Alert]) -> None:
        delays = [*self.backoff.delays(), None]
        for attempt, delay in enumerate(delays, start=1):
            try:
                self.notifier.send(batch)
            except Exception as exc:  # a notifier's bug must not kill its thread either
                self.log.warning(
                    "notification failed",
                    notifier=self.notifier.name,
                    attempt=attempt,
                    error=str(exc),
                    retry_in=delay,
                )
                if delay is None or self.dispatcher.stopping.wait(delay):
                    break
                continue
            self.dispatcher.count(batch, self.notifier.name, "success")
            return
        self.dispatcher.count(batch, self.notifier.name, "failed")


class Dispatcher:
    """Fan alerts out to notifiers, each on its own thread (see the module docstring)."""

    def __init__(
        self, notifiers: Sequence[Notifier], queue_size: int = 64, backoff: Backoff | None = None
    ) -> None:
        self.stopping = threading.Event()
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._workers = [_Worker(n, queue_size, backoff or Backoff(), self) for n in notifiers]
        self._started = False

    @property
    def notifiers(self) -> list[Notifier]:
        return [w.notifier for w in self._workers]

    def start(self) -> None:
        if not self._started:
            self._started = True
            for w in self._workers:
                w.thread.start()

    def submit(self, alerts: Sequence[Alert]) -> None:
        """Queue ``alerts`` for every notifier; never blocks."""
        for w in self._workers:
            batch = [a for a in alerts if w.notifier.wants_repeats or not a.repeat]
            if batch:
                w.offer(batch)

    def count(self, alerts: Sequence[Alert], notifier: str, result: str) -> None:
        with self._lock:
            for a in alerts:
                self._counts[(a.name, notifier, result)] += 1

    def counts(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._counts)

    def restore_counts(self, counts: Mapping[tuple[str, str, str], int]) -> None:
        """Start from checkpointed counts, so the counter never goes down after a restart."""
        with self._lock:
            self._counts.update(counts)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued within ``timeout`` seconds, then stop the threads."""
        deadline = time.monotonic() + timeout
        for w in self._workers:
            if w.thread.is_alive():
                with contextlib.suppress(queue.Full):
                    w.queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.thread.is_alive():
                w.thread.join(max(0.0, deadline - time.monotonic()))
        self.stopping.set()
        for w in self._workers:
            if w.thread.is_alive():
                w.thread.join(1.0)
