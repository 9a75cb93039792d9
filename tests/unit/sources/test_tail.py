"""The file follower in-process: exactly-once through rotations, copytruncate and crashes.

A seeded scenario writes bursts of unique lines, rotates by rename or copytruncate (keeping every
rotated file), lets the follower take a random number of steps (so it falls behind by zero, one
or several rotations), and "crashes" at random: the lines handed over since the last saved
positions are dropped and a new follower resumes from those positions, exactly as the daemon
does from its checkpoint. Every line written must be handed over exactly once.
"""

from __future__ import annotations

import copy
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from logscan.sources.tail import FileSource, Follower, is_rotated_name, rotation_pattern


def shift(log: Path, between: Any) -> None:
    rotated = sorted((int(p.name.rsplit(".", 1)[1]), p) for p in log.parent.glob(log.name + ".*"))
    for n, p in reversed(rotated):
        os.rename(p, log.with_name(f"{log.name}.{n + 1}"))
        between()


def copytruncate(log: Path, rng: random.Random, between: Any) -> None:
    """logrotate's copytruncate, with the follower possibly looking in the middle of the copy."""
    data = log.read_bytes()
    half = rng.randint(0, len(data))
    with log.with_name(log.name + ".1").open("wb") as out:
        out.write(data[:half])
        out.flush()
        between()
        out.write(data[half:])
    between()
    os.truncate(log, 0)


def scenario(
    directory: Path, seed: int, crashes: bool, interleave: bool = False
) -> tuple[int, list[str]]:
    rng = random.Random(seed)
    log = directory / "mail.log"
    log.touch()
    got: list[str] = []

    def make(path: str) -> Any:
        return lambda lines, first: got.extend(lines)

    def source(saved: Any) -> FileSource:
        return FileSource(str(log), make, lambda *a: None, "end", saved)

    fs = source(None)
    saved: tuple[Any, int] = (fs.positions(), 0)
    written = 0

    def between() -> None:
        """Sometimes the follower steps (and a checkpoint is taken) mid-rotation."""
        nonlocal saved
        if interleave and rng.random() < 0.3:
            fs.step()
            if rng.random() < 0.5:
                saved = (copy.deepcopy(fs.positions()), len(got))

    for burst in range(30):
        n = rng.randint(50, 1500)
        with log.open("a") as fh:
            fh.write("".join(f"{seed} {burst} {i} x\n" for i in range(n)))
        written += n
        action = rng.random()
        if action < 0.2:
            shift(log, between)
            os.rename(log, log.with_name("mail.log.1"))
            between()
            log.touch()
        elif action < 0.35:
            shift(log, between)
            copytruncate(log, rng, between)
        for _ in range(rng.randint(0, 3)):
            fs.step(budget=rng.choice([4096, 65536, 262144]))
            if rng.random() < 0.5:
                saved = (copy.deepcopy(fs.positions()), len(got))
        if crashes and rng.random() < 0.25:
            fs.close()
            del got[saved[1] :]
            fs = source(saved[0])
    while fs.step():
        pass
    fs.step()
    fs.close()
    return written, got


@pytest.mark.parametrize("seed", range(12))
def test_rotations_exactly_once(tmp_path: Path, seed: int) -> None:
    written, got = scenario(tmp_path, seed, crashes=False)
    assert len(got) == written
    assert not [line for line, c in Counter(got).items() if c > 1]


@pytest.mark.parametrize("seed", range(100, 112))
def test_rotations_and_crashes_exactly_once(tmp_path: Path, seed: int) -> None:
    written, got = scenario(tmp_path, seed, crashes=True)
    assert len(got) == written
    assert not [line for line, c in Counter(got).items() if c > 1]


# Seeds that once lost or repeated lines (copies made mid-scan, chains of copytruncates).
@pytest.mark.parametrize("seed", [*range(200, 212), 3, 27, 65, 133, 233, 270, 341, 519, 535])
def test_steps_in_the_middle_of_rotations(tmp_path: Path, seed: int) -> None:
    """The follower looks between logrotate's renames and in the middle of its copy."""
    written, got = scenario(tmp_path, seed, crashes=True, interleave=True)
    assert len(got) == written
    assert not [line for line, c in Counter(got).items() if c > 1]


