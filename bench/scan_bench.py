#!/usr/bin/env python3
"""End-to-end throughput and memory of ``logscan scan`` against pflogsumm and mtail.

    python3 bench/scan_bench.py                    # 1M lines, median of 3, plus RSS on 5M lines
    python3 bench/scan_bench.py --lines 200000 --runs 1 --no-big

Generates a Postfix log with ``/work/shared/bench/genlog.py`` (skips cleanly if that is absent),
then times, round-robin in one invocation so that machine noise hits all alike:

- ``logscan scan --format json FILE``
- ``pflogsumm FILE`` (Debian package)
- ``mtail --one_shot --one_shot_format prometheus --logs FILE --progs DIR`` with the minimal
  ``postfix_status.mtail`` program from /work/shared/bench
- a bare Python loop reading the lines (the floor for any Python tool)

Wall time is measured around each subprocess; peak RSS comes from GNU ``/usr/bin/time -f %M``.
logscan's JSON summary is checked against genlog's ``--truth``. Results go to
``bench/out/scan_bench.json`` and are printed as a Markdown table for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path("/work/shared/bench")
OUT = Path(__file__).resolve().parent / "out"
GNU_TIME = "/usr/bin/time"
BARE_LOOP = (
    "import sys\n"
    "n = 0\n"
    "with open(sys.argv[1], encoding='utf-8', errors='replace') as f:\n"
    "    for line in f:\n"
    "        n += 1\n"
    "print(n)\n"
)


def generate(lines: int, seed: int, per_line: bool = True) -> tuple[Path, dict[str, Any]]:
    """The log (cached in bench/out) and genlog's truth for it, with the per-line truth."""
    OUT.mkdir(exist_ok=True)
    stem = OUT / f"postfix-{lines}-s{seed}"
    log, truth, rows = (Path(f"{stem}{ext}") for ext in (".log", ".truth.json", ".truth.tsv"))
    if not (log.exists() and truth.exists() and (rows.exists() or not per_line)):
        print(f"generating {log} ...", file=sys.stderr)
        cmd = [sys.executable, str(SHARED / "genlog.py"), "--mta", "postfix"]
        cmd += ["--lines", str(lines), "--seed", str(seed), "--truth", str(truth)]
        if per_line:
            cmd += ["--truth-lines", str(rows)]
        with open(log, "wb") as f:
            subprocess.run(cmd, stdout=f, check=True)
    data: dict[str, Any] = json.loads(truth.read_text())
    if per_line:
        data["expected_enhanced"] = expected_enhanced(rows)
    return log, data


def expected_enhanced(rows: Path) -> dict[str, int]:
    """The contract's ``enhanced`` per line: the reply's enhanced code, else Postfix's dsn=."""
    counts: dict[str, int] = {}
    with open(rows) as f:
        next(f)  # header: lineno status code enhanced dsn
        for row in f:
            _, _, _, enhanced, dsn = row.rstrip("\n").split("\t")
            value = enhanced if enhanced != "-" else dsn
            if value != "-":
                counts[value] = counts.get(value, 0) + 1
    return counts


