"""Shared fixtures: the test parser plug-in, the daemon subprocess, Alertmanager and its webhook
receiver, a journal directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.alertmanager_proc import Alertmanager, run_alertmanager
from tests.helpers.daemon import Daemon
from tests.helpers.http_receiver import Receiver
from tests.helpers.journal import REMOTE
from tests.helpers.plugin import install


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("site"))


@pytest.fixture
def site(plugin_site: Path) -> Path:
    return plugin_site  # the daemon tests' plug-in site (a parser for other lines)


StartDaemon = Callable[..., Daemon]


@pytest.fixture
def daemon(tmp_path: Path, plugin_site: Path) -> Iterator[StartDaemon]:
    """``daemon(*args, config=TEXT)`` starts ``logscan run`` with fast test intervals."""
    started: list[Daemon] = []

    def start(
        *args: str,
        config: str | None = None,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        wait_ready: bool = True,
    ) -> Daemon:
        argv = ["--listen", "127.0.0.1:0", "--checkpoint-interval", "0.3", "--poll-interval", "0.1"]
        if config is not None:
            cfg = tmp_path / "logscan.toml"
            cfg.write_text(config)
            argv = ["-c", str(cfg), *argv]
        else:
            argv += ["--state-dir", str(tmp_path / "state")]
        d = Daemon(tmp_path, plugin_site, [*argv, *args], env or {})
        started.append(d)
        return d.start(wait_ready=wait_ready, prefix=prefix)

    yield start
    for d in started:
        d.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback (Alertmanager's and our own webhooks post to it)."""
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def am(tmp_path: Path, receiver: Receiver) -> Iterator[Alertmanager]:
    """A real Alertmanager that notifies ``receiver`` at ``/am``."""
    with run_alertmanager(tmp_path / "_am", webhook_url=receiver.url + "/am") as running:
        yield running


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    if not (os.path.exists(REMOTE) and shutil.which("journalctl")):
        pytest.skip("systemd-journal-remote or journalctl is not installed")
    d = tmp_path / "journal"
    d.mkdir()
    return d
