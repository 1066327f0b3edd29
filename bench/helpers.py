#!/usr/bin/env python3
"""Helper benchmark (issue 4): runs every query command RUNS times against a seeded
database and prints, per command, the median time of each helper query as ctodb's -v
reports it (the round trip on the local socket: server time plus protocol) and the median
end-to-end wall time of the whole process (start to last byte).

usage: DATABASE_URL=... bench/helpers.py [runs] [command prefix]
  (default 7 runs, every command; build with cargo build --release first)
  CTODB_BIN=path uses that binary instead of target/release/ctodb.
  BASELINE_BIN=path BASELINE_DATABASE_URL=... also runs an earlier build against its own
  database, alternating run by run with the current one, and prints both side by side.
"""
import os
import re
import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
ONLY = sys.argv[2].split() if len(sys.argv) > 2 else []
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ctodb-target"))
BIN = os.environ.get("CTODB_BIN", os.path.join(TARGET, "release", "ctodb"))
BASELINE = (os.environ["BASELINE_BIN"], os.environ["BASELINE_DATABASE_URL"]) if "BASELINE_BIN" in os.environ else None
AS_OF = ["--as-of", "2026-11-25T12:00:00Z"]

COMMANDS = [
    ["report", "portfolio"],
    ["projects", "--all"],
    ["projects", "--sort", "health"],
    ["report", "bugs"],
    ["bugs"],
    ["bugs", "--page", "20"],
    ["bugs", "--severity", "critical"],
    ["bugs", "--severity", "critical", "--page", "20"],
    ["bugs", "--severity", "high", "--status", "pending", "--blocker"],
    ["bugs", "--breached", "--sort", "due"],
    ["bugs", "--at-risk"],
    ["bugs", "--unassigned", "--severity", "medium"],
    ["bugs", "--all", "--sort", "created", "--page", "20"],
    ["bugs", "--all", "--sort", "due", "--page", "20"],
    ["bugs", "--status", "closed", "--severity", "medium"],
    ["bugs", "--status", "closed", "--sort", "due", "--page", "20"],
    ["bugs", "--all", "--blocker", "--sort", "created"],
    ["bugs", "--all", "--unassigned", "--severity", "high", "--page", "20"],
    ["bugs", "--project", "Atlas Payments"],
    ["report", "sla"],
    ["report", "aging"],
    ["search", "login timeout"],
    ["search", "lgoin timout"],
    ["search", "payment webhook"],
    ["project", "Atlas Payments"],
    ["report", "daily", "--project", "Atlas Payments"],
    ["report", "monthly"],
    ["report", "trends"],
    ["report", "engineering"],
    ["report", "workload"],
    ["report", "team"],
    ["report", "sync"],
    ["report", "imports"],
    ["bug", "show", "1000"],
    ["stats"],
    ["doctor"],
]

TIMING = re.compile(r"^ctodb: query (\S+) took ([0-9.]+) ms$")


def run(command, binary=BIN, database_url=None):
    env = dict(os.environ, DATABASE_URL=database_url) if database_url else None
    started = time.perf_counter()
    done = subprocess.run([binary, "-v", "-f", "csv", *command, *AS_OF], capture_output=True, text=True, env=env)
    wall = (time.perf_counter() - started) * 1000
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    queries = {}
    for line in done.stderr.splitlines():
        match = TIMING.match(line)
        if match:
            queries.setdefault(match.group(1), 0.0)
            queries[match.group(1)] += float(match.group(2))
    return wall, queries


def measure(command, runs):
    """Median wall time and per-helper median query times of `runs` runs of each build
    (the current one, and the baseline if given, alternating), after one warm-up run each."""
    builds = [(BIN, None)] + ([BASELINE] if BASELINE else [])
    results = []
    for binary, url in builds:
        run(command, binary, url)  # warm the cache once
    samples = [([], {}) for _ in builds]
    for _ in range(runs):
        for (binary, url), (walls, per_helper) in zip(builds, samples):
            wall, queries = run(command, binary, url)
            walls.append(wall)
            for name, ms in queries.items():
                per_helper.setdefault(name, []).append(ms)
    for walls, per_helper in samples:
        helpers = ", ".join(
            f"{name} {statistics.median(times):.1f}"
            for name, times in per_helper.items()
            if not name.startswith("admin/") or command[0] in ("stats", "doctor")
        )
        results.append((helpers, statistics.median(walls)))
    return results


def main():
    if BASELINE:
        print("| command | helper queries (median ms each) | end to end (median ms) "
              "| baseline helper queries | baseline end to end |")
        print("|---|---|---|---|---|")
    else:
        print("| command | helper queries (median ms each) | end to end (median ms) |")
        print("|---|---|---|")
    for command in COMMANDS:
        if command[:len(ONLY)] != ONLY:
            continue
        cells = " | ".join(f"{helpers} | {wall:.0f}" for helpers, wall in measure(command, RUNS))
        print(f"| `ctodb {' '.join(command)}` | {cells} |")


main()
