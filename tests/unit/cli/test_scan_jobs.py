"""``logscan scan -j N`` prints what ``-j 1`` prints, byte for byte, whatever the files.

The set mixes what makes a merge of partial results go wrong: a rotated Postfix log in three
files (one gzip) whose messages are queued in one file and delivered in the next, the five
MTAs, two files whose unrecognized lines cross the 200 kept, a missing file and a truncated
gzip (error lines and exit status), and a time window.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.logscan_cli import logscan_exe, run, summary
from tests.helpers.paths import DATA

POSTFIX = DATA / "postfix" / "genlog-seed7-bsd.log"
OTHER_MTAS = [
    DATA / "exim" / "genlog-seed2.log",
    DATA / "sendmail" / "genlog-seed2.log",
    DATA / "exchange" / "MSGTRK20240312-1.LOG",
    DATA / "mdaemon" / "MDaemon-all-realtime-2024-03-12.log",
]
FORMATS = ("table", "json", "events", "html")


def _rotated(directory: Path) -> list[Path]:
    """POSTFIX cut in three, as logrotate leaves it: mail.log.2.gz, mail.log.1, mail.log."""
    lines = POSTFIX.read_bytes().splitlines(keepends=True)
    third = len(lines) // 3
    directory.mkdir()
    old = directory / "mail.log.2.gz"
    old.write_bytes(gzip.compress(b"".join(lines[:third])))
    (directory / "mail.log.1").write_bytes(b"".join(lines[third : 2 * third]))
    (directory / "mail.log").write_bytes(b"".join(lines[2 * third :]))
    # Given newest first: scan reads a log's rotated files oldest first, with -j too.
    return [directory / "mail.log", directory / "mail.log.1", old]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("jobs")
    junk = b"".join(b"dear diary %d\n" % i for i in range(150))
    noisy = [tmp / "noisy-1.log", tmp / "noisy-2.log"]  # 150 unrecognized lines each
    for path in noisy:
        path.write_bytes(POSTFIX.read_bytes()[:20_000] + junk)
    packed = gzip.compress((DATA / "postfix" / "genlog-seed8-rfc3339.log").read_bytes())
    truncated = tmp / "cut.log.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    paths = [
        *_rotated(tmp / "rotated"),
        *OTHER_MTAS,
        *noisy,
        truncated,
        tmp / "missing.log",
    ]
    return [str(p) for p in paths]


def _scan(jobs: int, *args: str) -> tuple[int, str, str]:
    done = run(["scan", "-j", str(jobs), *args])
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_errors_and_exit_status_are_those_of_one_job(fmt: str, files: list[str]) -> None:
    args = ("--format", fmt)
    one = _scan(1, *args, "--show-unrecognized", *files)
    assert one[0] == 1  # the missing file and the truncated gzip
    assert "missing.log: no such file" in one[2] and "cut.log.gz" in one[2]
    assert _scan(2, *args, "--show-unrecognized", *files) == one
    assert _scan(3, *args, "--show-unrecognized", *files) == one


def test_the_set_exercises_what_a_merge_would_get_wrong(files: list[str]) -> None:
    """Messages cross the rotated files' boundaries, and the kept unrecognized lines cap."""
    whole = summary(run(["scan", "-j", "1", "--format", "json", "--show-unrecognized", *files]))
    assert whole["unrecognized_not_shown"] == 100 and len(whole["unrecognized_lines"]) == 200
    rotated = files[:3]
    together = summary(run(["scan", "-j", "1", "--format", "json", *rotated]))
    alone = [summary(run(["scan", "--format", "json", path])) for path in rotated]

    def in_flight(s: dict) -> int:
        return int(s["traffic"]["messages"]["by_outcome"]["in_flight"])

    # Read apart, the files leave messages unfinished that read in order are delivered.
    assert sum(in_flight(s) for s in alone) > in_flight(together)
    assert {f["parser"] for f in whole["files"]} >= {"postfix", "exim", "sendmail", "exchange"}


def test_time_window_is_that_of_one_job(files: list[str]) -> None:
    span = summary(run(["scan", "--format", "json", files[0]]))["traffic"]["span"]
    window = ("--since", span["first"][:16], "--until", span["last"][:16])
    one = _scan(1, "--format", "json", *window, *files)
    assert json.loads(one[1])["window"]["since"] == f"{span['first'][:16]}:00"
    assert _scan(2, "--format", "json", *window, *files) == one


