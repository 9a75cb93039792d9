"""Postfix parser: counts against genlog.py's ground truth, and parser-only throughput.

    python3 bench/postfix_parse_bench.py --log mail.log --truth-lines truth.tsv [--runs 3]
    python3 bench/postfix_parse_bench.py --generate 1000000 [--long-ids 0.3] [--timestamp rfc3339]

``--generate N`` runs ``/work/shared/bench/genlog.py --mta postfix --seed 1`` into a temporary
directory first. The check is per line: every truth line (status, code, enhanced, dsn) must give
exactly one event with that status and code (enhanced: the reply's, else the dsn), and no other
line may give an event. Timing: the lines are read into memory first, then the median of
``--runs`` timed passes of ``PostfixParser.feed`` over them is printed beside a bare loop over
the same list (the peer), as lines/s and as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from parsers.postfix import PostfixParser

GENLOG = Path("/work/shared/bench/genlog.py")
# genlog status words -> the event contract's (reject_warning: a reply logged, not given).
STATUS = {"reject": "rejected", "reject_warning": None, "-": None}


def load_truth(path: Path) -> dict[int, tuple[str | None, str | None, str | None]]:
    """lineno -> (status, code, enhanced) as the parser must report them."""
    truth = {}
    for row in path.read_text().splitlines()[1:]:
        n, st, code, enh, dsn = row.split("\t")
        status = STATUS.get(st, st)
        expected_enh = enh if enh != "-" else (dsn if dsn != "-" else None)
        truth[int(n)] = (status, None if code == "-" else code, expected_enh)
    return truth


def check(lines: list[str], truth: dict[int, tuple[str | None, str | None, str | None]]) -> int:
    parser = PostfixParser("bench", year=2024)
    got: dict[int, tuple[str | None, str | None, str | None]] = {}
    unrecognized = multi = 0
    for n, line in enumerate(lines, 1):
        evs = parser.feed(line, n)
        if evs is None:
            unrecognized += 1
            continue
        if len(evs) > 1:
            multi += 1
        for ev in evs:
            got[ev.line] = (ev.status, ev.code, ev.enhanced)
    wrong = [
        (n, truth.get(n), got.get(n))
        for n in sorted(set(truth) | set(got))
        if truth.get(n) != got.get(n)
    ]
    by_status = Counter(v[0] for v in got.values())
    by_code = Counter(v[1] for v in got.values() if v[1])
    t_status = Counter(v[0] for v in truth.values())
    t_code = Counter(v[1] for v in truth.values() if v[1])
    print(
        f"events {len(got)}  truth lines {len(truth)}  unrecognized {unrecognized}  "
        f"multi-event lines {multi}  queue-state entries {len(parser.queue)}"
    )
    shown = dict(sorted(by_status.items(), key=str))
    print(f"status counts equal truth: {by_status == t_status}  {shown}")
    print(f"code counts equal truth:   {by_code == t_code}  {dict(sorted(by_code.items()))}")
    print(f"per-line mismatches: {len(wrong)}")
    for n, t, g in wrong[:15]:
        print(f"  line {n}: truth {t} got {g}\n    {lines[n - 1][:240]}")
    return 0 if not wrong and by_status == t_status and by_code == t_code else 1


def time_runs(path: Path, lines: list[str], runs: int) -> None:
    """Median wall and CPU seconds of: reading the file, looping over the lines, parsing them."""

    def read() -> None:
        with path.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if line is None or n < 0:
                    break

    def bare() -> None:
        for n, line in enumerate(lines, 1):
            if line is None or n < 0:
                break

    def parse() -> None:
        feed = PostfixParser("bench", year=2024).feed
        for n, line in enumerate(lines, 1):
            feed(line, n)

    results: dict[str, tuple[list[float], list[float]]] = {}
    for _ in range(runs):
        for name, fn in (
            ("read file loop", read),
            ("bare list loop", bare),
            ("PostfixParser", parse),
        ):
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = results.setdefault(name, ([], []))
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
    n = len(lines)
    med = {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in results.items()}
    for name, (w, c) in med.items():
        print(
            f"{name:15s} wall median {w:6.3f} s ({n / w:>11,.0f} lines/s)  cpu median {c:6.3f} s"
            f" ({n / c:>11,.0f} lines/s)  wall runs {[round(x, 3) for x in results[name][0]]}"
        )
    pw, pc = med["PostfixParser"]
    rw, rc = med["read file loop"]
    print(f"parser / read-file loop: wall {pw / rw:.1f}x, cpu {pc / rc:.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", type=Path)
    ap.add_argument("--truth-lines", type=Path)
    ap.add_argument("--generate", type=int, metavar="N")
    ap.add_argument("--long-ids", default="0")
    ap.add_argument("--timestamp", default="bsd")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.generate:
            args.log = Path(tmp, "mail.log")
            args.truth_lines = Path(tmp, "truth.tsv")
            with args.log.open("w") as out:
                subprocess.run(
                    [
                        sys.executable,
                        str(GENLOG),
                        "--mta",
                        "postfix",
                        "--lines",
                        str(args.generate),
                        "--seed",
                        "1",
                        "--long-ids",
                        args.long_ids,
                        "--timestamp",
                        args.timestamp,
                        "--truth",
                        str(Path(tmp, "t.json")),
                        "--truth-lines",
                        str(args.truth_lines),
                    ],
                    stdout=out,
                    check=True,
                )
        if args.log is None or args.truth_lines is None:
            ap.error("give --log and --truth-lines, or --generate N")
        lines = args.log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"{args.log}: {len(lines):,} lines")
        rc = check(lines, load_truth(args.truth_lines))
        time_runs(args.log, lines, args.runs)
    return rc


if __name__ == "__main__":
    sys.exit(main())
