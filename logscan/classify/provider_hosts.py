"""Provider names from host names: the ``[[provider]]`` tables of ``rules/providers.toml``.

Each provider lists host-name suffixes; the longest listed suffix of a host names its provider::

    >>> hosts = ProviderHosts.of({".google.com": "google", ".outlook.com": "microsoft"})
    >>> [hosts.provider_of(h) for h in ("aspmx.l.google.com.", "mx.example", None)]
    ['google', None, None]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from logscan.classify.rule_files import RuleError, RuleFile

# Bound of the host -> provider memo: a log names few hosts many times.
_MEMO = 4096


def hosts_from_table(rf: RuleFile, raw: dict[str, Any]) -> dict[str, str]:
    """One ``[[provider]]`` of ``rf``: its host suffixes (``".google.com"``) -> its name."""
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{rf.path}: [[provider]] needs a 'name'")
    unknown = set(raw) - {"name", "hosts"}
    if unknown:
        raise RuleError(
            f"{rf.path}: provider {name!r}: unknown key(s) {', '.join(sorted(unknown))}"
        )
    names = raw.get("hosts", [])
    if not isinstance(names, list) or not all(isinstance(h, str) for h in names):
        raise RuleError(f"{rf.path}: provider {name!r}: 'hosts' must be a list of strings")
    return {"." + host.lower().strip("."): name for host in names}


@dataclass(frozen=True)
class ProviderHosts:
    suffixes: tuple[tuple[str, str], ...]  # (".google.com", "google"), longest first
    _by_suffix: Mapping[str, str] = field(repr=False, compare=False)
    _memo: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, hosts: Mapping[str, str]) -> ProviderHosts:
        return cls(tuple(sorted(hosts.items(), key=lambda kv: -len(kv[0]))), dict(hosts))

    def names(self) -> frozenset[str]:
        return frozenset(name for _, name in self.suffixes)

    def provider_of(self, host: str | None) -> str | None:
        if not host:
            return None
        try:
            return self._memo[host]
        except KeyError:
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            provider = self._memo[host] = self._by_longest_suffix(host)
            return provider

    def _by_longest_suffix(self, host: str) -> str | None:
        # Label by label from the full name down: the longest listed suffix wins, and the cost
        # is a few dict lookups whatever the number of providers.
        h = "." + host.lower().rstrip(".")
        hosts = self._by_suffix
        while h:
            name = hosts.get(h)
            if name is not None:
                return name
            dot = h.find(".", 1)
            if dot < 0:
                return None
            h = h[dot:]
        return None
