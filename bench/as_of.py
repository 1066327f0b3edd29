#!/usr/bin/env python3
"""Reads as of an earlier instant (issue 37), side by side in one run: each command's
median whole-process time (1) with no --as-of, from the tables, (2) --as-of T right after
a refresh at T with nothing recorded since (ctodb.recorded_after is false: the tables
again), and (3) --as-of T once one change was recorded after T (the views of ctodb_as_of,
every bug reconstructed and scored at T). (3) comes last: the change it makes stays.

usage: DATABASE_URL=... bench/as_of.py T [runs]
  the database seeded --as-of T (`ctodb seed --profile xl --as-of T`); the script runs
  `ctodb refresh --as-of T` itself first. CTODB_BIN=path uses that binary instead of
  target/release/ctodb.
"""
import os
import statistics
import subprocess
import sys
import time

T = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ctodb-target"))
BIN = os.environ.get("CTODB_BIN", os.path.join(TARGET, "release", "ctodb"))

COMMANDS = [
    ["report", "portfolio"],
    ["report", "sla"],
    ["report", "aging"],
    ["report", "trends"],
    ["report", "engineering"],
    ["report", "monthly"],
    ["report", "workload"],
    ["projects", "--all"],
    ["bugs"],
    ["bugs", "--severity", "critical", "--page", "20"],
    ["bug", "show", "1000"],
    ["search", "login timeout"],
]


def ctodb(*args):
    done = subprocess.run([BIN, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ctodb {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def median_ms(command, as_of):
    extra = ["--as-of", T] if as_of else []
    ctodb(*command, "-f", "csv", *extra)  # warm
    walls = []
    for _ in range(RUNS):
        started = time.perf_counter()
        ctodb(*command, "-f", "csv", *extra)
        walls.append((time.perf_counter() - started) * 1000)
    return statistics.median(walls)


def main():
    ctodb("refresh", "--as-of", T)
    now = {tuple(c): median_ms(c, False) for c in COMMANDS}
    tables = {tuple(c): median_ms(c, True) for c in COMMANDS}
    # one change after T: from here on a read as of T reconstructs
    import json
    severity = json.loads(ctodb("bug", "show", "1", "-f", "json").stdout)["bug"][0]["severity"]
    ctodb("bug", "update", "1", "--severity", "critical" if severity != "critical" else "low")
    views = {tuple(c): median_ms(c, True) for c in COMMANDS}
    print(f"| command | now (ms) | --as-of T after a refresh at T (ms) | --as-of T with a later change (ms) | ratio to now |")
    print("|---|---|---|---|---|")
    for c in COMMANDS:
        key = tuple(c)
        print(f"| `ctodb {' '.join(c)}` | {now[key]:.0f} | {tables[key]:.0f} | {views[key]:.0f} | {views[key] / now[key]:.1f}× |")


main()
