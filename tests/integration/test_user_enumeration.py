"""No user enumeration by timing on the metrics endpoint's basic auth (issue 11, item 10)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.endpoint_client import basic, get, web_config

pytestmark = pytest.mark.integration


def test_unknown_user_costs_as_much_as_known_user(tmp_path: Path, daemon: StartDaemon) -> None:
    """No user enumeration by timing: an unknown user pays bcrypt like a known one."""
    web = web_config(tmp_path / "web.yml", {"prom": "s3cret"}, rounds=8)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    known: list[float] = []
    unknown: list[float] = []
    for i in range(8):  # fresh passwords: nothing cached; 16 checks stay within the bcrypt budget
        for user, times in (("prom", known), ("nobody", unknown)):
            status, _, seconds = get(d, basic(user, f"wrong-{i}"))
            assert status == 401
            times.append(seconds)
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"median 401: known user {k * 1000:.1f} ms, unknown user {u * 1000:.1f} ms")
    assert u >= 0.5 * k, (known, unknown)
