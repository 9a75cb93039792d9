"""A client of the daemon's metrics endpoint for the hostile-client tests: timed GETs with basic
auth, the daemon's CPU time, a web config with bcrypt hashes."""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt

from tests.helpers.daemon import Daemon

OK_WRITES = "logscan_checkpoint_writes_total"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(d: Daemon, auth: str | None = None, timeout: float = 10.0) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one GET /metrics; status 0 when the connection failed."""
    req = urllib.request.Request(d.url(), headers={"Authorization": auth} if auth else {})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        return exc.code, b"", time.monotonic() - start
    except OSError:
        return 0, b"", time.monotonic() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_log_is_json(d: Daemon) -> None:
    for line in d.log().splitlines():
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                raise AssertionError(f"not a JSON log line: {line!r}\n{d.log()[-3000:]}") from None


def web_config(path: Path, users: dict[str, str], rounds: int) -> Path:
    salt = bcrypt.gensalt(rounds=rounds)
    hashes = {u: bcrypt.hashpw(p.encode(), salt).decode() for u, p in users.items()}
    path.write_text("basic_auth_users:\n" + "".join(f"  {u}: '{h}'\n" for u, h in hashes.items()))
    return path


def time_checkpw(rounds: int) -> float:
    """Seconds one bcrypt check of cost ``rounds`` takes on this machine."""
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=rounds))
    start = time.monotonic()
    bcrypt.checkpw(b"y", hashed)
    return time.monotonic() - start
