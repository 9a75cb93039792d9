"""The compiled build (README "Compiled build"): mypyc compiles the hot path, and nothing changes
but the speed.

The wheel is built from a copy of the tree, as README says, with pyproject's `mypyc` hook turned
on; its modules are then run beside the pure-Python ones on every real log of tests/data, and
every output must be byte-identical. Needs a C compiler and Python's headers (CI installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.paths import DATA, REPO

pytestmark = pytest.mark.integration

_IGNORED = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.so", "build", "dist", "out", "test-artifacts", "*.pyc"
)
# One directory per MTA: each file of it is scanned with its parser, the way `scan` detects it.
LOG_DIRS = ("postfix", "exim", "sendmail", "exchange", "mdaemon", "scan", "alerts", "deploy")


def _can_compile() -> str | None:
    """Why the compiled build cannot be made here, or None."""
    if shutil.which(sysconfig.get_config_var("CC").split()[0] or "cc") is None:
        return "no C compiler"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (python3-dev)"
    try:
        import hatch_mypyc  # noqa: F401
    except ImportError:
        return "hatch-mypyc is not installed (requirements-test.lock)"
    return None


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory with the compiled wheel's files (its .so files beside its .py files)."""
    reason = _can_compile()
    if reason is not None:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("compiled")
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=_IGNORED)
    env = dict(os.environ, HATCH_BUILD_HOOK_ENABLE_MYPYC="true")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp / "wheel"), str(src)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = (tmp / "wheel").glob("logscan-*.whl")
    target = tmp / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    yield target


def _logscan(args: list[str], pythonpath: Path | None) -> subprocess.CompletedProcess[str]:
    """``logscan ARGS``, from ``pythonpath`` if given. Run from / so that ``-m`` does not put the
    working directory (the repository's pure-Python package) before PYTHONPATH."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "logscan", *args],
        capture_output=True, text=True, env=env, cwd="/", timeout=600,
    )  # fmt: skip


def test_the_wheel_holds_compiled_modules_and_they_are_the_ones_imported(compiled: Path) -> None:
    assert list(compiled.glob("parsers/postfix/parser.*.so"))
    assert list(compiled.glob("logscan/classify/classifier.*.so"))
    done = _logscan(["parsers"], compiled)
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import parsers.postfix.parser as p; print(p.__file__)"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(compiled)), cwd="/",
    )  # fmt: skip
    assert probe.stdout.strip().endswith(".so"), probe.stdout + probe.stderr


@pytest.mark.parametrize("fmt", ["json", "events"])
def test_every_real_log_gives_the_same_report_compiled(compiled: Path, fmt: str) -> None:
    files = sorted(
        str(p) for d in LOG_DIRS for p in (DATA / d).iterdir() if p.suffix in (".log", ".LOG")
    )
    assert len(files) > 40
    pure = _logscan(["scan", "-q", "--format", fmt, *files], None)
    fast = _logscan(["scan", "-q", "--format", fmt, *files], compiled)
    assert pure.returncode == fast.returncode
    assert pure.stderr == fast.stderr
    assert fast.stdout == pure.stdout
    assert len(pure.stdout) > 10_000


def test_explain_is_the_same_compiled(compiled: Path) -> None:
    for reply in ("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown", "421"):
        pure = _logscan(["explain", reply], None)
        assert _logscan(["explain", reply], compiled).stdout == pure.stdout != ""
