#!/usr/bin/env python3
"""Bug-filter benchmark (issue 4): the page and count of `ctodb bugs` for random filter
combinations, timed inside one warm server session.

Draws COMBOS combinations of severity set x status set x project x assignee x unassigned
x blocker x breached x at-risk x sort x page (1 or 20, 50 rows a page; see DEEP_PAGE) with a fixed random
seed, prepares the page helper ctodb picks for each (BugFilter::page_helper in
src/cmd/bugs.rs: sql/bugs/page_all.sql, page_runs.sql, or page_merge.sql with its runs
written in as src/sql.rs does; each followed by sql/bugs/page_rows.sql: exactly the text
ctodb sends) and the two count helpers, and runs each combination twice under EXPLAIN
(ANALYZE, SUMMARY): the second run's planning plus execution time is the figure, so that
the first run pays for reading cold pages. The project and the assignee are the ones with
the most bugs (the slowest case for them). The page uses bugs/count_summary.sql for its
total when only severity and status filter, as ctodb does.

DEEP_PAGE=N draws page 1 or page N instead of 1 or 20. To compare the variants: NO_WALK=1
sends every-status pages to the merge instead of page_all; RUNS_AT_MOST=N moves the limit
on entries read by page_runs (2,000 in ctodb; 0 merges every page that is not a walk, a
huge value never merges).

usage: DATABASE=ctodb_bench bench/bug_filters.py [combos] [seed]   (defaults: 400, 2)
"""
import os
import random
import re
import statistics
import subprocess
import sys

COMBOS = int(sys.argv[1]) if len(sys.argv) > 1 else 400
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 2
DATABASE = os.environ.get("DATABASE", "ctodb_bench")
DEEP_PAGE = int(os.environ.get("DEEP_PAGE", 20))
AS_OF = "2026-11-25T12:00:00Z"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql", "bugs")
FILTER_TYPES = "text[], text[], uuid, uuid, bool, bool, bool, bool, timestamptz"
ALL_STATUSES = "'{pending,in_progress,verified,shipped,closed,deferred}'"


def sql(name):
    with open(os.path.join(ROOT, name + ".sql")) as f:
        return f.read()


def page_merge(wanted):
    """bugs/page_merge as ctodb composes it (bugs_page_merge in src/sql.rs): one copy of
    bugs/page_run per (status, severity) pair wanted, in place of the @runs line."""
    run = "\n".join(line for line in sql("page_run").splitlines() if not line.lstrip().startswith("--"))
    pairs = [(status, severity) for status in ALL_STATUSES.strip("'{}").split(",")
             for severity in ("critical", "high", "medium", "low")]
    pairs = [pair for pair in pairs if pair in wanted] or pairs[:1]
    runs = "\nUNION ALL\n".join(run.replace("@status", status).replace("@severity", severity)
                                 for status, severity in pairs)
    return "\n".join(runs if line.strip() == "@runs" else line for line in sql("page_merge").splitlines()) + "\n"


def wanted_pairs(c):
    """The pairs BugFilter::wants accepts for a combination."""
    statuses = c["status"].strip("'{}").split(",")
    severities = ["critical", "high", "medium", "low"] if c["severity"] == "NULL" else c["severity"].strip("'{}").split(",")
    open_only = c["breached"] == "true" or c["at_risk"] == "true"
    return frozenset((st, sv) for st in statuses for sv in severities
                     if not open_only or st in ("pending", "in_progress"))


def psql(script):
    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE],
                          input=script, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"psql failed: {done.stderr.strip()}")
    return done.stdout


def one_value(query):
    return psql(f"\\pset tuples_only on\n\\pset format unaligned\n{query};").strip()


def quoted(text):
    return "'" + text.replace("'", "''") + "'"


def combinations(project, assignee):
    severities = ["NULL", "'{critical}'", "'{high}'", "'{medium}'", "'{low}'", "'{critical,high}'"]
    statuses = ["'{pending,in_progress}'", "'{pending}'", "'{in_progress}'", "'{verified}'", "'{closed}'",
                "'{deferred}'", ALL_STATUSES]
    rnd = random.Random(SEED)
    for _ in range(COMBOS):
        assignee_id = rnd.choice(["NULL", "NULL", assignee])
        breached = rnd.choice(["false", "false", "true"])
        yield {
            "severity": rnd.choice(severities),
            "status": rnd.choice(statuses),
            "project": rnd.choice(["NULL", "NULL", project]),
            "assignee": assignee_id,
            # the CLI refuses --assignee with --unassigned and --breached with --at-risk
            "unassigned": "false" if assignee_id != "NULL" else rnd.choice(["false", "false", "true"]),
            "blocker": rnd.choice(["false", "false", "true"]),
            "breached": breached,
            "at_risk": "false" if breached == "true" else rnd.choice(["false", "false", "true"]),
            "sort": rnd.choice(["priority", "created", "due"]),
            "offset": rnd.choice([0, 50 * (DEEP_PAGE - 1)]),
        }


