"""Find parsers through the ``logscan.parsers`` entry-point group, and pick one for a log.

>>> reg = Registry.load()
>>> reg.detect(["this is not a mail log"], None) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from logscan.parsing.api import Parser

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
    """The registered parsers, each imported when first asked for: ``scan --parser postfix``
    need not import the other parsers' modules (a good part of the start-up)."""

    entries: Mapping[str, EntryPoint] = field(default_factory=dict)
    _loaded: dict[str, ParserInfo] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls) -> Registry:
        """Every registered parser (imported lazily; see :meth:`info`)."""
        return cls({ep.name: ep for ep in entry_points(group=GROUP)})

    @property
    def parsers(self) -> dict[str, ParserInfo]:
        """Every parser, loaded; a broken plug-in is listed with its error, not fatal."""
        return {name: self.info(name) for name in self.entries}

    def info(self, name: str) -> ParserInfo:
        """Parser ``name``, imported on first use (KeyError if none is registered so)."""
        info = self._loaded.get(name)
        if info is None:
            info = self._loaded[name] = _load(self.entries[name])
        return info

    def names(self) -> list[str]:
        return sorted(n for n, info in self.parsers.items() if info.cls is not None)

    def get(self, name: str) -> type[Parser]:
        info = self.info(name) if name in self.entries else None
        if info is None:
            raise KeyError(f"no parser named {name!r}; known: {', '.join(self.names())}")
        if info.cls is None:
            raise KeyError(f"parser {name!r} failed to load: {info.error}")
        return info.cls

    def detect(self, head: Sequence[str], path: str | None) -> type[Parser] | None:
        """The parser most confident about ``head``, or None if none is confident enough."""
        best: tuple[float, str] | None = None
        for name in self.names():
            cls = self.info(name).cls
            assert cls is not None
            try:
                score = cls.detect(head, path)
            except Exception:  # a plug-in's detect() must not stop detection
                continue
            if score >= MIN_CONFIDENCE and (best is None or score > best[0]):
                best = (score, name)
        return self.info(best[1]).cls if best else None


def _load(ep: EntryPoint) -> ParserInfo:
    dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"
    origin = f"{ep.value} ({dist})"
    try:
        obj = ep.load()
    except Exception as exc:  # a plug-in's import error must not stop logscan
        return ParserInfo(ep.name, origin, None, f"{type(exc).__name__}: {exc}")
    if not (isinstance(obj, type) and issubclass(obj, Parser)):
        return ParserInfo(ep.name, origin, None, "not a logscan.parsing.api.Parser")
    return ParserInfo(ep.name, origin, obj)
