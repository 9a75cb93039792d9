"""``logscan scan`` on bad input (issue 11): closed stdio, a reader that leaves, a full disk.

The real command runs in a subprocess; a shell closes its standard streams (``<&-``, ``>&-``).
"""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.logscan_cli import install_plugin, logscan_exe, run, summary
from tests.unit.cli.test_scan import toy_log


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_plugin(tmp_path_factory.mktemp("toymta") / "site")


def _shell(redirect: str) -> list[str]:
    """A prefix for ``run``: exec the command with ``redirect`` applied (``$0`` is logscan)."""
    return ["sh", "-c", f'exec "$0" "$@" {redirect}']


def test_scan_with_closed_stdin(plugin: Path) -> None:
    done = run(["scan", "--format", "json", "-"], plugin, prefix=_shell("<&-"))
    assert done.returncode == 2
    assert "logscan scan: <stdin>: standard input is closed" in done.stderr


def test_explain_with_closed_stdin() -> None:
    done = run(["explain", "-"], prefix=_shell("<&-"))
    assert done.returncode == 2
    assert "logscan explain: standard input is closed" in done.stderr


def test_scan_with_closed_stdout(plugin: Path, tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_bytes(toy_log())
    done = run(["scan", str(log)], plugin, prefix=_shell(">&-"))
    assert done.returncode == 2
    assert done.stderr.strip() == "logscan scan: standard output is closed (>&-)"


def test_scan_with_closed_stderr_keeps_stdout_clean(plugin: Path, tmp_path: Path) -> None:
    done = run(
        ["scan", "--format", "json", str(tmp_path / "absent.log")], plugin, prefix=_shell("2>&-")
    )
    assert done.returncode == 2
    assert done.stdout.startswith("{")  # the error message did not land among the results


def test_scan_reader_that_leaves_exits_quietly(plugin: Path, tmp_path: Path) -> None:
    """``logscan scan big.log | head -1``: exit 0, nothing on stderr."""
    log = tmp_path / "big.log"
    log.write_bytes(toy_log() * 5000)  # 15,000 events: far more than a pipe buffer
    env = dict(os.environ, PYTHONPATH=str(plugin))
    with subprocess.Popen(
        [logscan_exe(), "scan", "--format", "events", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith(b"{")
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, err
    assert err == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["table", "events"])
def test_scan_to_a_full_disk_says_so(plugin: Path, tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "mail.log"
    log.write_bytes(toy_log() * 100)
    done = run(["scan", "--format", fmt, str(log)], plugin, prefix=_shell(">/dev/full"))
    assert done.returncode == 1
    assert done.stderr.strip() == "logscan scan: cannot write the output: No space left on device"


def test_cr_only_file_is_split(plugin: Path, tmp_path: Path) -> None:
    """Old-Mac line endings (CR alone): four lines, not one line of the whole file."""
    log = tmp_path / "mail.log"
    log.write_bytes((toy_log() * 2).replace(b"\n", b"\r"))
    done = run(["scan", "--format", "json", str(log)], plugin)
    assert done.returncode == 0, done.stderr
    s = summary(done)
    assert s["lines"] == 8 and s["events"] == 6
    assert s["outcomes"] == {"event": 6, "ignored": 2, "unrecognized": 0}


def test_cr_only_gzip_on_stdin_is_split(plugin: Path) -> None:
    data = gzip.compress(toy_log().replace(b"\n", b"\r"))
    done = run(["scan", "--format", "json", "-"], plugin, stdin=data)
    assert summary(done)["lines"] == 4
