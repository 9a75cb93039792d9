"""Lines the daemon knows it could not read: what was lost, why, and how it is reported.

A follower reports a :class:`Loss` when a file it still had to read is gone for good (deleted by
logrotate while the daemon was down or behind, or never readable before it was rotated away). The
daemon counts it in two counters, checkpointed like every other, and logs a warning naming the
file. ``bytes`` is what the daemon knew to be unread (the file's size at the last checkpoint or
the last look, minus the offset reached): a lower bound, since the file may have grown after.

Reasons (the ``reason`` label; a fixed set):

``rotated_file_gone``
    a file the checkpoint lists (a rotated file being finished, or the current file) is no
    longer under any rotation name: deleted before the daemon got to its end.
``unreadable_file_gone``
    the path named a file the daemon could not open (permission denied, out of descriptors),
    and that file was rotated away and deleted before it became readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import structlog

from logscan.sinks.metrics import Metrics, MetricSpec

log = structlog.get_logger("logscan.sources.loss")

LossReason = Literal["rotated_file_gone", "unreadable_file_gone"]
REASONS: tuple[LossReason, ...] = ("rotated_file_gone", "unreadable_file_gone")

LOSS_METRICS = (
    MetricSpec(
        "logscan_source_lost_bytes",
        "counter",
        "Bytes of a source known to be lost unread (a lower bound), by reason "
        "(rotated_file_gone, unreadable_file_gone)",
        ("source", "reason"),
    ),
    MetricSpec(
        "logscan_source_lost_files",
        "counter",
        "Files of a source lost with lines possibly unread, by reason "
        "(rotated_file_gone, unreadable_file_gone)",
        ("source", "reason"),
    ),
)


@dataclass(frozen=True)
class Loss:
    """One file gone before the daemon could finish it."""

    path: str  # the name it had when the daemon last saw it (logged, never a label)
    reason: LossReason
    bytes: int  # known unread bytes: a lower bound


def record(metrics: Metrics, source: str, loss: Loss) -> None:
    """Count ``loss`` (call under the daemon's state lock) and log it."""
    metrics.inc("logscan_source_lost_files", (source, loss.reason))
    metrics.inc("logscan_source_lost_bytes", (source, loss.reason), loss.bytes)
    # The older, coarser counter that alerts may already use.
    metrics.inc("logscan_source_read_errors", (source, "rotated_file_lost"))
    log.warning(
        "file gone before it was read to its end: its unread lines are lost",
        source=source,
        path=loss.path,
        reason=loss.reason,
        lost_bytes_at_least=loss.bytes,
    )
