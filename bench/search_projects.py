#!/usr/bin/env python3
"""The projects half of search (issue 31): search/projects.sql as ctodb binds it, server time
(EXPLAIN ANALYZE) median of 5 after a warm-up, for a few texts on each database named.

usage: bench/search_projects.py DATABASE...   (local socket; needs psycopg: the tests venv)
"""
import os, re, statistics, sys, psycopg
sqlt = open(os.path.join(os.path.dirname(__file__), '..', 'sql', 'search', 'projects.sql')).read()
sqlt = re.sub(r"--[^\n]*", "", sqlt).replace("%", "%%").replace("$1", "%(text)s").replace("$2", "%(limit)s")
for db in sys.argv[1:]:
    conn = psycopg.connect(f"postgresql:///{db}?host=/var/run/postgresql", autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT word FROM search_words ORDER BY ndoc DESC, word LIMIT 2")
    common = [r[0] for r in cur.fetchall()]
    for text in ["payments", f"{common[0]} {common[1]}", "lgoin timout", "platform"]:
        times = []
        for i in range(6):
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sqlt, {"text": text, "limit": 20})
            if i: times.append(cur.fetchone()[0][0]["Execution Time"])
        print(db, text, f"{statistics.median(times):.1f}")