def test_stdin_among_the_files_is_read_in_order(files: list[str]) -> None:
    data = POSTFIX.read_bytes()
    args = ["scan", "--format", "json", files[3], "-", files[4]]
    assert run([*args, "-j", "2"], stdin=data).stdout == run([*args, "-j", "1"], stdin=data).stdout


def test_jobs_must_be_a_positive_number() -> None:
    for bad in ("0", "-2", "many"):
        done = run(["scan", "-j", bad, str(POSTFIX)])
        assert done.returncode == 2 and "a number of processes" in done.stderr


def test_closed_stdout_ends_quietly_and_leaves_no_files(files: list[str], tmp_path: Path) -> None:
    """``scan -j 2 --format events ... | head -1``: exit 0, workers gone, their files too."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where the workers' streams go
    # Their events are some hundred KB: more than a pipe holds, so the writer meets the closed end.
    cmd = [logscan_exe(), "scan", "-j", "2", "--format", "events", *files]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()
    assert proc.wait(120) == 0
    assert b"Traceback" not in proc.stderr.read()
    assert list(tmp_path.iterdir()) == []


def test_parser_faults_are_told_in_file_order(plugin_site: Path, tmp_path: Path) -> None:
    """A plug-in that raises on ``boom`` lines: stderr names each fault, file by file, before
    the file's own error, as with one job."""
    paths = []
    for n in range(3):
        log = tmp_path / f"mail-{n}.log"
        body = "".join(f"{n} {i} testmta: code=550 status=bounced\n" for i in range(40))
        log.write_text(body + "x testmta: boom\n" * (n + 1) + body)
        paths.append(str(log))
    args = ["scan", "--parser", "testmta", "--format", "json", *paths, str(tmp_path / "gone")]
    one = run([*args, "-j", "1"], plugin_site)
    assert one.stderr.count("parser raised") == 3 and one.returncode == 1
    two = run([*args, "-j", "2"], plugin_site)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)


def test_more_files_than_descriptors(tmp_path: Path) -> None:
    """Each worker's descriptors are closed once its file is summed: 200 files under a limit
    of 64 open files."""
    lines = POSTFIX.read_bytes().splitlines(keepends=True)
    paths = []
    for n in range(200):
        path = tmp_path / f"part-{n}.log"
        path.write_bytes(b"".join(lines[n * 10 : n * 10 + 10]))
        paths.append(str(path))

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    def scan(jobs: str) -> subprocess.CompletedProcess[bytes]:
        cmd = [logscan_exe(), "scan", "-j", jobs, "--format", "json", *paths]
        return subprocess.run(cmd, capture_output=True, preexec_fn=few_descriptors, timeout=300)

    two = scan("2")
    assert (two.returncode, two.stderr) == (0, b"")
    assert two.stdout == scan("1").stdout


def test_a_worker_out_of_space_is_an_error_not_a_short_report(tmp_path: Path) -> None:
    """Streams larger than the file size limit (a full disk alike): exit 2, one line each, no
    traceback, no file left."""

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    cmd = [logscan_exe(), "scan", "-j", "2", str(POSTFIX), *map(str, OTHER_MTAS)]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        cmd, capture_output=True, env=env, preexec_fn=small_files, text=True, timeout=300
    )
    assert done.returncode == 2 and done.stdout == ""
    assert f"{POSTFIX}: the worker reading it failed (exit status 1)" in done.stderr
    assert "File too large" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_ends_the_workers_and_removes_their_files(
    tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    """Stopped while a worker waits on a FIFO that stays open and silent: the worker ends
    (the FIFO has no reader left), and no file stays."""
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    spool = tmp_path / "tmp"
    spool.mkdir()
    cmd = [logscan_exe(), "scan", "-j", "2", str(POSTFIX), str(fifo)]
    env = {**os.environ, "TMPDIR": str(spool)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    while (writer := _writer(fifo)) is None:  # until the worker has opened the FIFO
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(writer)
    assert proc.returncode == status and b"Traceback" not in err
    assert _writer(fifo) is None
    assert list(spool.iterdir()) == []


def _writer(fifo: Path) -> int | None:
    """A descriptor writing to ``fifo``, None if it has no reader."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        assert exc.errno == errno.ENXIO  # no reader
        return None
