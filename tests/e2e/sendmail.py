"""A real Sendmail of the test's own: Debian's sendmail-bin with a config built by m4, its queue
under a temp dir, relaying everything to a loopback sink, logging through syslog(3) to a socket of
the test's own.

Sendmail conflicts with Postfix as a Debian package, so CI unpacks sendmail-bin, sendmail-base and
sendmail-cf (see .ci/run) into ``$LOGSCAN_TEST_SENDMAIL_ROOT`` (default
``/opt/logscan-ci/sendmail``) instead of installing them.

Sendmail logs only through syslog(3), to ``/dev/log``, and this machine runs no syslog daemon.
Each submission runs in mount and UTS namespaces of its own (``unshare -mu``), where ``/dev`` is
a directory of the test's holding ``null``, ``zero``, ``random``, ``urandom`` and ``log``, the
last a datagram socket that :class:`SyslogReceiver` reads and writes to ``mail.log`` the way
rsyslog would (``Mmm dd hh:mm:ss host ident[pid]: message``). The host name in the namespace is
fully qualified (``mta.logscan.test``, also in a private ``/etc/hosts``), so Sendmail does not
wait 60 s to qualify it; nothing outside the namespace sees either change. Mail is submitted on
the command line in MTA mode (``-Am``) and delivered before sendmail returns (``-odi``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

SENDMAIL_ROOT = Path(os.environ.get("LOGSCAN_TEST_SENDMAIL_ROOT", "/opt/logscan-ci/sendmail"))
HOSTNAME = "mta.logscan.test"

MC = """\
divert(-1)
divert(0)dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{hostname}')dnl
dnl The sink is the smart host; both mailers a smart host may use connect to its port.
define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {port}')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {port}')dnl
define(`QUEUE_DIR', `{queue}')dnl
define(`STATUS_FILE', `{root}/statistics')dnl
define(`ALIAS_FILE', `')dnl
dnl No host status kept between submissions: each message gets a real try at the sink.
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confLOG_LEVEL', `9')dnl
define(`confTO_CONNECT', `10s')dnl
define(`confTO_ICONNECT', `10s')dnl
FEATURE(`nocanonify')dnl
MAILER(`smtp')dnl
"""

# /dev inside the namespace: what sendmail opens (character devices: major, minor).
DEVICES = {"null": (1, 3), "zero": (1, 5), "random": (1, 8), "urandom": (1, 9)}
# sysexits: EX_OK, EX_NOUSER, EX_UNAVAILABLE, EX_TEMPFAIL.
DELIVERY_EXITS = {0, 67, 69, 75}
_PRI = re.compile(rb"^<\d{1,3}>")


def binary() -> Path:
    return SENDMAIL_ROOT / "usr" / "libexec" / "sendmail" / "sendmail"


def available() -> bool:
    return (
        os.geteuid() == 0
        and binary().exists()
        and shutil.which("m4") is not None
        and shutil.which("unshare") is not None
    )


class SyslogReceiver:
    """A datagram socket that writes each syslog(3) message as a line of a syslog file."""

    def __init__(self, path: Path, log: Path, hostname: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        path.chmod(0o666)
        self.log = log
        self.host = hostname.split(".")[0].encode()
        self.received = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with self.log.open("ab") as out:
            while True:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    return
                # "<22>Nov 29 06:01:28 sendmail[1]: msg" -> "Nov 29 06:01:28 mta sendmail[1]: msg"
                data = _PRI.sub(b"", data.rstrip(b"\n"))
                out.write(data[:15] + b" " + self.host + data[15:] + b"\n")
                out.flush()
                self.received += 1

    def stop(self) -> None:
        self.sock.close()
        self._thread.join(timeout=5)


class SendmailInstance:
    def __init__(self, root: Path, sink_port: int) -> None:
        self.root = root
        self.config = root / "sendmail.cf"
        self.queue = root / "mqueue"
        self.dev = root / "dev"
        self.log = root / "log" / "mail.log"
        self.sink_port = sink_port
        self.receiver: SyslogReceiver | None = None

    def start(self) -> None:
        self.queue.mkdir(parents=True, exist_ok=True)
        self.queue.chmod(0o700)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        self.dev.mkdir(exist_ok=True)
        for name, (major, minor) in DEVICES.items():
            node = self.dev / name
            if not node.exists():
                os.mknod(node, 0o666 | 0o020000, os.makedev(major, minor))
            node.chmod(0o666)
        (self.root / "hosts").write_text(f"127.0.0.1 {HOSTNAME} mta localhost\n")
        mc = self.root / "sendmail.mc"
        mc.write_text(
            MC.format(hostname=HOSTNAME, port=self.sink_port, queue=self.queue, root=self.root)
        )
        cf_dir = SENDMAIL_ROOT / "usr" / "share" / "sendmail" / "cf"
        cf = subprocess.run(
            ["m4", f"-D_CF_DIR_={cf_dir}/", str(cf_dir / "m4" / "cf.m4"), str(mc)],
            capture_output=True,
            check=True,
            timeout=60,
        )
        self.config.write_bytes(cf.stdout)
        self.receiver = SyslogReceiver(self.dev / "log", self.log, HOSTNAME)
        self.receiver.start()

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()

    def send(self, sender: str, recipients: list[str], subject: str = "logscan e2e") -> None:
        """Submit and deliver one message. Sendmail's exit code says how the delivery went (0
        sent or queued, 67 unknown user, 69 unavailable: outcomes the test wants); any other
        (a failed mount, a config error) is the harness's failure."""
        message = f"From: {sender}\nTo: {', '.join(recipients)}\nSubject: {subject}\n\nhello\n"
        inside = " && ".join(
            [
                f"mount --bind {self.dev} /dev",
                f"mount --bind {self.root / 'hosts'} /etc/hosts",
                f"hostname {HOSTNAME}",
                f'exec {binary()} -C {self.config} -Am -odi -f "$0" "$@"',
            ]
        )
        done = subprocess.run(
            ["unshare", "-mu", "--propagation", "private", "sh", "-c", inside, sender, *recipients],
            input=message.encode(),
            capture_output=True,
            check=False,
            timeout=60,
        )
        if done.returncode not in DELIVERY_EXITS:
            raise AssertionError(f"sendmail exited {done.returncode}: {done.stderr.decode()}")

    def wait_for_log(self, needle: str, count: int = 1, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if text.count(needle) >= count:
                return text
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} x{count} not in {self.log} after {timeout}s:\n{text}")
