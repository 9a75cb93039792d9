"""Find parsers through the ``logscan.parsers`` entry-point group, and pick one for a log.

>>> reg = Registry.load()
>>> reg.detect(["this is not a mail log"], None) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from logscan.parser import Parser

GROUP = "logscan.parsers"
# Below this confidence no parser is picked: better "unrecognized" than a wrong parser.
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class ParserInfo:
    name: str
    origin: str  # "module:Class (distribution version)"
    cls: type[Parser] | None
    error: str | None = None


@dataclass(frozen=True)
class Registry:
    parsers: dict[str, ParserInfo] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Registry:
        """Load every registered parser; a broken plug-in is listed with its error, not fatal."""
        found: dict[str, ParserInfo] = {}
        for ep in entry_points(group=GROUP):
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"
            origin = f"{ep.value} ({dist})"
            try:
                obj = ep.load()
            except Exception as exc:  # a plug-in's import error must not stop logscan
                found[ep.name] = ParserInfo(ep.name, origin, None, f"{type(exc).__name__}: {exc}")
                continue
            if not (isinstance(obj, type) and issubclass(obj, Parser)):
                found[ep.name] = ParserInfo(ep.name, origin, None, "not a logscan.parser.Parser")
                continue
            found[ep.name] = ParserInfo(ep.name, origin, obj)
        return cls(found)

    def names(self) -> list[str]:
        return sorted(n for n, info in self.parsers.items() if info.cls is not None)

    def get(self, name: str) -> type[Parser]:
        info = self.parsers.get(name)
        if info is None:
            raise KeyError(f"no parser named {name!r}; known: {', '.join(self.names())}")
        if info.cls is None:
            raise KeyError(f"parser {name!r} failed to load: {info.error}")
        return info.cls

    def detect(self, head: Sequence[str], path: str | None) -> type[Parser] | None:
        """The parser most confident about ``head``, or None if none is confident enough."""
        best: tuple[float, str] | None = None
        for name in self.names():
            cls = self.parsers[name].cls
            assert cls is not None
            try:
                score = cls.detect(head, path)
            except Exception:  # a plug-in's detect() must not stop detection
                continue
            if score >= MIN_CONFIDENCE and (best is None or score > best[0]):
                best = (score, name)
        return self.parsers[best[1]].cls if best else None
