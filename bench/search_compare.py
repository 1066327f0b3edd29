#!/usr/bin/env python3
"""Search side by side (issue 31): the worst-case inputs of bench/worst.py searched with
two builds (`ctodb -v search TEXT --bugs -f csv`, 5 runs after a warm-up each), the
median whole-process time and the full-text helpers' server time, and whether the two
listed the same bugs.

usage: bench/search_compare.py DATABASE OLD_BINARY NEW_BINARY   (local socket)
"""
import os, re, statistics, subprocess, sys, time
db = sys.argv[1]
bins = sys.argv[2:]
env = dict(os.environ, DATABASE_URL=f"postgresql:///{db}?host=/var/run/postgresql")
common = subprocess.run(["psql","-X","-At","-d",env["DATABASE_URL"],"-c","SELECT word FROM search_words ORDER BY ndoc DESC, word LIMIT 3"],capture_output=True,text=True).stdout.split()
inputs = ["login timeout", f"{common[0]} {common[1]}", " ".join(common), common[0], common[0][:-1]+"x "+common[1], f"{common[0]} zzqxv", f"{common[0]} {common[1]} zzqxv", "login qqq", "lo", "dashb", "payment webhook"]
T = re.compile(r"^ctodb: query (search/bugs_\w+) took ([0-9.]+) ms$")
print("| input | " + " | ".join(f"{os.path.basename(b)} ms (server)" for b in bins) + " |")
print("|---|" + "---|"*len(bins))
outs = {}
for text in inputs:
    cells = []
    for b in bins:
        walls, servers = [], []
        for i in range(6):
            t = time.perf_counter()
            p = subprocess.run([b, "-v", "search", text, "--bugs", "-f", "csv"], capture_output=True, text=True, env=env)
            w = (time.perf_counter()-t)*1000
            if p.returncode: raise SystemExit(p.stderr)
            srv = sum(float(m.group(2)) for l in p.stderr.splitlines() for m in [T.match(l)] if m)
            if i: walls.append(w); servers.append(srv)
            outs[(text,b)] = p.stdout
        cells.append(f"{statistics.median(walls):.0f} ({statistics.median(servers):.0f})")
    same = "same" if len(bins) > 1 and outs[(text,bins[0])] == outs[(text,bins[1])] else "differs"
    print(f"| `{text}` | " + " | ".join(cells) + f" | {same} |")
