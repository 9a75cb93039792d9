"""A tiny MTA parser installed as a real plug-in (entry point) for the daemon's tests.

Line format: ``testmta: code=550 enh=5.1.1 status=bounced host=mx.google.com text...``;
``testmta: noise`` is understood but holds no reply; ``testmta: boom`` makes the parser raise;
anything else is not understood.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

SOURCE = textwrap.dedent(
    """
    from logscan.core.event import Event
    from logscan.parsing.api import Parser


    class TestMtaParser(Parser):
        name = "testmta"
        description = "test MTA (logscan's daemon tests)"

        @classmethod
        def detect(cls, head, path):
            return 1.0 if any("testmta:" in line for line in head) else 0.0

        def feed(self, text, lineno):
            _, sep, rest = text.partition("testmta: ")
            if not sep or text.endswith("\\r"):
                return None  # a line ending left in would be a reader's bug
            if rest.startswith("boom"):
                raise RuntimeError("parser bug")
            if not rest.startswith("code="):
                return []
            fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
            code = fields.get("code")
            return [
                Event(
                    path=self.path,
                    line=lineno,
                    mta=self.name,
                    direction="outbound",
                    stage="rcpt",
                    status=fields.get("status"),
                    code=None if code == "none" else code,
                    enhanced=fields.get("enh"),
                    remote_host=fields.get("host"),
                    text=rest,
                )
            ]
    """
)


def install(site: Path) -> Path:
    """Write the plug-in and its distribution metadata under ``site`` (put it on PYTHONPATH)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "logscan_testmta.py").write_text(SOURCE)
    dist = site / "logscan_testmta-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: logscan-testmta\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[logscan.parsers]\ntestmta = logscan_testmta:TestMtaParser\n"
    )
    return site
