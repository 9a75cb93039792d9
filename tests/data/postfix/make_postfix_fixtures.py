"""Rebuild the Postfix test fixtures from the shared corpus (run by hand, never by the tests).

    python3 tests/data/postfix/make_postfix_fixtures.py /work/shared/corpus/postfix

Syslog-form files are copied unchanged. Message-only files get the prefix
``Jan  1 00:00:00 host <program>[123]: `` with the program their index names; see
tests/data/SOURCES.md ("postfix") for every change.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPY = (
    "fail2ban-postfix.log",
    "kumina-postfix_exporter-tests.log",
    "crowdsec-hub-postfix-tests.log",
    "wazuh-ruleset-postfix-tests.log",
    "wazuh-ruleset-log-entries-mail-errors.log",
    "github-issues-postfix-pastes.log",
)
PREFIX = "Jan  1 00:00:00 host {program}[123]: "
# whyscream test files that hold a grok sub-pattern, not a log line.
FRAGMENTS = (
    "command_counter_data",
    "delays",
    "relay",
    "tls_features_0007",
    "tls_features_0008",
    "tls_features_0009",
    "tls_features_001",
)
# logwatch TD service tags (postfix-logwatch's gen_test_log) -> program.
LOGWATCH = {
    "": "postfix/smtpd",
    "s": "postfix/smtp",
    "sd": "postfix/smtpd",
    "c": "postfix/cleanup",
    "b": "postfix/bounce",
    "l": "postfix/local",
    "v": "postfix/virtual",
    "q": "postfix/qmgr",
    "pp": "postfix/pipe",
    "p": "postfix/pickup",
    "ps": "postfix/postsuper",
    "m": "postfix/master",
    "pg": "postgrey",
    "pfw": "postfwd",
    "spf": "policyd-spf",
}


def rows(index: Path) -> list[list[str]]:
    with index.open(newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]


def message_only(src: Path, name: str, programs: list[str | None]) -> None:
    lines = (src / name).read_text().splitlines()
    assert len(lines) == len(programs), name
    out = [PREFIX.format(program=p) + line for p, line in zip(programs, lines, strict=True) if p]
    (HERE / name).write_text("\n".join(out) + "\n")


def main(src: Path) -> None:
    for name in COPY:
        shutil.copyfile(src / name, HERE / name)
    whyscream = []
    for row in rows(src / "whyscream-postfix-grok-patterns.index.tsv"):
        test = row[0].removeprefix("test/").removesuffix(".yaml")
        component = test.rsplit("_", 1)[0]
        keep = not test.startswith(FRAGMENTS)
        whyscream.append(
            ("postfix/smtp" if component == "tls_features" else f"postfix/{component}")
            if keep
            else None
        )
    message_only(src, "whyscream-postfix-grok-patterns.log", whyscream)
    sekoia = [row[1] or "postfix" for row in rows(src / "sekoia-intake-formats-postfix.index.tsv")]
    message_only(src, "sekoia-intake-formats-postfix.log", sekoia)
    syslog_ng = [row[0] for row in rows(src / "syslog-ng-patterndb-postfix.index.tsv")]
    message_only(src, "syslog-ng-patterndb-postfix.log", syslog_ng)
    # logwatch: tag suffix N = "NOQUEUE: " implied, Q = "<queue id>: " implied.
    out = []
    lines = (src / "logwatch-postfix-logwatch-TD.log").read_text().splitlines()
    for row, line in zip(rows(src / "logwatch-postfix-logwatch-TD.index.tsv"), lines, strict=True):
        tag = row[0]
        base = tag.rstrip("NQ")
        program = LOGWATCH[base]
        if tag == "" and ", status=" in line:  # the empty tag also holds smtp delivery lines
            program = "postfix/smtp"
        if tag.endswith("N"):
            line = "NOQUEUE: " + line
        elif tag.endswith("Q"):
            line = (row[2] or "4A5B6C7D8E") + ": " + line
        out.append(PREFIX.format(program=program) + line)
    (HERE / "logwatch-postfix-logwatch-TD.log").write_text("\n".join(out) + "\n")
    # Postfix's smtpd_check test driver: "./smtpd_check: <queue id>: reject: ..." -> smtpd.
    out = []
    for line in (src / "postfix-src-smtpd-check-ref.log").read_text().splitlines():
        msg = line.removeprefix("./smtpd_check: ").replace("<queue id>: ", "NOQUEUE: ", 1)
        out.append(PREFIX.format(program="postfix/smtpd") + msg)
    (HERE / "postfix-src-smtpd-check-ref.log").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
