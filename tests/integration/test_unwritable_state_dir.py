"""A state directory the daemon cannot write: it does not start, and says what to do (no
traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import StartDaemon

pytestmark = pytest.mark.integration


def test_unwritable_state_dir_is_a_clear_error(tmp_path: Path, daemon: StartDaemon) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a directory")
    d = daemon("--source", str(tmp_path / "mail.log"), wait_ready=False)
    assert d.proc is not None
    assert d.proc.wait(20) == 1
    assert "cannot start" in d.log()
    assert "Traceback" not in d.log()


def test_unwritable_state_dir_says_what_to_do(tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to run as an unprivileged user")
    # An unprivileged user that may still read the interpreter under /root (read-search only).
    nobody = [
        setpriv,
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]
    state = tmp_path / "root-only" / "state"
    state.parent.mkdir(mode=0o755)
    where = ["--source", str(tmp_path / "m.log"), "--listen", "127.0.0.1:0"]
    done = subprocess.run(
        [*nobody, sys.executable, "-m", "logscan", "run", "--state-dir", str(state), *where],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert f"cannot write the state directory {state}" in error["error"]
    assert "--state-dir" in error["error"] and "systemd unit" in error["error"]
