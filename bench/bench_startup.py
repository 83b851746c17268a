"""Start-up time of the `paperskim` command against a bare interpreter start (issue 15).

    .venv/bin/python bench/bench_startup.py              # 20 runs of each
    .venv/bin/python bench/bench_startup.py --runs 5     # fewer, e.g. for CI

Each command is run as a subprocess, the way a user or cron runs it: `paperskim --version`,
`paperskim --help` and `paperskim run --help` (a real command's help, which parses that
command's options but does none of its work). The floor is `python -c pass` with the same
interpreter. After one untimed round (page cache; bytecode caches are written, as pip writes
them for an installed package, also when the environment sets PYTHONDONTWRITEBYTECODE), floor
and commands run alternately, `--runs` times each. Printed for each: the median and minimum
wall time, the median CPU time (user + system), and the median's difference to the floor's in
seconds and its ratio to it.

Target: `--version` and `--help` within `--max-over` seconds (default 0.3) of the floor
(medians); the script exits 1 when either is over.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "python -c pass"
TARGETED = ("paperskim --version", "paperskim --help")  # `run --help` is shown, not held


def paperskim() -> list[str]:
    """The installed console script next to this interpreter, else `python -m agent`."""
    script = Path(sys.executable).parent / "paperskim"
    if script.exists():
        return [str(script)]
    found = shutil.which("paperskim")
    return [found] if found else [sys.executable, "-m", "agent"]


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `argv`, whose output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--max-over", type=float, default=0.3, help="Seconds over the floor allowed (medians)."
    )
    args = parser.parse_args()
    command = paperskim()
    cases = {
        FLOOR: [sys.executable, "-c", "pass"],
        "paperskim --version": [*command, "--version"],
        "paperskim --help": [*command, "--help"],
        "paperskim run --help": [*command, "run", "--help"],
    }
    # Measured as an installed paperskim runs: with bytecode caches (pip writes them for a
    # wheel; PYTHONDONTWRITEBYTECODE would recompile every paperskim module on every start).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for argv in cases.values():
        timed(argv)  # warm-up, untimed
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            wall, cpu = timed(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load = os.getloadavg()
    print(f"{' '.join(command)}: {args.runs} runs each, alternating; load average {load[0]:.2f}")
    floor = statistics.median(walls[FLOOR])
    over_target = False
    for name in cases:
        p50, low = statistics.median(walls[name]), min(walls[name])
        cpu = statistics.median(cpus[name])
        line = f"{name:22s} p50 {p50:6.3f} s  min {low:6.3f} s  cpu p50 {cpu:6.3f} s"
        if name != FLOOR:
            line += f"  floor +{p50 - floor:6.3f} s  ratio {p50 / floor:5.1f}x"
            if name in TARGETED:
                verdict = "ok" if p50 - floor <= args.max_over else "OVER TARGET"
                over_target |= verdict != "ok"
                line += f"  (target <= +{args.max_over} s: {verdict})"
        print(line)
    return 1 if over_target else 0


if __name__ == "__main__":
    raise SystemExit(main())
