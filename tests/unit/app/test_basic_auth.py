"""Basic auth's parts on a fake clock: the bcrypt budget, the verdict cache, the dummy hash."""

from __future__ import annotations

import base64

import bcrypt

from logscan.app.endpoint.basic_auth import (
    AuthLimits,
    BasicAuth,
    BcryptBudget,
    Verdict,
    VerdictCache,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def make_auth(clock: Clock, limits: AuthLimits | None = None) -> BasicAuth:
    users = {"prom": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).replace(b"$2b$", b"$2y$")}
    dummy = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=4))
    return BasicAuth(users, dummy, limits or AuthLimits(), clock, expected=0.1)


def test_budget_refuses_when_spent_and_refills_at_its_share() -> None:
    clock = Clock()
    budget = BcryptBudget(share=0.25, burst=1.0, clock=clock)
    admitted = 0
    while budget.reserve(0.125):
        budget.settle(0.125, 0.125)
        admitted += 1
    assert admitted == 8  # one second of burst, 1/8 s a check
    clock.now += 0.5  # refills 1/8 s
    assert budget.reserve(0.125)
    assert not budget.reserve(0.125)
    budget.settle(0.125, 0.0)  # the check turned out free: its reservation comes back
    assert budget.reserve(0.125)


def test_cache_expires_unused_entries_and_drops_the_least_recently_used() -> None:
    clock = Clock()
    cache = VerdictCache(ttl=10.0, size=2, clock=clock)
    cache.put(b"a", True)
    cache.put(b"b", False)
    clock.now += 9
    assert cache.get(b"a") is True  # used: lives 10 s more
    clock.now += 9
    assert cache.get(b"a") is True and cache.get(b"b") is None  # b expired
    cache.put(b"c", False)
    cache.put(b"d", False)
    assert cache.get(b"a") is None  # evicted by size


def test_verdicts() -> None:
    clock = Clock()
    auth = make_auth(clock)
    assert auth.check(header("prom", "s3cret")) is Verdict.ALLOWED  # $2y$ read as $2b$
    assert auth.check(header("prom", "wrong")) is Verdict.DENIED
    assert auth.check(header("nobody", "s3cret")) is Verdict.DENIED
    for bad in (None, "Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()):
        assert auth.check(bad) is Verdict.DENIED
    assert BasicAuth({}, b"").check(None) is Verdict.ALLOWED  # no users: no auth


def test_floods_are_throttled_but_cached_credentials_still_pass() -> None:
    clock = Clock()
    auth = make_auth(clock, AuthLimits(bcrypt_share=0.0, bcrypt_burst=1e-9))
    assert auth.check(header("prom", "s3cret")) is Verdict.ALLOWED  # the budget's one check
    verdicts = {auth.check(header(u, f"guess-{i}")) for i in range(20) for u in ("prom", "x")}
    assert verdicts == {Verdict.THROTTLED}  # known or unknown user alike: nothing to learn
    assert auth.check(header("prom", "s3cret")) is Verdict.ALLOWED  # cached, no bcrypt


def test_repeated_wrong_password_is_answered_from_the_cache() -> None:
    clock = Clock()
    auth = make_auth(clock, AuthLimits(bcrypt_share=0.0, bcrypt_burst=1e-9, cache_ttl=60.0))
    assert auth.check(header("prom", "wrong")) is Verdict.DENIED  # the budget's one check
    assert all(auth.check(header("prom", "wrong")) is Verdict.DENIED for _ in range(20))
    clock.now += 61  # expired: it would need bcrypt again, and the budget is spent
    assert auth.check(header("prom", "wrong")) is Verdict.THROTTLED
