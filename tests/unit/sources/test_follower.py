"""One path followed: where it starts, and files it cannot open (EMFILE) read once it can."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from logscan.sources.file_identity import Sibling, generation
from logscan.sources.follower import Follower
from logscan.sources.loss import Loss


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


def test_a_file_under_a_reused_inode_number_is_not_taken_for_the_checkpointed_one(
    tmp_path: Path,
) -> None:
    """logrotate deleted the checkpointed file (fewer than FP_MIN bytes read: known by its inode)
    and a new file got its inode number: a new generation. Resuming in it at the old offset would
    skip its first lines unreported; it is read from 0 and the old file reported lost."""
    log = tmp_path / "mail.log"
    log.write_text("a1\na2\na3\n")
    f = Follower(str(log), lambda lines, first: None, lambda *a: None, "beginning")
    while f.step():
        pass
    (pos,) = f.positions()
    f.close()
    if pos.identity.gen is None:
        pytest.skip("this file system keeps no inode generations")
    # The same inode number, another file: what a reuse looks like, made without luck.
    reused = replace(pos, identity=replace(pos.identity, gen=pos.identity.gen ^ 1))
    log.write_text("x1\nx2\nx3\nx4\n")
    got: list[str] = []
    losses: list[Loss] = []
    f = Follower(
        str(log),
        lambda lines, first: got.extend(lines),
        lambda *a: None,
        "end",
        [reused],
        losses.append,
    )
    while f.step():
        pass
    f.close()
    assert got == ["x1", "x2", "x3", "x4"]
    assert losses == [Loss(str(log), "rotated_file_gone", 0)]


def test_a_successor_under_a_reused_inode_number_is_read_not_taken_for_an_older_file(
    tmp_path: Path,
) -> None:
    """The checkpoint lists the rotated files there when the file was opened, by inode number.
    logrotate deleted one, and a file rotated later got its number: by its generation it is a
    new file, a successor to read, not the older file already accounted for."""
    log = tmp_path / "mail.log"
    log.write_text("".join(f"first file, line {i}\n" for i in range(3)))
    f = Follower(str(log), lambda lines, first: None, lambda *a: None, "beginning")
    while f.step():
        pass
    (pos,) = f.positions()
    f.close()
    # While down: two rotations; the file between them is the one with a reused number.
    os.rename(log, log.with_name("mail.log.2"))
    between = log.with_name("mail.log.1")
    between.write_text("between 1\nbetween 2\n")
    log.write_text("current 1\n")
    fd = os.open(between, os.O_RDONLY)
    gen = generation(fd)
    os.close(fd)
    if gen is None:
        pytest.skip("this file system keeps no inode generations")
    st = between.stat()
    # The same inode number listed as an older file (a smaller size: no other sign of reuse).
    reused = replace(pos, siblings={(st.st_dev, st.st_ino): Sibling(1, gen ^ 1)})
    got: list[str] = []
    f = Follower(str(log), lambda lines, first: got.extend(lines), lambda *a: None, "end", [reused])
    while f.step():
        pass
    f.close()
    assert got == ["between 1", "between 2", "current 1"]


def test_a_copytruncate_between_the_look_at_the_file_and_the_read_costs_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """logrotate runs in another process: its copytruncate, and the writer's next lines, can
    land between the follower's check for a truncation and its read. The bytes past our offset
    are then the new file's; read as the old one's rest, they were counted twice (they come
    again from offset 0) and the old rest in the copy was lost (seen in the kill -9 crash test).
    The rotation is made at that instant, right after the real check answers."""
    import shutil

    log = tmp_path / "mail.log"
    old = [f"old line {i:04d} of the first file" for i in range(60)]
    new = [f"new line {i:04d} of the second file, longer" for i in range(200)]
    log.write_text("".join(f"{line}\n" for line in old))
    got: list[str] = []
    f = Follower(str(log), lambda lines, first: got.extend(lines), lambda *a: None, "beginning")
    f.step(budget=700)  # the first lines only
    assert 0 < len(got) < len(old)
    reader = f.readers[0]
    check = reader.rewritten
    rotated: list[bool] = []

    def copytruncate_right_after_the_check() -> bool:
        answer = check()
        if not rotated:
            rotated.append(True)
            shutil.copyfile(log, log.with_name("mail.log.1"))
            os.truncate(log, 0)
            with log.open("a") as fh:
                fh.write("".join(f"{line}\n" for line in new))
        return answer

    monkeypatch.setattr(reader, "rewritten", copytruncate_right_after_the_check)
    while f.step(budget=700):
        pass
    assert rotated
    assert got == old + new


def test_two_rotations_between_opening_the_new_file_and_listing_its_siblings_cost_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a rotation the follower opens the new file, then lists the rotated files there
    (the ones before it). If logrotate rotates twice in between, the new file's successor is
    already among them, and was taken for an older file: never read (seen in the kill -9
    crash test, a whole rotated file lost). The rotations are made at that instant."""
    log = tmp_path / "mail.log"

    def lines(tag: str, n: int) -> list[str]:
        return [f"{tag} line {i:04d}" for i in range(n)]

    def write(batch: list[str]) -> None:
        with log.open("a") as fh:
            fh.write("".join(f"{line}\n" for line in batch))

    def rotate() -> None:
        for n in sorted((int(p.suffix[1:]) for p in tmp_path.glob("mail.log.*")), reverse=True):
            os.rename(log.with_name(f"mail.log.{n}"), log.with_name(f"mail.log.{n + 1}"))
        os.rename(log, log.with_name("mail.log.1"))
        log.touch()

    a, b, c, d = lines("a", 50), lines("b", 40), lines("c", 30), lines("d", 20)
    write(a)
    got: list[str] = []
    f = Follower(str(log), lambda batch, first: got.extend(batch), lambda *x: None, "beginning")
    while f.step():
        pass
    rotate()
    write(b)
    real = f._rotated.stats
    injected: list[bool] = []

    def two_rotations_first() -> Any:
        if not injected:  # the first listing: right after the new file (b) was opened
            injected.append(True)
            rotate()  # the file just opened (b) goes away ...
            write(c)  # ... its successor is written (a clock tick later: file times are coarse)
            later = os.stat(log.with_name("mail.log.1")).st_mtime_ns + 10_000_000
            os.utime(log, ns=(later, later))
            rotate()  # ... and so does its successor (c), now among the siblings
            write(d)
        return real()

    monkeypatch.setattr(f._rotated, "stats", two_rotations_first)
    for _ in range(50):
        f.step()
    assert injected
    assert got == a + b + c + d


