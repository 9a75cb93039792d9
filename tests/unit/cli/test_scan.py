"""``logscan scan`` end to end: the real command on real files, gzip, stdin and bad input.

Parsers are found only through entry points, so these tests load the ToyMTA plug-in
(``tests/plugin_pkg``), pip-installed once per session into a directory put on PYTHONPATH.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.logscan_cli import events, install_plugin, run, summary
from tests.helpers.paths import DATA

# The contract keys of one `--format events` line (docs/design.md "Event").
EVENT_KEYS = {
    "path", "line", "ts", "mta", "direction", "stage", "status", "code", "code_inferred",
    "enhanced", "class", "category", "provider", "blocklist", "remote_host", "remote_ip",
    "sender", "recipient", "queue_id", "text",
}  # fmt: skip

TOY = (
    "2024-11-29T00:00:0{n}Z toymta[7]: id=T{n} queued from=<alice@example.com>\n"
    '2024-11-29T00:00:0{n}Z toymta[7]: id=T{n} to=<bob@example.net> status=bounced reply="550 5.1.1'
    ' <bob@example.net>: Recipient address rejected: User unknown"\n'
    '2024-11-29T00:00:0{n}Z toymta[7]: id=T{n} to=<c@example.org> status=sent reply="250 2.0.0 Ok"'
    "\n"
    '2024-11-29T00:00:0{n}Z toymta[7]: id=T{n} to=<d@example.org> status=bounced reply="554 5.7.1'
    ' Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"\n'
)


def toy_log(n: int = 1) -> bytes:
    """Four ToyMTA lines: one ignored, three events (550 5.1.1, 250, 554 blocklisted)."""
    return TOY.format(n=n).encode()


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_plugin(tmp_path_factory.mktemp("toymta") / "site")


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_plain_file_table_report(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", toy_log() + b"this is not a toymta line\n")
    done = run(["scan", log], plugin)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    head = "logscan scan: 1 file, 5 lines (3 with events, 1 ignored, 1 unrecognized), 3 events"
    assert out.startswith(head)
    assert "mailbox-unknown" in out and "blocklisted" in out
    assert "zen.spamhaus.org" in out
    assert f"{log}:2: 550 5.1.1 <bob@example.net>: Recipient address rejected" in out
    assert "Unrecognized lines: 1" in out and "this is not a toymta line" not in out


def test_show_unrecognized_lists_lines_with_path_and_line(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", toy_log() + b"junk \x1b[31mred\x1b[0m line\n")
    done = run(["scan", "--show-unrecognized", log], plugin)
    assert done.returncode == 0
    assert f"{log}:5: junk ?[31mred?[0m line" in done.stdout
    assert "\x1b" not in done.stdout  # terminal escapes from the log are neutralised


def test_json_summary_structure(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", toy_log() + toy_log(2))
    s = summary(run(["scan", "--format", "json", log], plugin))
    assert s["lines"] == 8 and s["events"] == 6
    assert s["outcomes"] == {"event": 6, "ignored": 2, "unrecognized": 0}
    assert s["outcomes_by_parser"] == {"toymta": s["outcomes"]}
    assert s["files"] == [
        {
            "path": log,
            "parser": "toymta",
            "lines": 8,
            "outcomes": s["outcomes"],
            "error": None,
            "invalid_timestamps": 0,
            "parser_errors": 0,
        }
    ]
    assert s["by_status"] == {"bounced": 4, "sent": 2}
    assert s["by_code"] == {"250": 2, "550": 2, "554": 2}
    assert s["by_class"] == {"permanent": 4, "success": 2}
    assert s["by_category"]["mailbox-unknown"] == 2 and s["by_category"]["blocklisted"] == 2
    assert sum(s["by_category"].values()) == s["events"]
    assert s["by_enhanced"] == {"2.0.0": 2, "5.1.1": 2, "5.7.1": 2}
    assert s["blocklists"] == {"outbound": {"zen.spamhaus.org": 2}, "inbound": {}}
    assert s["by_direction"] == {"outbound": 6} and s["by_mta"] == {"toymta": 6}
    assert s["top_reject_reasons"]["inbound"] == []
    reasons = {(r["category"], r["code"]): r for r in s["top_reject_reasons"]["outbound"]}
    assert set(reasons) == {("mailbox-unknown", "550"), ("blocklisted", "554")}
    assert reasons[("mailbox-unknown", "550")]["count"] == 2
    # the example is the first occurrence
    assert reasons[("blocklisted", "554")]["example"]["path"] == log
    assert reasons[("blocklisted", "554")]["example"]["line"] == 4


def test_events_format_has_contract_keys(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", toy_log())
    evs = events(run(["scan", "--format", "events", log], plugin))
    assert [e["line"] for e in evs] == [2, 3, 4]
    for e in evs:
        assert set(e) >= EVENT_KEYS, EVENT_KEYS - set(e)
    first = evs[0]
    assert first["path"] == log and first["mta"] == "toymta"
    assert (first["code"], first["enhanced"], first["class"]) == ("550", "5.1.1", "permanent")
    assert first["category"] == "mailbox-unknown" and first["status"] == "bounced"
    assert first["recipient"] == "bob@example.net" and first["ts"] == "2024-11-29T00:00:01Z"
    assert evs[2]["blocklist"] == "zen.spamhaus.org"


def test_gzip_is_recognised_by_magic_bytes_not_name(plugin: Path, tmp_path: Path) -> None:
    plain = write(tmp_path / "mail.log", toy_log())
    packed = write(tmp_path / "mail.log.1", gzip.compress(toy_log()))  # no .gz suffix
    a = summary(run(["scan", "--format", "json", plain], plugin))
    b = summary(run(["scan", "--format", "json", packed], plugin))
    assert a["events"] == b["events"] == 3
    assert a["by_category"] == b["by_category"]
    # and a plain file named .gz is read as plain
    fake = write(tmp_path / "plain.gz", toy_log())
    assert summary(run(["scan", "--format", "json", fake], plugin))["events"] == 3


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_stdin(plugin: Path, compress: bool) -> None:
    data = toy_log() + toy_log(2)
    piped = gzip.compress(data) if compress else data
    done = run(["scan", "--format", "events", "-"], plugin, piped)
    assert done.returncode == 0
    evs = events(done)
    assert [(e["path"], e["line"]) for e in evs] == [("<stdin>", n) for n in (2, 3, 4, 6, 7, 8)]


def test_rotated_files_are_read_oldest_first(plugin: Path, tmp_path: Path) -> None:
    live = write(tmp_path / "mail.log", toy_log(3))
    one = write(tmp_path / "mail.log.1", toy_log(2))
    two = write(tmp_path / "mail.log.2.gz", gzip.compress(toy_log(1)))
    done = run(["scan", "--format", "events", live, one, two], plugin)
    assert done.returncode == 0
    order = [e["path"] for e in events(done)]
    assert order == [two] * 3 + [one] * 3 + [live] * 3
    assert [e["queue_id"] for e in events(done)][::3] == ["T1", "T2", "T3"]


def test_a_file_named_twice_is_read_once(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", toy_log())
    (tmp_path / "link.log").symlink_to(log)
    done = run(["scan", "--format", "json", log, log, str(tmp_path / "link.log")], plugin)
    assert done.returncode == 0
    assert summary(done)["events"] == 3 and len(summary(done)["files"]) == 1
    assert f"{log}: given more than once; read once" in done.stderr


def test_crlf_lines_read_like_lf(plugin: Path, tmp_path: Path) -> None:
    lf = summary(run(["scan", "--format", "json", write(tmp_path / "a", toy_log())], plugin))
    crlf_log = write(tmp_path / "b", toy_log().replace(b"\n", b"\r\n"))
    crlf = events(run(["scan", "--format", "events", crlf_log], plugin))
    assert len(crlf) == lf["events"] == 3
    assert all(not e["text"].endswith("\r") for e in crlf)
    assert crlf[0]["recipient"] == "bob@example.net"


def test_garbage_and_invalid_utf8_are_counted_never_fatal(plugin: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(20_000)).replace(b"\n", b"")
    chunks = [garbage[i : i + 500] for i in range(0, len(garbage), 500)]
    data = toy_log() + b"\n".join(chunks) + b"\n\xff\xfe\xc3(\x00bad\n" + toy_log(2)
    toy = ["scan", "--parser", "toymta"]  # mostly garbage: too little ToyMTA for detection
    done = run([*toy, "--format", "events", write(tmp_path / "junk.log", data)], plugin)
    assert done.returncode == 0, done.stderr
    second = len(data.split(b"\n")) - 5  # line number just before the second ToyMTA block
    assert [e["line"] for e in events(done)] == [2, 3, 4, second + 2, second + 3, second + 4]
    s = summary(run([*toy, "--format", "json", str(tmp_path / "junk.log")], plugin))
    assert s["outcomes"]["unrecognized"] == len(chunks) + 1


def test_ten_megabyte_line_counts_once(plugin: Path, tmp_path: Path) -> None:
    big = b"2024-11-29T00:00:01Z toymta[7]: id=BIG note=" + b"x" * 10_000_000
    data = toy_log() + big + b"\n" + toy_log(2) + big  # the last one has no newline
    log = write(tmp_path / "big.log", data)
    s = summary(run(["scan", "--format", "json", log], plugin))
    assert s["lines"] == 10
    assert s["outcomes"] == {"event": 6, "ignored": 4, "unrecognized": 0}
    evs = events(run(["scan", "--format", "events", log], plugin))
    assert [e["line"] for e in evs] == [2, 3, 4, 7, 8, 9]


def test_truncated_gzip_keeps_lines_read_and_names_file_and_line(
    plugin: Path, tmp_path: Path
) -> None:
    rng = random.Random(3)
    body = b"".join(toy_log(rng.randrange(10)) for _ in range(20_000))
    packed = gzip.compress(body)
    log = write(tmp_path / "cut.log.gz", packed[: len(packed) // 2])
    done = run(["scan", "--format", "json", log], plugin)
    assert done.returncode == 1
    s = summary(done)
    reached = s["lines"]
    assert 0 < reached < 80_000
    assert f"{log}:{reached}: gzip data ends early" in done.stderr
    assert s["files"][0]["error"].startswith(f"{log}:{reached}:")
    expected_events = sum(1 for line in body.split(b"\n")[:reached] if b"reply=" in line)
    assert s["events"] == expected_events


def test_corrupt_gzip_is_a_clear_error(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "bad.gz", b"\x1f\x8b" + bytes(range(200)))
    done = run(["scan", log], plugin)
    assert done.returncode == 2
    assert f"logscan scan: {log}: " in done.stderr
    magic_only = write(tmp_path / "cut.gz", b"\x1f\x8b")
    done = run(["scan", magic_only], plugin)
    assert done.returncode == 2
    assert f"{magic_only}: gzip data ends early (file truncated?), before the first line" in (
        done.stderr
    )


def test_missing_file_and_directory(plugin: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "mail.log", toy_log())
    missing = str(tmp_path / "nope.log")
    done = run(["scan", "--format", "json", missing, str(tmp_path), good], plugin)
    assert done.returncode == 1
    assert f"{missing}: no such file" in done.stderr
    assert f"{tmp_path}: is a directory" in done.stderr
    assert summary(done)["events"] == 3  # the readable file still counts
    alone = run(["scan", missing], plugin)
    assert alone.returncode == 2 and f"{missing}: no such file" in alone.stderr


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="logscan-perm-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_permission_denied_as_unprivileged_user(plugin: Path, world_readable_dir: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to drop the file-access capabilities")
    # Root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH obeys file modes like any user, and
    # can still run the interpreter installed under /root.
    unprivileged = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    site = world_readable_dir / "site"
    shutil.copytree(plugin, site)
    good = write(world_readable_dir / "mail.log", toy_log())
    secret = write(world_readable_dir / "secret.log", toy_log(2))
    os.chmod(good, 0o644)
    os.chmod(secret, 0o000)
    done = run(["scan", "--format", "json", secret, good], site, prefix=unprivileged)
    assert done.returncode == 1
    assert f"logscan scan: {secret}: permission denied" in done.stderr
    assert summary(done)["events"] == 3
    alone = run(["scan", secret], site, prefix=unprivileged)
    assert alone.returncode == 2 and "permission denied" in alone.stderr


def test_unrecognised_log_gives_hint_and_nonzero_exit(plugin: Path, tmp_path: Path) -> None:
    other = write(tmp_path / "notes.txt", b"dear diary\nnothing about mail here\n")
    done = run(["scan", other], plugin)
    assert done.returncode == 2
    assert f"{other}: no parser recognised this log" in done.stderr
    assert "--parser NAME" in done.stderr and "toymta" in done.stderr
    good = write(tmp_path / "mail.log", toy_log())
    mixed = run(["scan", "--format", "json", other, good], plugin)
    assert mixed.returncode == 1 and summary(mixed)["events"] == 3


def test_forced_parser(plugin: Path, tmp_path: Path) -> None:
    log = write(tmp_path / "mixed.txt", b"dear diary\n" * 60 + toy_log())
    s = summary(run(["scan", "--parser", "toymta", "--format", "json", log], plugin))
    assert s["events"] == 3 and s["outcomes"]["unrecognized"] == 60
    done = run(["scan", "--parser", "nosuchmta", log], plugin)
    assert done.returncode == 2 and "no parser named 'nosuchmta'" in done.stderr


def test_empty_file_is_not_an_error(plugin: Path, tmp_path: Path) -> None:
    done = run(["scan", "--format", "json", write(tmp_path / "empty.log", b"")], plugin)
    assert done.returncode == 0 and summary(done)["lines"] == 0


def test_broken_rules_dir_is_a_clear_error(plugin: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "local.toml").write_text("[[signature]\nid = 'x'\n")
    done = run(["scan", "--rules-dir", str(rules), write(tmp_path / "m", toy_log())], plugin)
    assert done.returncode == 2
    assert "local.toml" in done.stderr


def test_rules_dir_changes_the_verdict(plugin: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "local.toml").write_text(
        '[[signature]]\nid = "local-recipient-rejected"\npattern = "Recipient address rejected"\n'
        'category = "policy-rejected"\npriority = 1000\n'
    )
    log = write(tmp_path / "m", toy_log())
    evs = events(run(["scan", "--rules-dir", str(rules), "--format", "events", log], plugin))
    assert evs[0]["category"] == "policy-rejected"


def test_help_documents_exit_codes() -> None:
    done = run(["scan", "--help"])
    assert done.returncode == 0
    assert "exit status:" in done.stdout and "nothing could be scanned" in done.stdout


POSTFIX_LOG = DATA / "postfix" / "kumina-postfix_exporter-tests.log"


def message_only(tmp_path: Path) -> str:
    """Real Postfix lines as `journalctl -o cat` prints them: no time, host or program."""
    lines = POSTFIX_LOG.read_text().splitlines()
    bare = [line.split("]: ", 1)[1] for line in lines if "]: " in line]
    return write(tmp_path / "cat.log", ("\n".join(bare) + "\n").encode())


def test_message_only_lines_are_an_error_that_names_journalctl_cat(tmp_path: Path) -> None:
    path = message_only(tmp_path)
    forced = run(["scan", "--parser", "postfix", path])
    assert forced.returncode == 1, forced.stderr
    assert f"{path}: 100% of its" in forced.stderr
    assert "not recognised by the postfix parser" in forced.stderr
    assert "journalctl -o cat" in forced.stderr
    detected = run(["scan", path])
    assert detected.returncode == 2
    assert "no parser recognised this log" in detected.stderr
    assert "journalctl -o cat" in detected.stderr


def test_log_of_another_mta_forced_on_postfix_is_an_error(tmp_path: Path) -> None:
    exim = DATA / "exim"
    mainlog = next(p for p in sorted(exim.iterdir()) if p.suffix == ".log")
    done = run(["scan", "--parser", "postfix", str(mainlog)])
    assert done.returncode == 1
    assert "not recognised by the postfix parser" in done.stderr
    assert "another MTA" in done.stderr


OPERATOR_SIGNATURE = """\
[[signature]]
id = "local-acme-block"
pattern = 'ACME-BLOCK-\\d+'
category = "blocklisted"
blocklist = "acme:internal"
examples = ["550 ACME-BLOCK-17 go away"]
"""


def test_scan_and_explain_use_the_configs_rule_directories(tmp_path: Path) -> None:
    # The daemon classifies with the config's rules_dirs; a report of the same log must agree.
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "local.toml").write_text(OPERATOR_SIGNATURE)
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(f'rules_dirs = ["{rules}"]\n[[sources]]\npath = "/var/log/mail.log"\n')
    log = write(
        tmp_path / "mail.log",
        b"Jan 10 10:00:00 mx postfix/smtp[1]: 4A: to=<a@example.com>, relay=mx.example.com"
        b"[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host "
        b"mx.example.com[192.0.2.1] said: 550 ACME-BLOCK-17 go away (in reply to RCPT TO "
        b"command))\n",
    )
    with_cfg = events(
        run(["scan", "-c", str(cfg), "--parser", "postfix", "--format", "events", log])
    )
    assert [(e["category"], e["blocklist"]) for e in with_cfg] == [("blocklisted", "acme:internal")]
    without = events(run(["scan", "--parser", "postfix", "--format", "events", log]))
    assert without[0]["blocklist"] is None
    explained = run(["explain", "-c", str(cfg), "--json", "550 ACME-BLOCK-17 go away"])
    assert '"acme:internal"' in explained.stdout


def test_a_broken_config_is_a_clear_scan_error(tmp_path: Path) -> None:
    cfg = tmp_path / "logscan.toml"
    cfg.write_text("rules_dirs = [\n")
    log = write(tmp_path / "mail.log", b"")
    done = run(["scan", "-c", str(cfg), log])
    assert done.returncode == 2
    assert str(cfg) in done.stderr
