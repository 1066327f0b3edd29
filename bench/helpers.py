#!/usr/bin/env python3
"""Helper benchmark (issue 4): runs every query command RUNS times against a seeded
database and prints, per command, the median time of each helper query as ctodb's -v
reports it (the round trip on the local socket: server time plus protocol) and the median
end-to-end wall time of the whole process (start to last byte).

usage: DATABASE_URL=... bench/helpers.py [runs]   (default 7; build with cargo build --release)
"""
import os
import re
import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ctodb-target"))
BIN = os.path.join(TARGET, "release", "ctodb")
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
    ["bugs", "--project", "Atlas Payments"],
    ["report", "sla"],
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


def run(command):
    started = time.perf_counter()
    done = subprocess.run([BIN, "-v", "-f", "csv", *command, *AS_OF], capture_output=True, text=True)
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


def main():
    print(f"| command | helper queries (median ms each) | end to end (median ms) |")
    print("|---|---|---|")
    for command in COMMANDS:
        walls, per_helper = [], {}
        run(command)  # warm the cache once
        for _ in range(RUNS):
            wall, queries = run(command)
            walls.append(wall)
            for name, ms in queries.items():
                per_helper.setdefault(name, []).append(ms)
        helpers = ", ".join(
            f"{name} {statistics.median(times):.1f}"
            for name, times in per_helper.items()
            if not name.startswith("admin/") or command[0] in ("stats", "doctor")
        )
        print(f"| `ctodb {' '.join(command)}` | {helpers} | {statistics.median(walls):.0f} |")


main()
