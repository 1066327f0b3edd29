#!/usr/bin/env python3
"""Worst-case benchmark (issue 19): for each helper family, the typical input next to the
adversarial ones found in the data itself (the most common words of the search dictionary,
the project and the person with the most bugs, deep pages, every filter at once). Prints,
per input, the median and the maximum whole-process time of RUNS runs and the slowest
helper's median server time as ctodb's -v reports it.

usage: DATABASE_URL=... bench/worst.py [runs]      (default 5; an xl database, release build)
  CTODB_BIN=path uses that binary instead of the release build.
"""
import os
import re
import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ctodb-target"))
BIN = os.environ.get("CTODB_BIN", os.path.join(TARGET, "release", "ctodb"))
TIMING = re.compile(r"^ctodb: query (\S+) took ([0-9.]+) ms$")


def sql(query):
    out = subprocess.run(["psql", "-X", "-At", "-d", os.environ["DATABASE_URL"], "-c", query],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()


def run(command):
    started = time.perf_counter()
    done = subprocess.run([BIN, "-v", "-f", "csv", *command], capture_output=True, text=True)
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    slowest = ("", 0.0)
    for line in done.stderr.splitlines():
        match = TIMING.match(line)
        if match and float(match.group(2)) > slowest[1]:
            slowest = (match.group(1), float(match.group(2)))
    return wall, slowest


def measure(command):
    run(command)  # warm the cache once
    walls, slowest = [], []
    for _ in range(RUNS):
        wall, helper = run(command)
        walls.append(wall)
        slowest.append(helper)
    name = max(set(h[0] for h in slowest), key=lambda n: sum(1 for h in slowest if h[0] == n))
    server = statistics.median(h[1] for h in slowest if h[0] == name)
    return statistics.median(walls), max(walls), name, server


def main():
    common = sql("SELECT word FROM search_words ORDER BY ndoc DESC, word LIMIT 3")
    biggest = sql("SELECT p.name FROM projects p JOIN bugs b ON b.project_id = p.id "
                  "GROUP BY p.name ORDER BY count(*) DESC, p.name LIMIT 1")[0]
    typical = sql("SELECT name FROM (SELECT p.name, count(*) n FROM projects p JOIN bugs b ON b.project_id = p.id "
                  "GROUP BY p.name) c ORDER BY n, name OFFSET (SELECT count(*) / 2 FROM projects) LIMIT 1")[0]
    busiest = sql("SELECT u.email FROM users u JOIN bugs b ON b.assignee_id = u.id "
                  "WHERE b.status IN ('pending', 'in_progress') GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1")[0]
    families = [
        ("search", ["search", "login timeout"], [
            ["search", f"{common[0]} {common[1]}"],
            ["search", " ".join(common)],
            ["search", common[0]],
            ["search", common[0][:-1] + "x" + " " + common[1]],
            ["search", "zzqxv wkpyr"],
            # a common word next to one no bug holds: the AND finds nothing, the fill-up runs
            ["search", f"{common[0]} zzqxv"],
            ["search", f"{common[0]} {common[1]} zzqxv"],
            ["search", "login qqq"],
            # stop words only, and partial words (two letters begin the most words)
            ["search", "the"],
            ["search", "of the"],
            ["search", "lo"],
            ["search", "dashb"],
        ]),
        ("bugs --project", ["bugs", "--project", typical], [["bugs", "--project", biggest]]),
        ("bugs --assignee", ["bugs", "--assignee", busiest, "--page", "1"], [["bugs", "--assignee", busiest, "--page", "200"]]),
        ("bugs (pages)", ["bugs"], [["bugs", "--page", "2000"], ["bugs", "--all", "--page", "2000"]]),
        ("bugs (every filter)", ["bugs", "--severity", "high"], [
            ["bugs", "--severity", "high", "--severity", "critical", "--status", "pending", "--status", "in_progress",
             "--project", biggest, "--assignee", busiest, "--blocker", "--breached", "--sort", "due"],
        ]),
        ("project", ["project", typical], [["project", biggest]]),
        ("report workload", ["report", "workload"], [["report", "workload", "--user", busiest]]),
        ("report daily", ["report", "daily", "--project", typical], [["report", "daily", "--project", biggest]]),
        # reports over history: the default window next to the longest one
        ("report engineering", ["report", "engineering"], [["report", "engineering", "--months", "36"]]),
        ("report monthly", ["report", "monthly"], [["report", "monthly", "--months", "36"]]),
        ("report trends", ["report", "trends"], [["report", "trends", "--months", "36"]]),
        ("report team", ["report", "team"], [["report", "team", "--days", "365"]]),
        ("report sla", ["report", "sla"], []),
        ("report bugs", ["report", "bugs"], []),
        ("report portfolio", ["report", "portfolio"], []),
        ("projects", ["projects"], [["projects", "--all"], ["projects", "--sort", "health", "--all"]]),
        ("stats", ["stats"], []),
        ("doctor", ["doctor"], []),
    ]
    print("| helper | input | median ms | max ms | slowest helper (median server ms) |")
    print("|---|---|---|---|---|")
    for family, normal, worst in families:
        for label, command in [("typical", normal)] + [("worst", w) for w in worst]:
            median, top, helper, server = measure(command)
            shown = " ".join(command[1:]) if command[0] in ("search", "project") else " ".join(command)
            print(f"| {family} | {label}: `{shown}` | {median:.0f} | {top:.0f} | {helper} {server:.1f} |")


main()
