"""Which file is which: device and inode, and a hash of the first bytes.

The inode says which file a name points to now; the first bytes say whether two files hold the
same lines (logrotate's ``copytruncate`` makes a copy under a new inode) and whether a file was
rewritten in place under the same one. Fewer than ``FP_MIN`` first bytes say too little: a
file that short is known by its inode alone, and then by its inode's generation too where the
file system keeps one (ext4, XFS, Btrfs): logrotate deletes a file and creates another, and the
new file may get the freed inode number, but not its generation.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import sys
from dataclasses import dataclass

# Identity: the first bytes of a file (up to FP_MAX) hashed; below FP_MIN the inode must match.
FP_MAX = 1024
FP_MIN = 32

FileKey = tuple[int, int]  # (device, inode)

# Linux's FS_IOC_GETVERSION, _IOR('v', 1, long): the kernel stores the generation as a C int.
_FS_IOC_GETVERSION = (2 << 30) | (struct.calcsize("l") << 16) | (ord("v") << 8) | 1


@dataclass(frozen=True)
class Identity:
    """Which file: device and inode (and the inode's generation, None where the file system
    keeps none), and a hash of its first ``fp_len`` bytes."""

    dev: int
    ino: int
    fp_len: int
    fp: str
    gen: int | None = None


@dataclass(frozen=True)
class Sibling:
    """A rotated file seen beside a followed one: its size then, and its inode's generation (None
    where unknown), which tells it from a later file given the same inode number."""

    size: int
    gen: int | None


def fingerprint(fd: int, length: int) -> str:
    return hash_head(os.pread(fd, length, 0))


def hash_head(head: bytes) -> str:
    """The fingerprint of first bytes already read."""
    return hashlib.sha1(head, usedforsecurity=False).hexdigest()


def generation(fd: int) -> int | None:
    """The generation of ``fd``'s inode: a new one each time the inode number is given to a new
    file. None where the file system does not say (tmpfs, NFS, not Linux)."""
    try:
        raw = fcntl.ioctl(fd, _FS_IOC_GETVERSION, bytes(struct.calcsize("l")))
    except OSError:
        return None
    return int.from_bytes(raw[:4], sys.byteorder)


def same_generation(fd: int, ident: Identity) -> bool:
    """``fd``'s inode (the inode ``ident`` names) is still that file's, as far as can be told: not
    freed and given to a new file since (an unknown generation tells nothing)."""
    return ident.gen is None or generation(fd) in (None, ident.gen)


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
