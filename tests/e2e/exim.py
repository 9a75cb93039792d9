"""A real Exim of the test's own: Debian's exim4-daemon-light binary with a config, spool and log
under a temp dir, relaying everything to a loopback sink.

Exim and Postfix conflict as Debian packages, so CI unpacks exim4-daemon-light beside Postfix
(see .ci/run) into ``$LOGSCAN_TEST_EXIM_ROOT`` (default ``/opt/logscan-ci/exim``) instead of
installing it. Mail is submitted on the command line (``-odi``: delivered before exim returns).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

EXIM_ROOT = Path(os.environ.get("LOGSCAN_TEST_EXIM_ROOT", "/opt/logscan-ci/exim"))
EXIM_USER = "Debian-exim"  # compiled into Debian's binary

CONFIG = """\
exim_path = {exim}
spool_directory = {spool}
log_file_path = {logdir}/%slog
primary_hostname = mta.logscan.test
exim_user = {user}
exim_group = {user}
trusted_users = root
keep_environment =
log_selector = +smtp_confirmation +received_recipients

begin routers
smarthost:
  driver = manualroute
  transport = remote_smtp
  route_list = * 127.0.0.1
  self = send

begin transports
remote_smtp:
  driver = smtp
  port = {sink_port}
  hosts_avoid_tls = *
  allow_localhost
  # One recipient per transaction: each reply in the log belongs to one recipient.
  max_rcpt = 1
  # One message per connection: no deferred message rides along on a later connection.
  connection_max_messages = 1

begin retry
# One attempt within a test: retries would make the expected counts racy.
* * F,1h,1h
"""


def binary() -> Path:
    return EXIM_ROOT / "usr" / "sbin" / "exim4"


def available() -> bool:
    if os.geteuid() != 0 or not binary().exists():
        return False
    try:
        pwd.getpwnam(EXIM_USER)
    except KeyError:
        return False
    return True


class EximInstance:
    def __init__(self, root: Path, sink_port: int) -> None:
        self.root = root
        self.config = root / "exim.conf"
        self.spool = root / "spool"
        self.logdir = root / "log"
        self.log = self.logdir / "mainlog"
        self.sink_port = sink_port

    def start(self) -> None:
        for d in (self.spool, self.logdir):
            d.mkdir(parents=True, exist_ok=True)
            shutil.chown(d, EXIM_USER, EXIM_USER)
        self.root.chmod(0o755)
        self.config.write_text(
            CONFIG.format(
                exim=binary(),
                spool=self.spool,
                logdir=self.logdir,
                user=EXIM_USER,
                sink_port=self.sink_port,
            )
        )

    def stop(self) -> None:
        """Nothing runs between submissions: exim delivers in the foreground and exits."""

    def send(self, sender: str, recipients: list[str], subject: str = "logscan e2e") -> None:
        # A 421 or a dropped connection makes Exim note a host retry time in its hints database,
        # and every later message to the sink would be deferred with "retry time not reached"
        # without a connection (and deferred ones would ride along later, from the wait-* hints).
        # Hints may be deleted while no Exim runs (none does between submissions here: each
        # delivers in the foreground), so each message gets exactly one real try.
        for hint in (self.spool / "db").glob("*"):
            hint.unlink()
        message = f"From: {sender}\nTo: {', '.join(recipients)}\nSubject: {subject}\n\nhello\n"
        subprocess.run(
            [str(binary()), "-C", str(self.config), "-odi", "-f", sender, *recipients],
            input=message.encode(),
            capture_output=True,
            check=True,
            timeout=60,
        )