def logscan_exe() -> str:
    here = str(Path(sys.executable).parent)
    exe = shutil.which("logscan", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    if exe is None:
        sys.exit("logscan is not installed")
    return exe


def measure(
    cmd: list[str], stdout: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Wall and CPU (user+sys) seconds and peak RSS (KiB) of ``cmd``, its stdout to ``stdout``.

    CPU time is quoted beside wall time because the machine is shared: other people's work
    stretches wall time but hardly the CPU time a tool needs.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        timed = [GNU_TIME, "-f", "%M %U %S", "-o", rss_file.name, *cmd]
        with open(stdout or os.devnull, "wb") as out:
            t0 = time.perf_counter()
            done = subprocess.run(timed, stdout=out, stderr=subprocess.PIPE, env=env)
            wall = time.perf_counter() - t0
        if done.returncode != 0:
            sys.exit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
        rss, user, system = rss_file.read().strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(rss)


def check_truth(summary: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Where logscan's counts differ from genlog's ground truth (empty dicts: all equal)."""
    statuses = {"reject": "rejected"}  # genlog's name -> the contract's
    want_status: dict[str, int] = {}
    for st, n in truth["by_status"].items():
        if st == "reject_warning":
            continue  # a warning is not a delivery outcome: logscan gives no status for it
        want_status[statuses.get(st, st)] = n
    got_status = {k: v for k, v in summary["by_status"].items() if k != "none"}
    got_code = {k: v for k, v in summary["by_code"].items() if k != "none"}
    return {
        "lines": (summary["lines"], truth["lines"]),
        "status_diff": _diff(got_status, want_status),
        "code_diff": _diff(got_code, truth["by_code"]),
        "enhanced_diff": _diff(
            {k: v for k, v in summary["by_enhanced"].items() if k != "none"},
            truth["expected_enhanced"],
        ),
    }


def _diff(got: dict[str, int], want: dict[str, int]) -> dict[str, tuple[int, int]]:
    keys = set(got) | set(want)
    return {k: (got.get(k, 0), want.get(k, 0)) for k in sorted(keys) if got.get(k) != want.get(k)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-lines", type=int, default=5_000_000)
    ap.add_argument("--no-big", action="store_true", help="skip the peak-RSS run on the big log")
    ap.add_argument("--only", nargs="*", help="run only these tools (logscan pflogsumm mtail bare)")
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="also time logscan (json and table) with DIR first on PYTHONPATH (a checkout of "
        "another branch's logscan/ and rules/, or the compiled build installed with pip "
        "--target DIR), listed as logscan-LABEL and logscan-LABEL-table",
    )
    args = ap.parse_args()

    if not (SHARED / "genlog.py").exists():
        print(f"skipped: {SHARED}/genlog.py is not available on this machine")
        return 0
    for tool in (GNU_TIME, "pflogsumm", "mtail"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing (apt-get install time pflogsumm mtail)")

    log, truth = generate(args.lines, args.seed)
    progs = OUT / "mtail-progs"
    progs.mkdir(exist_ok=True)
    shutil.copy(SHARED / "postfix_status.mtail", progs)
    summary_path = OUT / "logscan-summary.json"
    scan = [logscan_exe(), "scan", "--parser", "postfix"]
    tools: dict[str, list[str]] = {
        "logscan": [*scan, "--format", "json", str(log)],
        "logscan-table": [*scan, str(log)],
        "logscan-events": [*scan, "--format", "events", str(log)],
        "pflogsumm": ["pflogsumm", str(log)],
        "mtail": [
            *("mtail", "--one_shot", "--one_shot_format", "prometheus"),
            *("--logs", str(log), "--progs", str(progs)),
        ],
        "bare": [sys.executable, "-c", BARE_LOOP, str(log)],
    }
    envs: dict[str, dict[str, str]] = {}
    for variant in args.variant:
        label, _, directory = variant.partition("=")
        tools[f"logscan-{label}"] = tools["logscan"]
        tools[f"logscan-{label}-table"] = tools["logscan-table"]
        envs[f"logscan-{label}"] = {**os.environ, "PYTHONPATH": directory}
        envs[f"logscan-{label}-table"] = envs[f"logscan-{label}"]
    if args.only:
        tools = {k: v for k, v in tools.items() if k in args.only}
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
    for i in range(args.runs):
        for name, cmd in tools.items():
            out = summary_path if name == "logscan" else None  # the others print to /dev/null
            wall, cpu, rss = measure(cmd, out, envs.get(name))
            runs[name].append((wall, cpu, rss))
            print(
                f"run {i + 1} {name:<10} {wall:7.2f} s wall {cpu:7.2f} s cpu {rss / 1024:7.1f} MiB",
                file=sys.stderr,
            )

    result: dict[str, Any] = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "log": {"path": str(log), "lines": truth["lines"], "bytes": log.stat().st_size},
        "commands": {k: " ".join(v) for k, v in tools.items()},
        "median_s": {k: statistics.median(w for w, _, _ in v) for k, v in runs.items()},
        "median_cpu_s": {k: statistics.median(c for _, c, _ in v) for k, v in runs.items()},
        "peak_rss_mib": {k: max(r for _, _, r in v) / 1024 for k, v in runs.items()},
        "runs": runs,
    }
    if "logscan" in tools:
        summary = json.loads(summary_path.read_text())
        result["truth_check"] = check_truth(summary, truth)
        med = result["median_s"]
        result["lines_per_s"] = {k: truth["lines"] / v for k, v in med.items()}
        result["speedup_vs"] = {k: med[k] / med["logscan"] for k in med if k != "logscan"}
        result["variants"] = {k: v["PYTHONPATH"] for k, v in envs.items()}
        cpu = result["median_cpu_s"]
        result["cpu_speedup_vs"] = {k: cpu[k] / cpu["logscan"] for k in cpu if k != "logscan"}
        result["share_of_peer"] = {
            mode: {peer: med[mode] / med[peer] for peer in ("pflogsumm", "mtail") if peer in med}
            for mode in med
            if mode.startswith("logscan")
        }
    if not args.no_big and "logscan" in tools:
        big, _ = generate(args.big_lines, args.seed, per_line=False)
        wall, cpu, rss = measure([logscan_exe(), "scan", "--format", "json", str(big)])
        result["big"] = {
            "lines": args.big_lines,
            "wall_s": wall,
            "cpu_s": cpu,
            "peak_rss_mib": rss / 1024,
        }
    (OUT / "scan_bench.json").write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['log']['lines']:,} lines, {r['log']['bytes'] / 1e6:.0f} MB; {r['machine']}, "
        f"{r['cpus']} CPUs, Python {r['python']}",
        "",
        "| tool | median wall (s) | lines/s (wall) | logscan faster (wall) | median CPU (s) "
        "| logscan faster (CPU) | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, med in r["median_s"].items():
        cpu = r["median_cpu_s"][name]
        speed = r.get("speedup_vs", {}).get(name)
        cpu_speed = r.get("cpu_speedup_vs", {}).get(name)
        lines.append(
            f"| {name} | {med:.2f} | {r['log']['lines'] / med:,.0f} | {_ratio(speed)} "
            f"| {cpu:.2f} | {_ratio(cpu_speed)} | {r['peak_rss_mib'][name]:.1f} |"
        )
    if "big" in r:
        b = r["big"]
        lines.append(
            f"\nlogscan on {b['lines']:,} lines: {b['wall_s']:.1f} s wall, {b['cpu_s']:.1f} s CPU,"
            f" peak RSS {b['peak_rss_mib']:.1f} MiB"
        )
    if r.get("share_of_peer"):
        lines += ["", "| logscan mode | time / pflogsumm's | time / mtail's |", "|---|---|---|"]
        for mode, shares in r["share_of_peer"].items():
            cells = [f"{shares[p]:.2f}" if p in shares else "-" for p in ("pflogsumm", "mtail")]
            lines.append(f"| {mode} | {' | '.join(cells)} |")
    if "truth_check" in r:
        lines.append(f"\ntruth check: {json.dumps(r['truth_check'])}")
    return "\n".join(lines)


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


if __name__ == "__main__":
    sys.exit(main())
