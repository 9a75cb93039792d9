"""Where a restart resumes one file: a checkpoint's entry for it, typed and versioned.

A followed path checkpoints a list of these, oldest file first: every file still to read (a
rotated file being finished, copies, the current file). On disk each is a JSON object::

    >>> ident = Identity(2049, 12, 5, "ab" * 20, 77)
    >>> p = ResumePosition("/var/log/mail.log", ident, 5, 1, {}, 5, 7)
    >>> p.to_json()["version"], ResumePosition.from_json(p.to_json()) == p
    (3, True)

Versions: entries without a ``version`` are version 1, written before entries had one; some
lack ``siblings`` (read as none), and ``size`` and ``mtime_ns`` (read as unknown: no loss size,
no successors of a file gone). Version 2 holds those. Version 3 adds the generation of the
file's inode (``gen``, null where the file system keeps none) and of each sibling's (a fourth
item); in older entries it is unknown, and the inode number alone says which file it is.
:meth:`ResumePosition.from_json` checks every value (types, ranges, the hash's form) and raises
:class:`MalformedPosition` naming the field, so the checkpoint can say what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from logscan.sources.file_identity import FileKey, Identity, Sibling

Version = Literal[1, 2, 3]
POSITION_VERSION: Literal[3] = 3
GEN_MAX = 2**32 - 1  # the kernel's generation is 32 bits
MAX_OFFSET = 2**63 - 1  # what the kernel's off_t holds
MAX_FP_LEN = 1 << 20  # far above FP_MAX: any length an older release may have hashed
_HEX = frozenset("0123456789abcdef")
_INTEGER = f"an integer in 0..{MAX_OFFSET}"

JsonObject = dict[str, Any]


class MalformedPosition(ValueError):
    """An entry that is not a position: ``field`` ("" for the entry itself) must be
    ``expected``."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field or 'position'} must be {expected}")
        self.field = field
        self.expected = expected


@dataclass(frozen=True)
class ResumePosition:
    """One file still to read: which file (``identity``), and how far its lines were counted.

    ``siblings``: the rotated files there when it was opened, by (device, inode), with their
    sizes and generations (older files, never its successors or copies). ``size`` and
    ``mtime_ns``: what a restart needs if the file is gone by then (how much was unread; its
    successors, if any, were written later); None only in version 1 entries that lack them.
    """

    path: str  # the name it was opened under
    identity: Identity
    offset: int  # end of the last complete line handed over
    lineno: int
    siblings: Mapping[FileKey, Sibling]
    size: int | None
    mtime_ns: int | None
    version: Version = POSITION_VERSION

    def __post_init__(self) -> None:
        if self.version != 1 and (self.size is None or self.mtime_ns is None):
            raise ValueError(f"a version {self.version} position has a size and an mtime")

    def to_json(self) -> JsonObject:
        """The entry on disk: the current version with every field; an older one as read."""
        ident = self.identity
        doc: JsonObject = {"version": self.version} if self.version != 1 else {}
        doc.update(
            path=self.path,
            dev=ident.dev,
            ino=ident.ino,
            fp_len=ident.fp_len,
            fp=ident.fp,
            offset=self.offset,
            lineno=self.lineno,
            siblings=[
                [dev, ino, s.size, s.gen] if self.version >= 3 else [dev, ino, s.size]
                for (dev, ino), s in self.siblings.items()
            ],
        )
        if self.size is not None:
            doc["size"] = self.size
        if self.mtime_ns is not None:
            doc["mtime_ns"] = self.mtime_ns
        if self.version >= 3:
            doc["gen"] = ident.gen
        return doc

    @classmethod
    def from_json(cls, raw: Any) -> ResumePosition:
        """An entry of any version, every value checked; MalformedPosition if not one."""
        if not isinstance(raw, dict):
            raise MalformedPosition("", "an object")
        version = raw.get("version", 1)
        if type(version) is not int or version not in (1, 2, 3):
            raise MalformedPosition("version", f"1 to {POSITION_VERSION}")
        known_version: Version = 1 if version == 1 else 2 if version == 2 else 3
        if not isinstance(raw.get("path"), str):
            raise MalformedPosition("path", "a string")
        dev, ino, offset, lineno = (_integer(raw, k) for k in ("dev", "ino", "offset", "lineno"))
        # Absent only in version 1 (absent, they read as unknown; present, they must be right).
        size, mtime_ns = (
            _integer(raw, k) if k in raw or version != 1 else None for k in ("size", "mtime_ns")
        )
        if not _is_int(raw.get("fp_len"), MAX_FP_LEN):
            raise MalformedPosition("fp_len", "a small integer")
        fp = raw.get("fp")
        if not (isinstance(fp, str) and len(fp) in (0, 40) and set(fp) <= _HEX):
            raise MalformedPosition("fp", "a SHA-1 in hex (or empty)")
        if version != 1 and "siblings" not in raw:
            raise MalformedPosition("siblings", "a list")
        gen = raw.get("gen")
        if version >= 3 and ("gen" not in raw or not (gen is None or _is_int(gen, GEN_MAX))):
            raise MalformedPosition("gen", f"an integer in 0..{GEN_MAX} or null")
        return cls(
            raw["path"],
            Identity(dev, ino, raw["fp_len"], fp, gen if version >= 3 else None),
            offset,
            lineno,
            _siblings(raw.get("siblings", []), version),
            size,
            mtime_ns,
            known_version,
        )


def _is_offset(v: Any) -> bool:
    """An integer a file offset can be (not a bool, not negative, within off_t)."""
    return _is_int(v, MAX_OFFSET)


def _is_int(v: Any, high: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= high


def _integer(raw: JsonObject, key: str) -> int:
    value: Any = raw.get(key)
    if not _is_offset(value):
        raise MalformedPosition(key, _INTEGER)
    return int(value)


def _siblings(raw: Any, version: int) -> dict[FileKey, Sibling]:
    if not isinstance(raw, list):
        raise MalformedPosition("siblings", "a list")
    if version < 3:
        if not all(_is_sibling(s, 3) for s in raw):
            raise MalformedPosition("siblings", "a list of [dev, inode, size]")
        return {(dev, ino): Sibling(size, None) for dev, ino, size in raw}
    if not all(_is_sibling(s, 4) and (s[3] is None or _is_int(s[3], GEN_MAX)) for s in raw):
        raise MalformedPosition("siblings", "a list of [dev, inode, size, generation or null]")
    return {(dev, ino): Sibling(size, gen) for dev, ino, size, gen in raw}


def _is_sibling(s: Any, items: int) -> bool:
    return isinstance(s, list) and len(s) == items and all(_is_offset(v) for v in s[:3])
