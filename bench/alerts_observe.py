"""Cost of the alert engine on the line path: ``AlertEngine.observe`` per classified event.

    python bench/alerts_observe.py [--events 500000] [--runs 5]

Feeds the same stream of classified events (a realistic mix of categories for a relay: mostly
deliveries and protocol progress, some deferrals, bounces and rejections) to:

- ``bare``: a loop calling a no-op sink (the floor: the loop and the call),
- ``engine``: ``AlertEngine.observe`` with the default rules (rules/alerts.toml), events
  without ``ts`` (counted at read time),
- ``engine_ts``: the same events with a log timestamp each (ISO 8601, 1 ms apart, as a busy
  Postfix log with second resolution: consecutive events mostly share their second),
- ``naive``: the same rules' filters all run on every event (no category index), for reference.

Prints the median per-event cost of each over ``--runs`` runs and the ratios to ``bare``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from logscan.classify.rule_files import load_rule_files
from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.rules import load_alert_rules

# (weight, category, class, code, enhanced, status, direction, provider, blocklist)
MIX = [
    (40, "delivered", "success", "250", "2.0.0", "sent", "outbound", "google", None),
    (30, "info", "success", "250", None, None, "inbound", None, None),
    (8, "rate-limited", "transient", "421", "4.7.28", "deferred", "outbound", "google", None),
    (5, "mailbox-unknown", "permanent", "550", "5.1.1", "bounced", "outbound", "microsoft", None),
    (4, "greylisted", "transient", "450", "4.2.0", "deferred", "outbound", None, None),
    (4, "blocklisted", "permanent", "554", "5.7.1", None, "inbound", None, "zen.spamhaus.org"),
    (3, "server-error", "transient", "451", "4.3.0", "deferred", "outbound", "yahoo", None),
    (2, "auth-failed", "permanent", "535", "5.7.8", None, "inbound", None, None),
    (
        2,
        "blocklisted",
        "permanent",
        "550",
        "5.7.1",
        "bounced",
        "outbound",
        "microsoft",
        "microsoft:S3150",
    ),
    (2, "sender-auth-failed", "permanent", "550", "5.7.26", "bounced", "outbound", "google", None),
]


def stream(n: int, seed: int = 1, with_ts: bool = False) -> list[ClassifiedEvent]:
    rnd = random.Random(seed)
    weights = [m[0] for m in MIX]
    out = []
    for i in range(n):
        _, cat, cls, code, enh, status, direction, provider, bl = rnd.choices(MIX, weights)[0]
        ev = Event(
            path="mail.log",
            line=i + 1,
            mta="postfix",
            direction=direction,
            stage="rcpt",
            status=status,
            code=code,
            enhanced=enh,
            text=f"{code} reply",
            ts=_iso(T0 + i * 0.001) if with_ts else None,
        )
        out.append(ClassifiedEvent(ev, Verdict(cls, cat, provider, bl, "m", "a")))
    return out


T0 = 1_800_000_000.0


def _iso(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%S")


def timed(events: list[ClassifiedEvent], fn: Callable[[ClassifiedEvent, float], None]) -> float:
    t0 = T0
    start = time.perf_counter()
    for i, ce in enumerate(events):
        fn(ce, t0 + i * 0.001)
    return (time.perf_counter() - start) / len(events)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    events = stream(args.events)
    stamped = stream(args.events, with_ts=True)
    rules = load_alert_rules(load_rule_files())
    filters = [r.filter.matches for r in rules if r.signal == "events"]
    filters += [r.of.matches for r in rules if r.of is not None]

    def bare(ce: ClassifiedEvent, now: float) -> None:
        pass

    def naive(ce: ClassifiedEvent, now: float) -> None:
        for f in filters:
            f(ce)

    results: dict[str, list[float]] = {"bare": [], "engine": [], "engine_ts": [], "naive": []}
    for _ in range(args.runs):  # interleaved, so drift hits every variant alike
        engine = AlertEngine(rules)
        results["bare"].append(timed(events, bare))
        results["engine"].append(timed(events, engine.observe))
        results["engine_ts"].append(timed(stamped, AlertEngine(rules).observe))
        results["naive"].append(timed(events, naive))
    floor = statistics.median(results["bare"])
    print(f"{args.events} events, {len(rules)} rules, median of {args.runs} runs")
    for name, runs in results.items():
        med = statistics.median(runs)
        print(f"{name:9s} {med * 1e9:8.0f} ns/event  {1 / med:12,.0f} events/s  x{med / floor:.1f}")


if __name__ == "__main__":
    main()
