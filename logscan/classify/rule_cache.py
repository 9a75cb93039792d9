"""A small on-disk cache of what is slow to work out from the rules and depends only on them.

``logscan`` starts often (``explain``, ``scan`` of a small file): parsing the TOML rule files and
working out the needles of every signature pattern took most of its start-up. Both depend only
on their input (a file's bytes; a pattern's text and Python's regex parser), so they are kept in
``$XDG_CACHE_HOME/logscan`` (default ``~/.cache``), keyed by that input (the sha256 of a rule
file, the pattern text), in files named by the Python and logscan versions. JSON, not pickle:
reading it runs no code. Any problem (no home, read-only, corrupt file) just means no cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import logscan

# Bump when the cached analysis changes meaning (see needles.analyse).
FORMAT = 1


def cache_file(name: str) -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or (
        str(Path.home() / ".cache") if os.environ.get("HOME") else ""
    )
    if not base:
        return None
    version = getattr(logscan, "__version__", "0")
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}{sys.version_info[2]}-{version}-{FORMAT}"
    return Path(base) / "logscan" / f"{name}-{tag}.json"


def load(name: str) -> dict[str, Any]:
    """The cached mapping ``name``, empty when there is none or it cannot be read."""
    path = cache_file(name)
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(name: str, data: dict[str, Any]) -> None:
    """Replace the cached mapping ``name`` (atomically: readers see the old or the new file)."""
    path = cache_file(name)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:  # a full disk: no cache, and no half-written file left behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
