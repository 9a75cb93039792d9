"""A randomized crash/rotation model of the daemon's file reading, cheap enough for many seeds.

One seed drives the real :class:`~logscan.sources.discovery.FileSource` in-process against real
files:

* a writer appends bursts of unique lines;
* logrotate rotates with a ``rotate K`` policy: ``.N`` shifts to ``.N+1`` first, then the file is
  renamed to ``.1`` and re-created, or copied to ``.1`` and truncated (copytruncate); the method
  is drawn per rotation, so both are mixed on one file; files past ``.K`` are deleted. The
  follower may look between any two of logrotate's renames and in the middle of its copy;
* the daemon takes a random number of bounded steps (so it falls behind by zero, one or many
  rotations) and checkpoints at random: positions, the lines counted and the loss counters,
  together, as the daemon's checkpoint holds them;
* ``kill -9`` at random, including right after a restart (during start-up and catch-up): the
  in-memory state is dropped and a new source resumes from the last checkpoint; sometimes the
  writer and logrotate carry on for a while before it does (lines written while down).

The truth is every line written. The model holds when no line is counted twice, and every line
not counted is accounted for by a reported loss: when lines are missing, at least one file was
reported lost, and the bytes reported lost never exceed the bytes missing (they are a lower
bound). With a policy that deletes nothing, nothing may be missing and nothing reported lost.

One exception, the limit the README states: a restart from a checkpoint that knew fewer than
FP_MIN first bytes of a file (an empty file just rotated in) after logrotate deleted files while
the daemon was down (or before its first look after the restart). The file's identity is then its
inode only (it is still that file), and with copytruncate its lines may have moved to a copy that
is gone: lines can be lost silently. Such seeds are counted (``blind_restarts``); a line missing
in them need not have been reported.

A file created under an inode number logrotate had just freed (``inode_reuses``) is told from the
deleted file by the inode's generation where the file system keeps one (``generations``: ext4,
XFS, Btrfs), and then nothing is excused for it. Where it does not (tmpfs), it may be taken for
the deleted file: such seeds may lose lines without a report, and, with a blind restart, count
some twice.
"""

from __future__ import annotations

import copy
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logscan.sources.discovery import FileSource
from logscan.sources.file_identity import FP_MIN, generation
from logscan.sources.loss import Loss

KEEP_ALL = 0  # a ``rotate`` count of 0 here: logrotate never deletes


@dataclass(frozen=True)
class Outcome:
    seed: int
    keep: int  # logrotate's ``rotate`` count (KEEP_ALL: none deleted)
    written: int
    counted: int
    duplicates: int
    duplicate_bytes: int
    missing_lines: int
    missing_bytes: int
    lost_files: int
    lost_bytes: int
    crashes: int
    # Restarts from a checkpoint that knew fewer than FP_MIN first bytes of a file (an empty
    # file just rotated in), with files deleted since: see the README's limits.
    blind_restarts: int
    # Files logrotate created under an inode number it had just freed: told apart by the inode's
    # generation where the file system keeps one (``generations``); see the README's limits.
    inode_reuses: int
    generations: bool
    rotations: int
    deleted: int  # rotated files logrotate deleted

    def problems(self) -> list[str]:
        """What breaks the model (empty when it holds)."""
        out = []
        # A reused inode number passes for the old file only where generations are unknown.
        reuse_unseen = self.inode_reuses and not self.generations
        if self.duplicates and not (self.blind_restarts and reuse_unseen):
            out.append(f"{self.duplicates} lines counted twice")
        if self.counted + self.missing_lines != self.written:
            out.append("lines counted that were never written")
        if self.missing_lines and not self.lost_files and not (self.blind_restarts or reuse_unseen):
            out.append(f"{self.missing_lines} lines missing and no loss reported")
        # (A line counted twice can hide one missing: only in the exception below.)
        if self.lost_bytes > self.missing_bytes + self.duplicate_bytes:
            out.append(f"{self.lost_bytes} bytes reported lost, only {self.missing_bytes} missing")
        if self.keep == KEEP_ALL and (self.missing_lines or self.lost_files):
            out.append("lines missing or losses reported while no file was deleted")
        return out


class _Logrotate:
    """logrotate with a ``rotate`` count, rename or copytruncate per rotation."""

    def __init__(self, log: Path, keep: int, rng: random.Random) -> None:
        self.log, self.keep, self.rng = log, keep, rng
        self.rotations = self.deleted = 0
        self.freed: set[int] = set()  # inode numbers of files deleted
        self.reused = 0  # files created with one of those numbers

    def rotate(self, between: Any) -> None:
        rotated = sorted(
            (int(p.name.rsplit(".", 1)[1]), p) for p in self.log.parent.glob(self.log.name + ".*")
        )
        for n, p in reversed(rotated):
            if self.keep != KEEP_ALL and n >= self.keep:
                self.freed.add(p.stat().st_ino)
                p.unlink()  # would become .keep+1: logrotate deletes it
                self.deleted += 1
            else:
                os.rename(p, self.log.with_name(f"{self.log.name}.{n + 1}"))
            between()
        first = self.log.with_name(self.log.name + ".1")
        if self.rng.random() < 0.5:
            os.rename(self.log, first)
            between()
            self.log.touch()
            self._created(self.log)
        else:
            data = self.log.read_bytes()
            half = self.rng.randint(0, len(data))
            with first.open("wb") as out:
                self._created(first)
                out.write(data[:half])
                out.flush()
                between()
                out.write(data[half:])
            between()
            os.truncate(self.log, 0)
        self.rotations += 1

    def _created(self, path: Path) -> None:
        if path.stat().st_ino in self.freed:
            self.reused += 1