def test_a_rotation_between_listing_successors_and_opening_the_new_file_costs_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a rotation the follower lists the files rotated since its file (its successors),
    then takes up the path's file. A rotation in between made the path name a newer file, and
    the one rotated meanwhile was neither listed nor newer: lost (seen in the kill -9 crash
    test, mixed methods). The rotation is made at that instant."""
    log = tmp_path / "mail.log"

    def write(tag: str, n: int) -> list[str]:
        batch = [f"{tag} line {i:04d}" for i in range(n)]
        with log.open("a") as fh:
            fh.write("".join(f"{line}\n" for line in batch))
        return batch

    def rotate() -> None:
        for n in sorted((int(p.suffix[1:]) for p in tmp_path.glob("mail.log.*")), reverse=True):
            os.rename(log.with_name(f"mail.log.{n}"), log.with_name(f"mail.log.{n + 1}"))
        os.rename(log, log.with_name("mail.log.1"))
        log.touch()

    a = write("a", 50)
    got: list[str] = []
    f = Follower(str(log), lambda batch, first: got.extend(batch), lambda *x: None, "beginning")
    while f.step():
        pass
    rotate()
    b = write("b", 40)
    real = f._rotated.successors
    injected: list[bool] = []

    def rotation_right_after(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        if not injected:
            injected.append(True)
            rotate()  # b's file goes away: the path names a newer one
        return found

    monkeypatch.setattr(f._rotated, "successors", rotation_right_after)
    for _ in range(20):
        f.step()
    c = write("c", 30)
    for _ in range(20):
        f.step()
    assert injected
    assert got == a + b + c


def test_a_copytruncate_between_listing_successors_and_taking_up_the_new_file_costs_no_line(
    tmp_path: Path,
) -> None:
    """After a rotation the follower lists the files rotated since its file, then finishes the
    old file and takes up the path's file. Lists were taken twice, and a copytruncate of the new
    file between the two made its copy pass for a file older than it: the new file's first
    lines, in the copy only, were never read (seen in the kill -9 crash test, mixed methods:
    398 lines). The copytruncate is made at that instant, from the handler, as the old file's
    unterminated last line is handed over."""
    import shutil

    log = tmp_path / "mail.log"
    a = [f"a line {i:04d}" for i in range(50)]
    b = [f"b line {i:04d} of the file that is copied and truncated" for i in range(40)]
    c = [f"c line {i:04d}" for i in range(5)]
    log.write_text("".join(f"{line}\n" for line in a) + "a unterminated")
    got: list[str] = []

    def handler(batch: list[str], first: int) -> None:
        got.extend(batch)
        if "a unterminated" in batch:  # the old file retired: copytruncate the new one now
            os.rename(log.with_name("mail.log.1"), log.with_name("mail.log.2"))
            shutil.copyfile(log, log.with_name("mail.log.1"))
            os.truncate(log, 0)
            with log.open("a") as fh:
                fh.write("".join(f"{line}\n" for line in c))

    f = Follower(str(log), handler, lambda *x: None, "beginning")
    while f.step():
        pass
    os.rename(log, log.with_name("mail.log.1"))
    with log.open("w") as fh:
        fh.write("".join(f"{line}\n" for line in b))
    for _ in range(20):
        f.step()
    f.close()
    assert got == [*a, "a unterminated", *b, *c]


def test_a_copytruncate_between_opening_the_path_and_listing_its_siblings_costs_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file taken up (at start, or after the old one was deleted) is opened, then its
    siblings are listed. A copytruncate finished in between leaves a copy the file no longer
    contains, which passed for an older file: the lines written after the opening, in the copy
    only, were lost. The copytruncate is made at that instant."""
    import shutil

    from logscan.sources.rotation import RotatedFiles

    log = tmp_path / "mail.log"
    log.with_name("mail.log.1").write_text("an older rotated file\n")
    old = [f"old line {i:04d}, before the start" for i in range(30)]
    new = [f"new line {i:04d}, after the opening" for i in range(30)]
    after = [f"after line {i:04d}" for i in range(3)]
    log.write_text("".join(f"{line}\n" for line in old))
    real = RotatedFiles.snapshot
    injected: list[bool] = []

    def copytruncate_first(self: RotatedFiles, r: Any, before: Any = None) -> Any:
        if not injected:
            injected.append(True)
            with log.open("a") as fh:
                fh.write("".join(f"{line}\n" for line in new))
            os.rename(log.with_name("mail.log.1"), log.with_name("mail.log.2"))
            shutil.copyfile(log, log.with_name("mail.log.1"))
            os.truncate(log, 0)
            with log.open("a") as fh:
                fh.write("".join(f"{line}\n" for line in after))
        return real(self, r, before)

    monkeypatch.setattr(RotatedFiles, "snapshot", copytruncate_first)
    got: list[str] = []
    f = Follower(str(log), lambda batch, first: got.extend(batch), lambda *x: None, "end")
    for _ in range(20):
        f.step()
    f.close()
    assert injected
    assert got == new + after
