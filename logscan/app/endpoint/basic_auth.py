"""HTTP basic auth against bcrypt hashes, safe to expose: no user enumeration, bounded CPU.

bcrypt is slow on purpose (tens of milliseconds a check), which makes it both a timing oracle and
a lever for starving the daemon. So, as exporter-toolkit does:

- an unknown user is checked against a dummy hash of the same cost, so it answers as slowly as a
  known user with a wrong password;
- verdicts are cached under a keyed digest of the credentials (sliding TTL), so Prometheus pays
  bcrypt once, not at every scrape, and a client repeating a wrong password pays nothing;

and beyond it, a global budget bounds the bcrypt time per second (``BcryptBudget``): checks past
it are answered ``THROTTLED`` without running bcrypt, so a flood of guesses costs at most a
quarter of one core. The budget is spent before the user is looked up: throttling says nothing
about which users exist.

    auth = BasicAuth.from_users({"prom": b"$2b$10$..."})
    auth.check("Basic cHJvbTpzM2NyZXQ=")      # Verdict.ALLOWED / DENIED / THROTTLED
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import bcrypt

from logscan.core.bounded import BoundedMap

Clock = Callable[[], float]


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    DENIED = "denied"  # 401
    THROTTLED = "throttled"  # 429: the bcrypt budget is spent; try again later


@dataclass(frozen=True)
class AuthLimits:
    bcrypt_share: float = 0.25  # seconds of bcrypt per second, at most (a quarter of one core)
    bcrypt_burst: float = 1.0  # seconds of bcrypt that may be spent at once before that
    cache_ttl: float = 300.0  # a verdict unused this long is checked with bcrypt again
    cache_size: int = 1024  # verdicts kept; the least recently used go first


class BcryptBudget:
    """A token bucket of bcrypt seconds: refills at ``share`` per second, holds ``burst`` at most.

    A check reserves its expected cost before running (so concurrent checks see each other) and
    settles the difference after; the bucket may go into debt by the checks already admitted.
    """

    def __init__(self, share: float, burst: float, clock: Clock = time.monotonic) -> None:
        self._share = share
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()
        self._lock = threading.Lock()

    def reserve(self, expected: float) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._share)
            self._last = now
            if self._tokens <= 0:
                return False
            self._tokens -= expected
            return True

    def settle(self, expected: float, spent: float) -> None:
        with self._lock:
            self._tokens += expected - spent


class VerdictCache:
    """Recent verdicts by credential digest: LRU, bounded, entries expire ``ttl`` after last use."""

    def __init__(self, ttl: float, size: int, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: BoundedMap[bytes, tuple[bool, float]] = BoundedMap(size)
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bool | None:
        with self._lock:
            entry = self._entries.get(key)
            now = self._clock()
            if entry is None or entry[1] <= now:
                self._entries.pop(key)
                return None
            self._entries.put(key, (entry[0], now + self._ttl))
            return entry[0]

    def put(self, key: bytes, ok: bool) -> None:
        with self._lock:
            self._entries.put(key, (ok, self._clock() + self._ttl))


class BasicAuth:
    """Checks ``Authorization`` headers; no users configured means every request is allowed."""

    def __init__(
        self,
        users: Mapping[str, bytes],
        dummy: bytes,
        limits: AuthLimits = AuthLimits(),
        clock: Clock = time.monotonic,
        expected: float = 0.1,
    ) -> None:
        self._users = {u: _normalize(h) for u, h in users.items()}
        self._dummy = dummy
        self._budget = BcryptBudget(limits.bcrypt_share, limits.bcrypt_burst, clock)
        self._cache = VerdictCache(limits.cache_ttl, limits.cache_size, clock)
        # Keyed: a memory dump must not hold fast, offline-crackable hashes of passwords.
        self._key = secrets.token_bytes(32)
        self._expected = expected  # seconds per bcrypt check; learned from each check
        self._bcrypt = threading.Lock()  # one check at a time: at most one core, ever

    @classmethod
    def from_users(cls, users: Mapping[str, bytes], limits: AuthLimits = AuthLimits()) -> BasicAuth:
        """With a dummy hash as costly as the costliest user's (made once, here)."""
        cost = max((_cost(h) for h in users.values()), default=4)
        start = time.monotonic()
        dummy = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=cost))
        return cls(users, dummy, limits, expected=time.monotonic() - start)

    def check(self, header: str | None) -> Verdict:
        if not self._users:
            return Verdict.ALLOWED
        credentials = _credentials(header)
        if credentials is None:
            return Verdict.DENIED
        user, password = credentials
        key = hmac.new(self._key, user + b"\0" + password, hashlib.sha256).digest()
        cached = self._cache.get(key)
        if cached is not None:
            return Verdict.ALLOWED if cached else Verdict.DENIED
        expected = self._expected
        if not self._budget.reserve(expected):
            return Verdict.THROTTLED
        ok = self._verify(user.decode("utf-8", "replace"), password, expected)
        self._cache.put(key, ok)
        return Verdict.ALLOWED if ok else Verdict.DENIED

    def _verify(self, user: str, password: bytes, expected: float) -> bool:
        known = self._users.get(user)
        with self._bcrypt:
            start = time.monotonic()
            try:
                ok = bcrypt.checkpw(password, known if known is not None else self._dummy)
            except ValueError:  # e.g. a password past bcrypt's 72 bytes
                ok = False
            spent = time.monotonic() - start
        self._budget.settle(expected, spent)
        self._expected = spent
        return ok and known is not None


def _credentials(header: str | None) -> tuple[bytes, bytes] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    return (user, password) if sep else None


def _normalize(hashed: bytes) -> bytes:
    # htpasswd writes $2y$; the bcrypt module reads the same algorithm as $2b$.
    return hashed.replace(b"$2y$", b"$2b$", 1)


def _cost(hashed: bytes) -> int:
    """The cost of a ``$2b$10$...`` hash (10)."""
    parts = hashed.split(b"$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 10