def main():
    project = quoted(one_value("SELECT project_id FROM bugs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
    assignee = quoted(one_value(
        "SELECT assignee_id FROM bugs WHERE assignee_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
    combos = list(combinations(project, assignee))
    open_sla_max = one_value(sql("open_sla_max")) or "NULL"
    # ctodb prepares each statement afresh and runs it once, so every plan is made for its
    # values (a custom plan); a statement prepared once and run 400 times here could
    # otherwise switch to a generic plan after five runs
    script = ["SET plan_cache_mode = force_custom_plan;"] + [
        f"PREPARE page_{variant}({FILTER_TYPES}, bigint, bigint, text, integer) AS {sql('page_' + variant)}{sql('page_rows')};"
        for variant in ("runs", "all")
    ]
    merges = {}
    script.append(f"PREPARE total({FILTER_TYPES}, integer) AS {sql('count')};")
    script.append(f"PREPARE total_summary(text[], text[]) AS {sql('count_summary')};")
    explain = "EXPLAIN (ANALYZE, SUMMARY, COSTS OFF, TIMING OFF)"
    for i, c in enumerate(combos):
        filters = (f"{c['severity']}, {c['status']}, {c['project']}, {c['assignee']}, {c['unassigned']}, "
                   f"{c['blocker']}, {c['breached']}, {c['at_risk']}, '{AS_OF}'")
        only_summary = all(c[k] in ("NULL", "false") for k in
                           ("project", "assignee", "unassigned", "blocker", "breached", "at_risk"))
        # BugFilter::page reads the at-risk horizon first (bugs/open_sla_max.sql)
        horizon = open_sla_max if c["at_risk"] == "true" else "NULL"
        count = (f"total_summary({c['severity']}, {c['status']})" if only_summary else f"total({filters}, {horizon})")
        # the variant ctodb picks (BugFilter::walks_every_status in src/cmd/bugs.rs)
        walk = os.environ.get("NO_WALK") is None and (c["severity"] == "NULL" and c["status"] == ALL_STATUSES
                and c["breached"] == "false" and c["at_risk"] == "false")
        pairs = wanted_pairs(c)
        if walk:
            name = "page_all"
        elif len(pairs) * (50 + c["offset"]) <= int(os.environ.get("RUNS_AT_MOST", 2000)):
            # BugFilter::page_helper: the runs read at most 2,000 entries
            name = "page_runs"
        else:
            if pairs not in merges:
                merges[pairs] = f"page_merge_{len(merges)}"
                script.append(f"PREPARE {merges[pairs]}({FILTER_TYPES}, bigint, bigint, text, integer) AS "
                              f"{page_merge(pairs)}{sql('page_rows')};")
            name = merges[pairs]
        page = f"{name}({filters}, 50, {c['offset']}, '{c['sort']}', {horizon})"
        for kind, statement in (("page", page), ("count", count)):
            script += [f"{explain} EXECUTE {statement};", f"\\echo BEGIN {kind} {i}",
                       f"{explain} EXECUTE {statement};", f"\\echo END {kind} {i}"]
    out = psql("\n".join(script))
    times = {"page": {}, "count": {}}
    for m in re.finditer(r"BEGIN (\w+) (\d+)\n(.*?)END \1 \2", out, re.S):
        planning = float(re.search(r"Planning Time: ([0-9.]+)", m.group(3)).group(1))
        execution = float(re.search(r"Execution Time: ([0-9.]+)", m.group(3)).group(1))
        times[m.group(1)][int(m.group(2))] = planning + execution
    pages = [times["page"][i] for i in range(len(combos))]
    both = [times["page"][i] + times["count"][i] for i in range(len(combos))]

    def summary(label, values, limit):
        ordered = sorted(values)
        p90 = ordered[int(len(ordered) * 0.9)]
        p99 = ordered[int(len(ordered) * 0.99)]
        under = sum(v < limit for v in values)
        print(f"| {label} | {statistics.median(values):.2f} | {p90:.2f} | {p99:.2f} | {ordered[-1]:.2f} "
              f"| {under} of {len(values)} under {limit} ms |")

    print(f"{len(combos)} combinations (seed {SEED}) on database {DATABASE}; planning + execution, ms")
    print("| measure | median | p90 | p99 | max | within target |")
    print("|---|---|---|---|---|---|")
    summary("page", pages, 5)
    summary("page 1 only", [pages[i] for i, c in enumerate(combos) if c["offset"] == 0], 5)
    summary(f"page {DEEP_PAGE} only", [pages[i] for i, c in enumerate(combos) if c["offset"] > 0], 5)
    summary("page and count", both, 25)
    print("\nslowest pages:")
    for i in sorted(range(len(combos)), key=lambda i: -pages[i])[:8]:
        c = combos[i]
        flags = " ".join(k for k in ("unassigned", "blocker", "breached", "at_risk") if c[k] == "true")
        print(f"  {pages[i]:6.2f} ms (count {times['count'][i]:.2f}): severity {c['severity']} status {c['status']} "
              f"project {c['project'] != 'NULL'} assignee {c['assignee'] != 'NULL'} {flags} sort {c['sort']} "
              f"page {1 + c['offset'] // 50}")


main()
