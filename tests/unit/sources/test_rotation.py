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

from logscan.sources.discovery import FileSource


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


def test_copytruncate_then_rename_between_a_read_and_the_look_at_the_path(tmp_path: Path) -> None:
    """Mixed methods on one file, while the follower reads it to its end and before it looks at
    the path: logrotate copies it and truncates it (copytruncate), the writer writes less than
    was read, then logrotate renames it and creates a new one. The old file's copy holds what
    came after the offset, and the old file itself new lines from 0: neither may be skipped."""
    log = tmp_path / "mail.log"
    bursts = [[f"burst {b} line {i} x" for i in range(n)] for b, n in enumerate([60, 20, 10, 5])]
    log.write_text("".join(line + "\n" for line in bursts[0]))
    got: list[str] = []

    def rotate_twice() -> None:
        with log.open("a") as fh:
            fh.write("".join(line + "\n" for line in bursts[1]))
        copytruncate(log, random.Random(0), lambda: None)
        log.write_text("".join(line + "\n" for line in bursts[2]))  # shorter than bursts[0]
        shift(log, lambda: None)
        os.rename(log, log.with_name("mail.log.1"))
        log.write_text("".join(line + "\n" for line in bursts[3]))

    def handler(lines: list[str], first: int) -> None:
        got.extend(lines)
        if len(got) == len(bursts[0]):
            rotate_twice()  # inside the follower's step: after its read, before its stat

    fs = FileSource(str(log), lambda path: handler, lambda *a: None, "beginning", None)
    while fs.step():
        pass
    fs.step()
    fs.close()
    assert got == [line for burst in bursts for line in burst]
