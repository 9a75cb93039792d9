"""The names logrotate gives a log's old files, and the rotated files beside a path.

``mail.log.1`` and ``mail.log-20240101`` (``dateext``, with ``-YYYYMMDDHH`` for hourly
rotation) are read; compressed ones (``mail.log.2.gz``) are not, so rotated files must still be
uncompressed when the follower gets to them (logrotate's ``delaycompress``).

    >>> bool(rotation_pattern("/var/log/mail.log").fullmatch("mail.log-2024010112"))
    True
    >>> is_rotated_name("mail.log.2.gz"), is_rotated_name("mail.log")
    (True, False)
"""

from __future__ import annotations

import os
import re

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z")
_ROTATED_SUFFIX = r"(?:\.\d+|-\d{8}(?:\d{2})?)$"


def rotation_pattern(path: str) -> re.Pattern[str]:
    """Names logrotate gives ``path``'s old files (``mail.log.1``, ``mail.log-20240101``)."""
    return re.compile(re.escape(os.path.basename(path)) + _ROTATED_SUFFIX)


def is_rotated_name(name: str) -> bool:
    """A name that looks like a rotated or compressed log: never a glob's live file."""
    return name.endswith(COMPRESSED_SUFFIXES) or re.search(_ROTATED_SUFFIX, name) is not None


def rotated_siblings(path: str) -> list[str]:
    """The rotated files beside ``path`` now, sorted by name (none if unlistable)."""
    directory = os.path.dirname(path) or "."
    pat = rotation_pattern(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(os.path.join(directory, n) for n in names if pat.fullmatch(n))
