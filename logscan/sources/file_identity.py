"""Which file is which: device and inode, and a hash of the first bytes.

The inode says which file a name points to now; the first bytes say whether two files hold the
same lines (logrotate's ``copytruncate`` makes a copy under a new inode) and whether a file was
rewritten in place under the same one. Fewer than ``FP_MIN`` first bytes say too little: a
file that short is known by its inode alone.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

# Identity: the first bytes of a file (up to FP_MAX) hashed; below FP_MIN the inode must match.
FP_MAX = 1024
FP_MIN = 32

FileKey = tuple[int, int]  # (device, inode)


@dataclass(frozen=True)
class Identity:
    """Which file: device and inode, and a hash of its first ``fp_len`` bytes."""

    dev: int
    ino: int
    fp_len: int
    fp: str


def fingerprint(fd: int, length: int) -> str:
    return hash_head(os.pread(fd, length, 0))


def hash_head(head: bytes) -> str:
    """The fingerprint of first bytes already read."""
    return hashlib.sha1(head, usedforsecurity=False).hexdigest()


def key_of_fd(fd: int) -> FileKey:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def key_of_path(path: str) -> FileKey:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def contains(fd: int, copy_fd: int, copy_size: int) -> bool:
    """The file ``fd`` starts like the copy and is at least as long: a copy, not a truncation."""
    if os.fstat(fd).st_size < copy_size:
        return False
    length = min(copy_size, FP_MAX)
    return fingerprint(fd, length) == fingerprint(copy_fd, length)
