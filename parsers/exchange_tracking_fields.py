"""The columns of Exchange's message tracking log: the ``#Fields:`` of each version, and where
the ones the tracking reader uses are in a file's own header.

Exchange 2010 writes 26 fields; 2013, 2016 and 2019 write 30, with ``network-message-id`` in the
middle (Microsoft Learn, "Message tracking log fields"). Exchange Online's message trace export
names them with ``_`` for ``-`` and ``date_time_utc`` for ``date-time``::

    >>> Columns.of(["date_time_utc", "event_id"]).read(["2024-01-01T00:00:00Z", "FAIL"])["event-id"]
    'FAIL'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FIELDS_2010 = (
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
)
FIELDS_2013 = (
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "network-message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
    "transport-traffic-type",
    "log-id",
    "schema-version",
)


# The fields the tracking reader uses, in the order Columns.read gives them.
_WANTED = (
    "date-time",
    "event-id",
    "source",
    "recipient-address",
    "recipient-status",
    "sender-address",
    "internal-message-id",
    "total-bytes",
    "server-hostname",
    "server-ip",
    "client-hostname",
    "client-ip",
    "recipient-count",
    "source-context",
    "connector-id",
)


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the columns we read are (-1: absent), from a ``#Fields:`` header."""

    at: tuple[int, ...]

    @classmethod
    def of(cls, fields: Sequence[str]) -> Columns:
        index = {_field_name(name): i for i, name in enumerate(fields)}
        return cls(tuple(index.get(name, -1) for name in _WANTED))

    def read(self, row: list[str]) -> dict[str, str]:
        n = len(row)
        return {
            name: row[i].strip() if 0 <= i < n else ""
            for name, i in zip(_WANTED, self.at, strict=True)
        }


def _field_name(name: str) -> str:
    """The on-premises name of a column: Exchange Online's export writes ``event_id`` for
    ``event-id`` and ``date_time_utc`` for ``date-time``."""
    key = name.strip().strip('"').lower().replace("_", "-")
    return "date-time" if key == "date-time-utc" else key


COLUMNS_2010 = Columns.of(FIELDS_2010)
COLUMNS_2013 = Columns.of(FIELDS_2013)
