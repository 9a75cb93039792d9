"""What following files reports to its owner besides lines: notices and losses.

A notice is ``(kind, path, detail)``; the daemon logs it and counts some kinds. ``detail`` of a
``read_error`` is one word from a fixed set (``permission_denied``, ``io``, ``not_regular``,
``rotation_scan_unstable``, ``malformed_checkpoint_entry``): it may become a metric label.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Literal

from logscan.sources.loss import Loss

NoticeKind = Literal[
    "open",
    "rotation",
    "truncation",
    "read_error",
    "recovered",
    "cr_line_endings",
    "offset_beyond_end",
]
# notify(kind, path, detail); lose(what was lost)
Notify = Callable[[NoticeKind, str, str], None]
Lose = Callable[[Loss], None]


def ignore_loss(loss: Loss) -> None:
    pass


def error_kind(exc: OSError) -> str:
    """The ``read_error`` detail for a failed open or read."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    return "io"
