"""Run the real daemon as a subprocess and read its real endpoint (no mocks).

Readiness comes through a real ``$NOTIFY_SOCKET`` (a unix datagram socket the harness binds), so
every test also exercises the sd_notify protocol.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

WAIT = 20.0  # generous: the CI machine is shared; waits end as soon as the value is there


class Scrape:
    """The samples of one scrape: ``s.get("logscan_lines_total", outcome="event")`` sums."""

    def __init__(self, text: str) -> None:
        self.samples: list[tuple[str, dict[str, str], float]] = []
        for fam in text_string_to_metric_families(text):
            for smp in fam.samples:
                self.samples.append((smp.name, dict(smp.labels), smp.value))

    def get(self, name: str, **labels: str) -> float:
        return sum(
            v
            for n, lab, v in self.samples
            if n == name and all(lab.get(k) == val for k, val in labels.items())
        )

    def series(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        return {tuple(sorted(lab.items())): v for n, lab, v in self.samples if n == name}

    def counters(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            (n, tuple(sorted(lab.items()))): v for n, lab, v in self.samples if n.endswith("_total")
        }


class Daemon:
    """``logscan run`` in a subprocess, with its notify socket, endpoint and stderr log."""

    def __init__(self, workdir: Path, site: Path, args: Sequence[str], env: dict[str, str]) -> None:
        self.workdir = workdir / "_harness"  # its files stay out of the tests' globs
        self.workdir.mkdir(exist_ok=True)
        self.site = site
        self.args = list(args)
        self.extra_env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        # A directory of its own under /tmp: a unix socket path holds 107 bytes, which a test's
        # tmp_path (its name, the pytest run number) plus the PID and a clock can exceed.
        self.notify_dir = Path(tempfile.mkdtemp(prefix="logscan-notify-"))
        self.notify_path = self.notify_dir / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(0.2)
        self.messages: list[str] = []
        self.log_path = self.workdir / "daemon.log"
        self.starts = 0

    def start(self, wait_ready: bool = True, prefix: Sequence[str] = ()) -> Daemon:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.site), str(Path(__file__).resolve().parents[2])]
        )
        env["NOTIFY_SOCKET"] = str(self.notify_path)
        env.update(self.extra_env)
        cmd = [*prefix, sys.executable, "-m", "logscan", "run", *self.args]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=self.workdir)
        log.close()
        self.starts += 1
        if wait_ready:
            self.wait_message("READY=1")
        return self

    def wait_message(self, field: str, timeout: float = WAIT) -> str:
        """Wait for a notify datagram holding ``field``; returns the datagram."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.messages:
                if field in msg.split("\n"):
                    self.messages.remove(msg)
                    return msg
            try:
                data = self.notify.recv(4096).decode()
            except TimeoutError:
                if self.proc is not None and self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise AssertionError(f"daemon exited {code}:\n{self.log()}") from None
                continue
            self.messages.append(data)
            for line in data.split("\n"):
                if line.startswith("STATUS=listening on "):
                    self.port = int(line.rsplit(":", 1)[1])
        raise AssertionError(f"no {field} from the daemon in {timeout}s:\n{self.log()}")

    def url(self, path: str = "/metrics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def scrape(self) -> Scrape:
        with urllib.request.urlopen(self.url(), timeout=10) as resp:
            return Scrape(resp.read().decode())

    def wait_for(
        self, check: Callable[[Scrape], bool], what: str = "", timeout: float = WAIT
    ) -> Scrape:
        """Scrape until ``check`` holds; fail with the last scrape's numbers otherwise."""
        deadline = time.monotonic() + timeout
        last: Scrape | None = None
        while time.monotonic() < deadline:
            last = self.scrape()
            if check(last):
                return last
            time.sleep(0.05)
        shown = [] if last is None else [s for s in last.samples if s[0].startswith("logscan_")]
        raise AssertionError(f"timed out waiting for {what}: {shown}\n{self.log()[-3000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self, timeout: float = WAIT) -> int:
        """SIGTERM and wait; the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"daemon did not stop on SIGTERM:\n{self.log()}") from None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        shutil.rmtree(self.notify_dir, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def lines(n: int, start: int = 0, kind: str = "code=550 enh=5.1.1 status=bounced") -> str:
    """``n`` distinct test lines (distinct first bytes keep file fingerprints distinct)."""
    stamp = time.monotonic_ns()
    return "".join(f"{stamp} {i} testmta: {kind} user unknown\n" for i in range(start, start + n))


def append(path: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    with path.open("ab") as fh:
        fh.write(data)


def config(state: Path, sources: str, **top: Any) -> str:
    """A TOML config: ``sources`` is the [[sources]] tables' text."""
    head = "".join(f"{k} = {_toml(v)}\n" for k, v in top.items())
    return f'state_dir = "{state}"\nrules_dirs = []\n{head}{sources}'


def _toml(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
