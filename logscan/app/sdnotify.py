"""systemd's notify protocol (``Type=notify``, ``WatchdogSec=``) without the systemd binding.

A datagram to the unix socket named by ``$NOTIFY_SOCKET`` (``@`` = abstract namespace)::

    >>> n = SystemdNotify.from_env({})          # not under systemd: every call is a no-op
    >>> n.send("READY=1"), n.watchdog_interval
    (False, None)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class SystemdNotify:
    def __init__(self, address: str | None, watchdog_usec: int | None) -> None:
        self.address = address
        # systemd advises pinging at half the watchdog timeout.
        self.watchdog_interval = watchdog_usec / 2e6 if watchdog_usec else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SystemdNotify:
        address = env.get("NOTIFY_SOCKET") or None
        usec: int | None = None
        raw = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID")
        if raw.isdigit() and (pid is None or pid == str(os.getpid())):
            usec = int(raw)
        return cls(address, usec)

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields in one datagram; False when not under systemd or it failed."""
        if not self.address:
            return False
        addr = self.address
        if addr.startswith("@"):
            addr = "\0" + addr[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(addr)
                sock.sendall("\n".join(fields).encode())
        except OSError:
            return False
        return True