def test_partial_and_crlf_and_overlong(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\r\ntwo\n" + b"x" * 600_000 + b"\nthr")
    got: list[str] = []
    f = Follower(str(p), lambda lines, first: got.extend(lines), lambda *a: None, "beginning")
    while f.step():
        pass
    assert got[:2] == ["one", "two"]
    assert len(got) == 3 and got[2] == "x" * (64 * 1024 * 4)
    assert f.positions()[0]["offset"] == 9 + 600_001
    with p.open("ab") as fh:
        fh.write(b"ee\n")
    while f.step():
        pass
    assert got[3] == "three"


def test_start_at_end_begins_on_a_line_boundary(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_text("old\nhalf")
    got: list[str] = []
    f = Follower(str(p), lambda lines, first: got.extend(lines), lambda *a: None, "end")
    with p.open("a") as fh:
        fh.write(" done\nnew\n")
    while f.step():
        pass
    assert got == ["half done", "new"]


def test_rotation_names() -> None:
    pat = rotation_pattern("/var/log/mail.log")
    assert pat.fullmatch("mail.log.1") and pat.fullmatch("mail.log-20240101")
    assert not pat.fullmatch("mail.log.1.gz") and not pat.fullmatch("mail.log")
    assert is_rotated_name("x.log.2.gz") and is_rotated_name("x.log.3")
    assert not is_rotated_name("x.log")


class _NoDescriptorsLeft:
    """Real EMFILE: lower the soft descriptor limit and take every descriptor left."""

    def __enter__(self) -> _NoDescriptorsLeft:
        import resource

        self.limits = resource.getrlimit(resource.RLIMIT_NOFILE)
        in_use = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 64, self.limits[1]))
        self.fds: list[int] = []
        self.take_the_rest()
        return self

    def take_the_rest(self) -> None:
        """Again after the code under test closed a descriptor of its own."""
        try:
            while True:
                self.fds.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            pass

    def __exit__(self, *exc: object) -> None:
        import resource

        for fd in self.fds:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, self.limits)


def _rotate_to(log: Path, prepared: Path, rotated: int) -> None:
    """rename+create without a descriptor: the new file was prepared beforehand."""
    for n in range(rotated, 0, -1):
        os.rename(log.with_name(f"mail.log.{n}"), log.with_name(f"mail.log.{n + 1}"))
    os.rename(log, log.with_name("mail.log.1"))
    os.rename(prepared, log)


def _emfile_scenario(tmp_path: Path, delete: bool) -> tuple[list[str], list[Any]]:
    """The path names a file that cannot be opened (EMFILE), which is rotated away before it
    can be; then descriptors are free again (or the file was deleted meanwhile)."""
    log, third = tmp_path / "mail.log", tmp_path / "next"
    log.write_text("b1\nb2\nb3\n")
    third.write_text("c1\n")
    got: list[str] = []
    losses: list[Any] = []

    def handler(lines: list[str], first: int) -> None:
        got.extend(lines)

    with _NoDescriptorsLeft() as no_fds:
        f = Follower(str(log), handler, lambda *a: None, "beginning", lose=losses.append)
        f.step()
        _rotate_to(log, third, 0)
        for _ in range(3):
            f.step()
            no_fds.take_the_rest()
        if delete:
            (tmp_path / "mail.log.1").unlink()
    while f.step():
        pass
    f.step()
    f.close()
    return got, losses


def test_unopenable_file_rotated_away_is_read_once_it_can_be(tmp_path: Path) -> None:
    got, losses = _emfile_scenario(tmp_path, delete=False)
    assert got == ["b1", "b2", "b3", "c1"]
    assert not losses


def test_unopenable_file_deleted_before_it_could_be_read_is_counted_as_lost(
    tmp_path: Path,
) -> None:
    got, losses = _emfile_scenario(tmp_path, delete=True)
    assert got == ["c1"]
    assert [(loss.reason, loss.bytes) for loss in losses] == [("unreadable_file_gone", 9)]
