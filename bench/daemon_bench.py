#!/usr/bin/env python3
"""Benchmark of ``logscan run`` following a file: throughput, latency, memory (not a test).

    python3 bench/daemon_bench.py --genlog /work/shared/bench/genlog.py --out bench/out

Phases (the daemon pinned to one core with taskset, the Postfix parser, realistic genlog lines):

- backlog:  N lines appended at once; time until ``logscan_lines_total`` reaches N; the slowest
            scrape during the backlog (a backlog must not starve the endpoint). Peers on the same
            file in the same run: mtail --one_shot (minimal program) and a bare Python line loop.
- rate:     lines appended at a fixed rate (default 50,000/s) for a while; how long the daemon
            needs after the writer stops to catch up (keeping up = under a second).
- latency:  a probe line written to a second file every 50 ms while the first gets background
            load; time until the probe source's counter moves (p50, p99).
- rss:      10 x N lines; ``process_resident_memory_bytes`` after each N.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            key = s.name + ("{" + s.labels.get("source", "") + "}" if "source" in s.labels else "")
            out[key] = out.get(key, 0) + s.value
    return out


class Daemon:
    def __init__(self, work: Path, sources: list[Path], core: str) -> None:
        self.port = free_port()
        cfg = work / "logscan.toml"
        srcs = "".join(
            f'[[sources]]\nname = "{p.stem}"\npath = "{p}"\nparser = "postfix"\n' for p in sources
        )
        cfg.write_text(
            f'state_dir = "{work / "state"}"\nrules_dirs = []\n'
            f'[metrics]\nlisten = "127.0.0.1:{self.port}"\n{srcs}'
        )
        cmd = [sys.executable, "-m", "logscan", "run", "-c", str(cfg)]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", core, *cmd]
        self.proc = subprocess.Popen(
            cmd, stderr=(work / "daemon.log").open("wb"), cwd=ROOT, env=dict(os.environ)
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                scrape(self.port)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("daemon did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def lines_of(m: dict[str, float], source: str) -> float:
    return m.get(f"logscan_lines_total{{{source}}}", 0)


def backlog(work: Path, data: Path, n: int, core: str) -> dict[str, float]:
    log = work / "backlog.log"
    log.touch()
    d = Daemon(work, [log], core)
    slowest = 0.0
    t0 = time.monotonic()
    with log.open("ab") as out, data.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)
    while True:
        s0 = time.monotonic()
        m = scrape(d.port)
        slowest = max(slowest, time.monotonic() - s0)
        if lines_of(m, "backlog") >= n:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - t0
    d.stop()
    return {"seconds": elapsed, "lines_per_s": n / elapsed, "slowest_scrape_s": slowest}


def peers(data: Path, genlog_dir: Path, core: str) -> dict[str, float]:
    out: dict[str, float] = {}
    t0 = time.monotonic()
    with data.open("rb") as fh:
        for line in fh:
            line.decode("utf-8", "replace")
    out["bare_python_s"] = time.monotonic() - t0
    prog = genlog_dir / "postfix_status.mtail"
    if shutil.which("mtail") and prog.exists():
        with tempfile.TemporaryDirectory() as progs:
            shutil.copy(prog, progs)
            t0 = time.monotonic()
            cmd = ["mtail", "--one_shot", "--one_shot_format", "prometheus", "--logs", str(data),
                   "--progs", progs, "--port", str(free_port())]  # fmt: skip
            if shutil.which("taskset"):
                cmd = ["taskset", "-c", core, *cmd]  # one core, like the daemon
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if done.returncode != 0:
                print("mtail failed:", done.stderr.decode()[-500:], file=sys.stderr)
            out["mtail_one_shot_s"] = time.monotonic() - t0
    return out


def paced_writer(path: Path, lines: list[bytes], rate: int, seconds: float) -> int:
    """Append ``rate`` lines a second for ``seconds``, in 10 ms slices; lines written."""
    written = 0
    t0 = time.monotonic()
    i = 0
    with path.open("ab", buffering=0) as out:
        while (now := time.monotonic() - t0) < seconds:
            due = int(now * rate) - written
            if due > 0:
                chunk = []
                for _ in range(due):
                    chunk.append(lines[i % len(lines)])
                    i += 1
                out.write(b"".join(chunk))
                written += due
            time.sleep(0.01)
    return written


def rate(work: Path, sample: list[bytes], r: int, seconds: float, core: str) -> dict[str, float]:
    log = work / "rate.log"
    log.touch()
    d = Daemon(work, [log], core)
    written = paced_writer(log, sample, r, seconds)
    stop = time.monotonic()
    while lines_of(scrape(d.port), "rate") < written:
        time.sleep(0.02)
    catch_up = time.monotonic() - stop
    d.stop()
    return {"rate": r, "seconds": seconds, "lines": written, "catch_up_s": catch_up}


def latency(work: Path, sample: list[bytes], background: int, core: str) -> dict[str, float]:
    bg, probe = work / "bg.log", work / "probe.log"
    bg.touch()
    probe.touch()
    d = Daemon(work, [bg, probe], core)
    stop = threading.Event()

    def load() -> None:
        written, t0, i = 0, time.monotonic(), 0
        with bg.open("ab", buffering=0) as out:
            while not stop.is_set():
                due = int((time.monotonic() - t0) * background) - written
                if due > 0:
                    out.write(b"".join(sample[(i + k) % len(sample)] for k in range(due)))
                    i += due
                    written += due
                time.sleep(0.01)

    th = threading.Thread(target=load, daemon=True)
    th.start()
    delays = []
    with probe.open("ab", buffering=0) as out:
        for n in range(1, 201):
            t0 = time.monotonic()
            out.write(sample[n % len(sample)])
            while lines_of(scrape(d.port), "probe") < n:
                time.sleep(0.005)
            delays.append(time.monotonic() - t0)
            time.sleep(0.05)
    stop.set()
    th.join()
    d.stop()
    delays.sort()
    return {
        "background_lines_per_s": background,
        "p50_ms": 1000 * statistics.median(delays),
        "p99_ms": 1000 * delays[int(0.99 * len(delays)) - 1],
        "max_ms": 1000 * delays[-1],
    }


def rss(work: Path, data: Path, n: int, rounds: int, core: str) -> dict[str, object]:
    log = work / "rss.log"
    log.touch()
    d = Daemon(work, [log], core)
    samples = []
    for k in range(1, rounds + 1):
        with log.open("ab") as out, data.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        while True:
            m = scrape(d.port)
            if lines_of(m, "rss") >= k * n:
                break
            time.sleep(0.5)
        samples.append(round(m["process_resident_memory_bytes"] / 2**20, 1))
        print(f"  rss after {k * n:,} lines: {samples[-1]} MiB", flush=True)
        log.write_bytes(b"")  # keep the disk small: truncate (the daemon follows)
    d.stop()
    return {"lines": rounds * n, "rss_mib_after_each": samples}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--genlog", type=Path, default=Path("/work/shared/bench/genlog.py"))
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=50_000)
    ap.add_argument("--rate-seconds", type=float, default=20)
    ap.add_argument("--rss-rounds", type=int, default=10)
    ap.add_argument("--latency-background", type=int, default=20_000)
    ap.add_argument("--core", default="0")
    ap.add_argument("--phases", default="backlog,rate,latency,rss")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"postfix-{args.lines}.log"
    if not data.exists():
        with data.open("wb") as fh:
            subprocess.run(
                [sys.executable, str(args.genlog), "--mta", "postfix", "--lines", str(args.lines),
                 "--seed", "1"],
                check=True, stdout=fh, stderr=subprocess.DEVNULL,
            )  # fmt: skip
    sample = data.open("rb").readlines()[:200_000]
    results: dict[str, object] = {"lines": args.lines}
    phases = args.phases.split(",")
    for phase in phases:
        runs = []
        for _ in range(args.runs if phase in ("backlog", "latency") else 1):
            with tempfile.TemporaryDirectory(dir=args.out) as tmp:
                work = Path(tmp)
                if phase == "backlog":
                    r = backlog(work, data, args.lines, args.core)
                    r.update(peers(data, args.genlog.parent, args.core))
                elif phase == "rate":
                    r = rate(work, sample, args.rate, args.rate_seconds, args.core)
                elif phase == "latency":
                    r = latency(work, sample, args.latency_background, args.core)
                else:
                    r = rss(work, data, args.lines, args.rss_rounds, args.core)  # type: ignore[assignment]
            print(phase, json.dumps(r), flush=True)
            runs.append(r)
        results[phase] = runs
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
