"""The daemon's message tracker holds the ``[messages]`` bounds of its config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon

pytestmark = pytest.mark.integration


def test_max_in_flight_evicts_the_oldest(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    # 150 messages arrive and none leaves: past 100 in flight, the oldest are evicted.
    log.write_text(
        "".join(
            f"Nov 29 00:00:01 mx postfix/smtpd[1]: {i:05X}ABCD: client=h.example[192.0.2.1]\n"
            for i in range(150)
        )
    )
    config = (
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[[sources]]\npath = "{log}"\nparser = "postfix"\nstart = "beginning"\n'
        "[messages]\nmax_in_flight = 100\n"
    )
    d = daemon(config=config)
    s = d.wait_for(lambda s: s.get("logscan_lines_total") >= 150, "150 lines", 30)
    assert s.get("logscan_messages_total", outcome="evicted") == 50
    assert s.get("logscan_messages_total") == 50
