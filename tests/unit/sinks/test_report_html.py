"""`scan --format html` rendered by a real headless Chromium: no errors, self-contained, charts.

The screenshot is kept as a test artifact in ``$LOGSCAN_TEST_ARTIFACTS`` (default
``test-artifacts/`` in the checkout): ``scan-report.png``. Skipped only where chromium is missing
(CI installs it: .ci/run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.logscan_cli import run
from tests.helpers.paths import REPO

ROOT = REPO
LOG = ROOT / "tests" / "data" / "postfix" / "genlog-seed7-bsd.log"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    done = run(["scan", "--format", "html", str(LOG)])
    assert done.returncode == 0, done.stderr
    page = done.stdout
    # Self-contained: nothing to fetch (texts from the log may name URLs, as text only).
    assert not re.search(r"""\b(?:src|href)\s*=|@import|url\(""", page)
    assert "<script" not in page
    html = tmp_path / "report.html"
    html.write_text(page)

    dom = chromium(tmp_path, "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Mail log report" in dom.stdout
    assert dom.stdout.count("<svg") >= 5  # traffic, categories, providers, blocklists, delay
    assert "example.net" in dom.stdout  # the per-domain table
    errors = [
        line
        for line in dom.stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or ("ERROR:" in line and "file://" in line)
    ]
    assert not errors, errors

    artifacts = Path(os.environ.get("LOGSCAN_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "scan-report.png"
    shot.unlink(missing_ok=True)
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", html.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 30_000  # charts and tables, not blank
