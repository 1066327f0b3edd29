#!/usr/bin/env python3
"""Search at the limit (issue 31): the full-text ranking of bugs as ctodb runs it today
(GIN, every match ranked) beside the RUM index's ordered scan, on the worst-case words of
bench/worst.py, in server time (EXPLAIN ANALYZE's execution time, median of RUNS after
one warm-up), with the overlap of each candidate's top twenty with today's, and the
projects half alone. Measures today's first (with no RUM index), then builds the RUM
index (timed and sized), measures it, and drops it again unless --keep.

usage: DATABASE_URL=... bench/search_index.py [runs] [--keep]
Needs the rum extension's package on the server (Debian: postgresql-15-rum) and psycopg.
"""
import os
import re
import statistics
import sys
import time

import psycopg

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
KEEP = "--keep" in sys.argv
LIMIT = 20

# today's helpers, with the words bound as ctodb binds them
GIN = """
WITH q AS (SELECT websearch_to_tsquery('english', %(words)s) && to_tsquery('english', %(prefixes)s) AS ts)
SELECT s.bug_number, ts_rank(s.search_vector, q.ts, 32) AS rank
FROM ctodb.bug_search s, q WHERE s.search_vector @@ q.ts
ORDER BY rank DESC, s.bug_number LIMIT %(limit)s"""
# RUM: the index returns the matches nearest first; the twenty cost twenty (the query
# written out, not shared through a CTE, so that the index scan can be ordered by it)
QUERY = "(websearch_to_tsquery('english', %(words)s) && to_tsquery('english', %(prefixes)s))"
RUM = f"""
SELECT s.bug_number, s.search_vector <=> {QUERY} AS distance
FROM ctodb.bug_search s WHERE s.search_vector @@ {QUERY}
ORDER BY s.search_vector <=> {QUERY} LIMIT %(limit)s"""
# the shape ctodb would run with the index: RUM's nearest 200, ranked again as today
RUM_RERANK = f"""
WITH near AS (
    SELECT s.bug_number, s.search_vector FROM ctodb.bug_search s
    WHERE s.search_vector @@ {QUERY}
    ORDER BY s.search_vector <=> {QUERY} LIMIT 200)
SELECT near.bug_number, ts_rank(near.search_vector, {QUERY}, 32) AS rank FROM near
ORDER BY rank DESC, near.bug_number LIMIT %(limit)s"""
HERE = os.path.join(os.path.dirname(__file__), "..", "sql", "search")
PROJECTS = open(os.path.join(HERE, "projects.sql")).read()
PROJECTS = re.sub(r"--[^\n]*", "", PROJECTS).replace("%", "%%").replace("$1", "%(text)s").replace("$2", "%(limit)s")


def server_ms(cur, query, params, setting=None):
    times = []
    for i in range(RUNS + 1):
        if setting:
            cur.execute("BEGIN")
            cur.execute(setting)
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query, params)
        plan = cur.fetchone()[0][0]
        if setting:
            cur.execute("COMMIT")
        if i:
            times.append(plan["Execution Time"])
    return statistics.median(times)


def top(cur, query, params):
    cur.execute(query, params)
    return [row[0] for row in cur.fetchall()]


def main():
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM ctodb.bug_search")
    documents = cur.fetchone()[0]
    cur.execute("SELECT word FROM search_words ORDER BY ndoc DESC, word LIMIT 3")
    common = [r[0] for r in cur.fetchall()]
    cases = [
        ("login timeout", "login timeout", ""),
        (f"{common[0]} {common[1]}", f"{common[0]} {common[1]}", ""),
        (" ".join(common), " ".join(common), ""),
        (common[0], common[0], ""),
        ("dashb", "", "dashb:*"),
        ("lo", "", "lo:*"),
        (f"{common[0]} or {common[1]} (any word)", f"{common[0]} or {common[1]}", ""),
    ]
    # today: GIN, before any RUM index exists (the planner could use one for @@); the
    # faster of the index's bitmap and the parallel scan ctodb switches to for common words
    cur.execute("DROP INDEX IF EXISTS ctodb.bug_search_rum_idx")
    today = {}
    for label, words, prefixes in cases:
        params = {"words": words, "prefixes": prefixes, "limit": LIMIT}
        bitmap = server_ms(cur, GIN, params)
        scan = server_ms(cur, GIN, params, "SET LOCAL enable_bitmapscan = off")
        today[label] = (min(bitmap, scan), top(cur, GIN, params))
    projects = {}
    for text in ["payments", f"{common[0]} {common[1]}", "lgoin timout", "platform"]:
        projects[text] = server_ms(cur, PROJECTS, {"text": text, "limit": LIMIT})
    cur.execute("CREATE EXTENSION IF NOT EXISTS rum")
    cur.execute("SET maintenance_work_mem = '1GB'")
    started = time.perf_counter()
    cur.execute("CREATE INDEX bug_search_rum_idx ON ctodb.bug_search USING rum (search_vector rum_tsvector_ops)")
    built = time.perf_counter() - started
    cur.execute("SELECT pg_size_pretty(pg_relation_size('ctodb.bug_search_rum_idx')), "
                "pg_size_pretty(pg_relation_size('ctodb.bug_search_vector_idx')), "
                "pg_size_pretty(pg_relation_size('ctodb.bug_search'))")
    rum_size, gin_size, heap_size = cur.fetchone()
    print(f"{documents:,} documents ({heap_size}); GIN {gin_size}; RUM {rum_size}, built in {built:.1f} s "
          f"(maintenance_work_mem 1 GB)\n")
    print("| words | GIN, every match ranked (ms) | RUM ordered (ms) | same top 20 | RUM 200 re-ranked (ms) | same top 20 |")
    print("|---|---|---|---|---|---|")
    for label, words, prefixes in cases:
        params = {"words": words, "prefixes": prefixes, "limit": LIMIT}
        gin, ranked = today[label]
        rum = server_ms(cur, RUM, params)
        rerank = server_ms(cur, RUM_RERANK, params)
        same_rum = len(set(ranked) & set(top(cur, RUM, params)))
        same_rerank = len(set(ranked) & set(top(cur, RUM_RERANK, params)))
        print(f"| `{label}` | {gin:.1f} | {rum:.1f} | {same_rum}/{len(ranked)} | {rerank:.1f} | {same_rerank}/{len(ranked)} |")
    print("\n| projects half | server ms |\n|---|---|")
    for text, ms in projects.items():
        print(f"| `{text}` | {ms:.1f} |")
    if not KEEP:
        cur.execute("DROP INDEX ctodb.bug_search_rum_idx")


main()
