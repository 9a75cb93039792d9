"""Running the real ``logscan`` command in a subprocess, and the ToyMTA plug-in it can load.

The plug-in (``tests/plugin_pkg``) is pip-installed into a ``--target`` directory once per
session; putting that directory on ``PYTHONPATH`` makes its entry point visible to ``logscan``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.paths import PLUGIN_PKG

PLUGIN_SRC = PLUGIN_PKG


def logscan_exe() -> str:
    """The ``logscan`` console script of the Python running the tests."""
    here = str(Path(sys.executable).parent)
    exe = shutil.which("logscan", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    if exe is None:
        pytest.fail("the logscan command is not installed (pip install -e .)")
    return exe


def install_plugin(target: Path) -> Path:
    """pip-install the ToyMTA plug-in into ``target`` (offline, no build isolation)."""
    src = target.parent / "plugin_src"
    shutil.copytree(PLUGIN_SRC, src, ignore=shutil.ignore_patterns("__pycache__"))
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation"]
    cmd += ["--no-deps", "--target", str(target), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return target


def run(
    args: Sequence[str],
    plugin_dir: Path | None = None,
    stdin: bytes | None = None,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``logscan ARGS`` (optionally under ``prefix``, e.g. setpriv); output decoded leniently."""
    env = dict(os.environ)
    if plugin_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_dir), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [*prefix, logscan_exe(), *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=env,
        timeout=300,
    )
    result = subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def events(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stdout.splitlines()]
