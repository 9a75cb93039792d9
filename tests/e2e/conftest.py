"""Fixtures of the end-to-end tests: one chain of real processes per test module.

    def test_x(chain: Chain) -> None:
        sink = chain.sink()
        mta = chain.postfix(sink)
        daemon = chain.logscan("--source", str(mta.log), "--parser", "postfix")
        prom = chain.prometheus([f"127.0.0.1:{daemon.port}"])

Everything started through ``chain`` is stopped, in reverse order, when the module's tests end.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e import exim, postfix, sendmail
from tests.e2e.chain import Exporter, run_logscan, run_postfix_exporter
from tests.e2e.sink import DEFAULT_SCRIPT, ScriptedSink
from tests.helpers.alertmanager_proc import Alertmanager, run_alertmanager
from tests.helpers.daemon import Daemon
from tests.helpers.prometheus_proc import Prometheus, run_prometheus, wait_until


class Chain:
    def __init__(self, root: Path, plugin_site: Path, stack: ExitStack) -> None:
        self.root = root
        self.plugin_site = plugin_site
        self.stack = stack
        self.pids: list[int] = []  # every long-running process of the chain

    def _dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def sink(self, extra: dict[str, str] | None = None) -> ScriptedSink:
        sink = ScriptedSink({**DEFAULT_SCRIPT, **(extra or {})})
        sink.start()
        self.stack.callback(sink.stop)
        return sink

    def postfix(self, sink: ScriptedSink) -> postfix.PostfixInstance:
        if not postfix.available():
            pytest.skip("Postfix (Debian package) is not installed, or not root")
        mta = postfix.PostfixInstance(self._dir("postfix"), sink.port)
        self.stack.callback(mta.stop)
        mta.start()
        pid_file = mta.queue / "pid" / "master.pid"
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), "Postfix master")
        self.pids.append(int(pid_file.read_text().split()[0]))
        return mta

    def exim(self, sink: ScriptedSink) -> exim.EximInstance:
        if not exim.available():
            pytest.skip("Exim (exim4-daemon-light unpacked by .ci/run) is missing, or not root")
        mta = exim.EximInstance(self._dir("exim"), sink.port)
        mta.start()
        self.stack.callback(mta.stop)
        return mta

    def sendmail(self, sink: ScriptedSink) -> sendmail.SendmailInstance:
        if not sendmail.available():
            pytest.skip("Sendmail (sendmail-bin unpacked by .ci/run), m4 or unshare missing")
        mta = sendmail.SendmailInstance(self._dir("sendmail"), sink.port)
        self.stack.callback(mta.stop)
        mta.start()
        return mta

    def logscan(self, *args: str) -> Daemon:
        daemon = self.stack.enter_context(
            run_logscan(self._dir("logscan"), self.plugin_site, *args)
        )
        assert daemon.proc is not None
        self.pids.append(daemon.proc.pid)
        return daemon

    def prometheus(
        self, targets: Sequence[str], rule_files: Sequence[Path] = (), alertmanager: str = ""
    ) -> Prometheus:
        prom = self.stack.enter_context(
            run_prometheus(self._dir("prometheus"), targets, rule_files, alertmanager)
        )
        self.pids.append(prom.proc.pid)
        return prom

    def alertmanager(self) -> Alertmanager:
        am = self.stack.enter_context(run_alertmanager(self._dir("alertmanager")))
        self.pids.append(am.proc.pid)
        return am

    def postfix_exporter(self, log: Path) -> Exporter:
        exporter = self.stack.enter_context(run_postfix_exporter(self._dir("exporter"), log))
        self.pids.append(exporter.proc.pid)
        return exporter


@pytest.fixture(scope="module")
def chain(plugin_site: Path) -> Iterator[Chain]:
    # Not under pytest's tmp dirs: those are 0700, and the MTAs' unprivileged users (postfix,
    # Debian-exim) must reach their queues and logs below the root.
    root = Path(tempfile.mkdtemp(prefix="logscan-e2e-"))
    root.chmod(0o755)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        chain = Chain(root, plugin_site, stack)
        yield chain
    # The chain stops within the test module: no process of it outlives it.
    wait_until(lambda: not [pid for pid in chain.pids if alive(pid)], "the chain to stop", 15)


def alive(pid: int) -> bool:
    """``pid`` runs (a zombie waiting for its parent does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
