"""Which file is which: a copy is told from a truncation by its first bytes."""

from __future__ import annotations

import os
from pathlib import Path

from logscan.sources.file_identity import FP_MAX, contains, fingerprint, key_of_fd, key_of_path


def _fd(path: Path) -> int:
    return os.open(path, os.O_RDONLY)


def test_a_file_contains_its_copy_but_not_a_longer_or_other_one(tmp_path: Path) -> None:
    data = b"".join(b"line %d\n" % i for i in range(500))  # longer than FP_MAX
    log, copy, other = tmp_path / "mail.log", tmp_path / "mail.log.1", tmp_path / "x"
    log.write_bytes(data)
    copy.write_bytes(data[: FP_MAX + 10])
    other.write_bytes(b"another file's first bytes\n" * 50)
    fds = [_fd(p) for p in (log, copy, other)]
    try:
        f_log, f_copy, f_other = fds
        assert contains(f_log, f_copy, FP_MAX + 10)
        assert not contains(f_copy, f_log, len(data))  # the copy is shorter: truncated
        assert not contains(f_log, f_other, 100)
        assert fingerprint(f_log, FP_MAX) == fingerprint(f_copy, FP_MAX)
        assert key_of_fd(f_log) == key_of_path(str(log)) != key_of_path(str(copy))
    finally:
        for fd in fds:
            os.close(fd)
