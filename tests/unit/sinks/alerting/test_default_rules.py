"""The built-in rules (rules/alerts.toml) each fire on their own burst, with their labels."""

from __future__ import annotations

from logscan.sinks.alerting.engine import AlertEngine
from tests.helpers.alert_helpers import OPTS, T0, event


def default_engine() -> AlertEngine:
    from logscan.classify.rule_files import load_rule_files
    from logscan.sinks.alerting.rules import load_alert_rules

    return AlertEngine(load_alert_rules(load_rule_files()), options=OPTS)


def burst(e: AlertEngine, ce: object, n: int, start: float = T0, step: float = 1.0) -> None:
    for i in range(n):
        e.observe(ce, start + i * step)  # type: ignore[arg-type]


def fired(e: AlertEngine, now: float) -> dict[str, dict[str, str]]:
    return {a.labels["alertname"]: dict(a.labels) for a in e.tick(now) if a.status == "firing"}


def test_default_421_per_provider_carries_the_provider_label() -> None:
    e = default_engine()
    ms = event(
        "service-unavailable",
        code="421",
        enhanced="4.3.2",
        provider="microsoft",
        blocklist=None,
        status="deferred",
    )
    burst(e, ms, 9)
    assert fired(e, T0 + 10) == {}
    burst(e, ms, 1, start=T0 + 10)
    [(name, labels)] = fired(e, T0 + 11).items()
    assert name == "ServiceUnavailable421" and labels["provider"] == "microsoft"


def test_default_rules_each_fire_on_their_own_burst() -> None:
    cases = {
        "RateLimitedByProvider": (
            # a 452 4.5.3 (too many recipients): a 421 would also be ServiceUnavailable421
            event("rate-limited", code="452", enhanced="4.5.3", provider="google", blocklist=None),
            20,
        ),
        "SenderAuthFailures": (
            event(
                "sender-auth-failed",
                code="550",
                enhanced="5.7.26",
                provider="yahoo",
                blocklist=None,
            ),
            10,
        ),
        "InboundAuthFailedBurst": (
            event("auth-failed", code="535", enhanced="5.7.8", direction="inbound", blocklist=None),
            30,
        ),
        "UnknownMailboxBounces": (
            event("mailbox-unknown", code="550", enhanced="5.1.1", blocklist=None),
            50,
        ),
        "BlocklistRejections": (event("blocklisted"), 3),
    }
    for name, (ce, n) in cases.items():
        e = default_engine()
        burst(e, ce, n - 1, step=0.5)
        assert fired(e, T0 + n) == {}, name
        burst(e, ce, 1, start=T0 + n)
        assert set(fired(e, T0 + n + 1)) == {name}, name


def test_default_ratio_rules_need_their_for_duration() -> None:
    e = default_engine()
    deferred = event("greylisted", code="451", enhanced="4.7.1", status="deferred", blocklist=None)
    sent = event("delivered", code="250", enhanced="2.0.0", status="sent", blocklist=None)
    for i in range(60):  # per second: one 451 deferral, one delivery: 50 % of both
        burst(e, deferred, 1, start=T0 + i)
        burst(e, sent, 1, start=T0 + i + 0.5)
    names = set(fired(e, T0 + 60))
    assert names == set()  # over both thresholds, but each holds for a while first
    for i in range(60, 700):
        burst(e, deferred, 1, start=T0 + i)
        burst(e, sent, 1, start=T0 + i + 0.5)
        names |= set(fired(e, T0 + i + 0.9))
        if i == 60 + 5 * 60 - 5:
            assert names == set()
    assert names == {"TransientReplies451Ratio", "DeferralRatioHigh"}


def test_default_554_rate_per_provider_fires_on_outbound_refusals_only() -> None:
    # 554 without a named list (a provider's own reputation block): 9 in 15 minutes is 0.01/s.
    def refusal(direction: str, provider: str | None) -> object:
        return event(
            "policy-rejected",
            code="554",
            enhanced="5.7.1",
            provider=provider,
            blocklist=None,
            direction=direction,
            status="bounced" if direction == "outbound" else "rejected",
        )

    e = default_engine()
    burst(e, refusal("inbound", "microsoft"), 200, step=0.5)  # our own refusals: never
    burst(e, refusal("outbound", "microsoft"), 8, start=T0 + 100)
    assert fired(e, T0 + 120) == {}
    burst(e, refusal("outbound", "microsoft"), 1, start=T0 + 120)
    [(name, labels)] = fired(e, T0 + 121).items()
    assert name == "Refusals554ByProvider" and labels["provider"] == "microsoft"
    # a host that is no known provider counts in the group "other"
    burst(e, refusal("outbound", None), 9, start=T0 + 130)
    assert {lab["provider"] for lab in [fired(e, T0 + 140)["Refusals554ByProvider"]]} == {"other"}
