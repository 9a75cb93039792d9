"""A real Postfix instance of the test's own: its config, queue and log under a temp dir.

It listens on no network port (mail is injected with its ``sendmail``), relays everything to a
loopback sink, and logs to a file through ``postlogd`` (``maillog_file``), exactly as a
container or a host without syslog would run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
SENDMAIL = "/usr/sbin/sendmail"
POSTLOG = "/usr/sbin/postlog"

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
maillog_file = {log}
maillog_file_prefixes = {root}
myhostname = mta.logscan.test
mydomain = logscan.test
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
relayhost = [127.0.0.1]:{sink_port}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
# One attempt per message within a test: retries would make the expected counts racy.
minimal_backoff_time = 1h
maximal_backoff_time = 2h
queue_run_delay = 1h
# One connection per recipient outcome is easier to read in a test's log.
smtp_destination_recipient_limit = 1
default_destination_concurrency_limit = 2
alias_maps =
alias_database =
biff = no
"""

# Only what a relay-only instance needs: no smtpd listener, nothing on the network.
MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def available() -> bool:
    return Path(POSTFIX).exists() and Path(SENDMAIL).exists() and os.geteuid() == 0


class PostfixInstance:
    def __init__(self, root: Path, sink_port: int) -> None:
        self.root = root
        self.config = root / "etc"
        self.queue = root / "spool"
        self.log = root / "log" / "mail.log"
        self.sink_port = sink_port

    def start(self) -> None:
        for d in (self.config, self.queue, self.log.parent, self.root / "data"):
            d.mkdir(parents=True, exist_ok=True)
        (self.config / "main.cf").write_text(
            MAIN_CF.format(
                queue=self.queue,
                data=self.root / "data",
                log=self.log,
                root=self.root,
                sink_port=self.sink_port,
            )
        )
        (self.config / "master.cf").write_text(MASTER_CF)
        for name in ("dynamicmaps.cf", "postfix-files"):
            shutil.copy(f"/etc/postfix/{name}", self.config / name)
        shutil.copytree("/etc/postfix/postfix-files.d", self.config / "postfix-files.d")
        shutil.copytree("/etc/postfix/dynamicmaps.cf.d", self.config / "dynamicmaps.cf.d")
        (self.root / "data").chmod(0o755)
        shutil.chown(self.root / "data", "postfix", "postfix")
        self.log.touch()
        self._postfix("start")

    def stop(self) -> None:
        self._postfix("stop", check=False)

    def send(self, sender: str, recipients: list[str], subject: str = "logscan e2e") -> None:
        message = f"From: {sender}\nTo: {', '.join(recipients)}\nSubject: {subject}\n\nhello\n"
        subprocess.run(
            [SENDMAIL, "-C", str(self.config), "-f", sender, *recipients],
            input=message.encode(),
            check=True,
            timeout=30,
        )

    def postlog(self, tag: str, text: str) -> None:
        """Write a line through Postfix's own logging as another program would (``postlog``):
        real mail logs hold neighbours' lines (milters, policy daemons) among Postfix's."""
        subprocess.run([POSTLOG, "-c", str(self.config), "-t", tag, text], check=True, timeout=30)

    def flush(self) -> None:
        """Ask Postfix to retry deferred mail now."""
        self._postfix("flush", check=False)

    def wait_for_log(self, needle: str, count: int = 1, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if text.count(needle) >= count:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} x{count} not in {self.log} after {timeout}s:\n{text}")

    def _postfix(self, *args: str, check: bool = True) -> None:
        subprocess.run([POSTFIX, "-c", str(self.config), *args], check=check, timeout=60)
