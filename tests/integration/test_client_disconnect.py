"""A client that leaves while its credentials are checked: no scrape is served to it, no
checkpoint written for it."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Scrape
from tests.helpers.endpoint_client import OK_WRITES, assert_log_is_json, basic, get, web_config
from tests.helpers.endpoint_client import time_checkpw as _time_checkpw

pytestmark = pytest.mark.integration


def test_client_that_left_is_not_served(tmp_path: Path, daemon: StartDaemon) -> None:
    """A client gone while its credentials were checked gets no scrape and costs no checkpoint."""
    web = web_config(tmp_path / "web.yml", {"prom": "s3cret"}, rounds=4)
    slow = web_config(tmp_path / "slow.yml", {"leaver": "pw"}, rounds=12).read_text()
    web.write_text(web.read_text() + slow.split("\n", 1)[1])  # one file, two users
    log = tmp_path / "mail.log"
    log.touch()
    args = ("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    d = daemon(*args, "--checkpoint-interval", "3600")  # no periodic checkpoint in between
    good = basic("prom", "s3cret")
    status, body, _ = get(d, good)
    assert status == 200
    writes = Scrape(body.decode()).get(OK_WRITES, result="ok")
    request = f"GET /metrics HTTP/1.1\r\nAuthorization: {basic('leaver', 'pw')}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
        s.sendall(request.encode())  # and leave at once, while the daemon is in bcrypt (cost 12)
    time.sleep(3 * _time_checkpw(12) + 0.5)
    status, body, _ = get(d, good)
    assert status == 200
    assert Scrape(body.decode()).get(OK_WRITES, result="ok") == writes + 1  # this scrape's only
    assert_log_is_json(d)
