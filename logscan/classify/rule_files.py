"""Load the TOML rule files: the built-in ``rules/`` directory, then operators' directories.

Every ``*.toml`` file may hold any of the top-level tables the consumers read (``basic``,
``enhanced``, ``class`` for the catalogue; ``signature`` and ``provider`` for the signatures;
``alert`` for the alert engine). Files load in name order, built-in first, so a later directory
overrides an earlier one entry by entry::

    >>> docs = load_rule_files([Path("/etc/logscan/rules.d")])
    >>> "catalogue.toml" in [d.path.name for d in docs]
    True
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import logscan
from logscan.classify import rule_cache

# rule_cache name of the parsed rule files: sha256 of a file's bytes -> its TOML document.
PARSED_CACHE = "rule-files"


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file (and line or key)."""


@dataclass(frozen=True)
class RuleFile:
    path: Path
    data: dict[str, Any]
    builtin: bool

    def tables(self, name: str) -> list[dict[str, Any]]:
        """The array of tables ``[[name]]`` (empty when the file has none)."""
        items = self.data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RuleError(f"{self.path}: '{name}' must be an array of tables ([[{name}]])")
        return items


def builtin_rules_dir() -> Path:
    """The ``rules/`` shipped with logscan (inside the wheel, or beside a source checkout)."""
    here = Path(logscan.__file__).resolve().parent
    inside = here / "rules"
    return inside if inside.is_dir() else here.parent / "rules"


def load_rule_files(extra_dirs: Sequence[Path] = ()) -> list[RuleFile]:
    """Parse every rule file; raise :class:`RuleError` naming the file and line of a fault."""
    files: list[RuleFile] = []
    # Parsing the TOML is the slowest part of start-up left; a document is JSON data, so the
    # parsed files are kept by the hash of their bytes (what is read is what was parsed).
    cached = rule_cache.load(PARSED_CACHE)
    parsed: dict[str, Any] = {}
    for builtin, directory in [(True, builtin_rules_dir())] + [
        (False, Path(d)) for d in extra_dirs
    ]:
        if not directory.exists():
            if builtin:
                raise RuleError(f"{directory}: built-in rules directory is missing")
            continue  # an operator's rules.d that does not exist yet is not an error
        if not directory.is_dir():
            raise RuleError(f"{directory}: not a directory")
        try:
            paths = sorted(directory.glob("*.toml"))
        except OSError as exc:
            raise RuleError(f"{directory}: cannot list rules: {exc.strerror}") from exc
        for path in paths:
            raw = _read(path)
            key = hashlib.sha256(raw).hexdigest()
            doc = cached.get(key)
            if not isinstance(doc, dict):
                doc = parse_toml(path, raw)
            parsed[key] = doc
            files.append(RuleFile(path, doc, builtin))
    if parsed.keys() != cached.keys():
        _keep(parsed)
    return files


def _keep(parsed: dict[str, Any]) -> None:
    """Save the parsed files for the next start, unless one holds what JSON cannot (a TOML
    date): then the cache would not give back what the file says."""
    try:
        same = json.loads(json.dumps(parsed)) == parsed
    except (TypeError, ValueError):
        return
    if same:
        rule_cache.save(PARSED_CACHE, parsed)  # only the files in use: stays small


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{path}: cannot read: {exc.strerror}") from exc


def parse_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """``raw``, the bytes of ``path``, as a TOML document; RuleError naming the place of a fault."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleError(f"{path}:{line}: not valid UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: {exc}") from exc
    except RecursionError:  # tomllib recurses once per level of nested arrays/inline tables
        raise RuleError(f"{path}: arrays or inline tables nested too deeply") from None