class _Daemon:
    """The daemon's file reading and its checkpoint, with crashes that drop what is in memory."""

    def __init__(self, log: Path, rotate: _Logrotate) -> None:
        self.log = log
        self.rotate = rotate
        self.got: list[str] = []
        self.lost_files = self.lost_bytes = 0
        self.crashes = 0
        self.saved: tuple[Any, int, int, int] | None = None
        self.saved_deleted = 0  # files logrotate had deleted when the checkpoint was written
        self.blind_restarts = 0
        self.restored_blind = False
        self.fs = self._source(None)
        self.checkpoint()

    def _source(self, positions: Any) -> FileSource:
        def make(path: str) -> Any:
            return lambda lines, first: self.got.extend(lines)

        return FileSource(str(self.log), make, lambda *a: None, "end", positions, self._lose)

    def _lose(self, loss: Loss) -> None:
        self.lost_files += 1
        self.lost_bytes += loss.bytes

    def checkpoint(self) -> None:
        self.saved = (
            copy.deepcopy(self.fs.positions()),
            len(self.got),
            self.lost_files,
            self.lost_bytes,
        )
        self.saved_deleted = self.rotate.deleted

    def crash(self) -> None:
        self.fs.close()
        self.crashes += 1

    def restart(self) -> None:
        assert self.saved is not None
        positions, n, self.lost_files, self.lost_bytes = self.saved
        self.restored_blind = any(p["fp_len"] < FP_MIN for ps in positions.values() for p in ps)
        if self.restored_blind and self.rotate.deleted > self.saved_deleted:
            self.blind_restarts += 1
        del self.got[n:]
        self.fs = self._source(copy.deepcopy(positions))


def run(directory: Path, seed: int, bursts: int = 25) -> Outcome:
    rng = random.Random(seed)
    keep = rng.choice([KEEP_ALL, 1, 2, 3, 7])
    log = directory / "mail.log"
    log.touch()
    rotate = _Logrotate(log, keep, rng)
    d = _Daemon(log, rotate)
    down = False
    written: list[str] = []

    def between() -> None:
        """Sometimes the daemon steps (and checkpoints) in the middle of a rotation."""
        if not down and rng.random() < 0.2:
            d.fs.step(budget=rng.choice([4096, 65536]))
            if rng.random() < 0.5:
                d.checkpoint()

    starting = False
    for burst in range(bursts):
        n = rng.randint(20, 600)
        batch = [f"{seed} {burst} {i} {'x' * rng.randint(0, 40)}" for i in range(n)]
        with log.open("a") as fh:
            fh.write("".join(line + "\n" for line in batch))
        written.extend(batch)
        if rng.random() < 0.35:
            if not (down or starting or keep == KEEP_ALL) and not _catch_up(d, rng):
                down = True  # killed while catching up
            deleted = rotate.deleted
            rotate.rotate(between)
            if starting and d.restored_blind and rotate.deleted > deleted:
                d.blind_restarts += 1  # deleted before the daemon's first look: as if down
        starting = False
        if down:
            if rng.random() < 0.5:
                continue  # still down: the writer and logrotate carry on
            d.restart()
            down, starting = False, True
            if rng.random() < 0.7:
                d.checkpoint()  # the checkpoint written at start-up
        for _ in range(rng.randint(0, 3)):
            d.fs.step(budget=rng.choice([4096, 65536, 262144]))
            if rng.random() < 0.5:
                d.checkpoint()
        if rng.random() < 0.25:
            d.crash()
            down = True
    if down:
        d.restart()
    while d.fs.step():
        pass
    d.fs.step()
    d.fs.close()
    return _judge(seed, keep, written, d, rotate)


def _catch_up(d: _Daemon, rng: random.Random) -> bool:
    """A running daemon reads between two of logrotate's runs (hours apart) all that is
    written: it is never many rotations behind unless it was down or starting. False when
    it was killed on the way."""
    while d.fs.step(budget=rng.choice([4096, 65536, 262144])):
        if rng.random() < 0.2:
            d.checkpoint()
        if rng.random() < 0.02:
            d.crash()
            return False
    d.fs.step()
    return True


def _has_generations(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        return generation(fd) is not None
    finally:
        os.close(fd)


def _judge(seed: int, keep: int, written: list[str], d: _Daemon, rotate: _Logrotate) -> Outcome:
    counts = Counter(d.got)
    truth = set(written)
    missing = [line for line in written if line not in counts]
    return Outcome(
        seed=seed,
        keep=keep,
        written=len(written),
        counted=sum(1 for line in counts if line in truth),
        duplicates=sum(c - 1 for c in counts.values() if c > 1),
        duplicate_bytes=sum(
            (c - 1) * (len(line.encode()) + 1) for line, c in counts.items() if c > 1
        ),
        missing_lines=len(missing),
        missing_bytes=sum(len(line.encode()) + 1 for line in missing),
        lost_files=d.lost_files,
        lost_bytes=d.lost_bytes,
        crashes=d.crashes,
        blind_restarts=d.blind_restarts,
        inode_reuses=rotate.reused,
        generations=_has_generations(d.log),
        rotations=rotate.rotations,
        deleted=rotate.deleted,
    )
