#!/usr/bin/env bash
# CSV import benchmark (issue 16), side by side in one run on one database:
#   - the yardstick: psql's `\copy` of the same file into an unindexed table of the same
#     columns (typed like bugs: no indexes, no triggers, no checks);
#   - the floor: the same rows, once \copied, inserted into bugs by one INSERT … SELECT in
#     psql (PostgreSQL's own cost of the bugs table's indexes, triggers and foreign keys),
#     rolled back;
#   - `ctodb import csv FILE --kind bugs`: 100,000 new bugs into the database (validated,
#     staged by binary COPY, merged into bugs with its indexes and triggers, the search
#     words rebuilt); the rows are deleted again after each run (not timed);
#   - the same file imported twice: the second run finds every row unchanged;
#   - memory: peak RSS of a --dry-run of a 1,000,000-row file (every row read, checked,
#     staged and counted; nothing written).
# RUNS runs of each, alternating; prints every run and the medians.
#   usage: DATABASE_URL=... bench/import.sh [runs]        (default 3; an xl database)
#   CTODB_BIN=path (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
ROWS=${ROWS:-100000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
BIN=${CTODB_BIN:-$CARGO_TARGET_DIR/release/ctodb}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql -X -q -d "$DATABASE_URL" -c "DROP TABLE IF EXISTS bench_import_copy" 2>/dev/null' EXIT
# median, timed
source bench/lib.sh

# the files: bugs of existing projects, each with its own external id
psql -X -At -d "$DATABASE_URL" -c "SELECT name FROM projects ORDER BY name LIMIT 500" > "$WORK/projects"
python3 - "$WORK" "$ROWS" <<'EOF'
import csv, random, sys
work, rows = sys.argv[1], int(sys.argv[2])
projects = open(f"{work}/projects").read().split("\n")[:-1]
words = ("login timeout checkout refund export dashboard crash slow sync upload invoice search "
         "mobile billing report webhook cache retry session token").split()
severities = ["critical", "high", "medium", "low"]
rng = random.Random(16)
def write(path, n, prefix):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["project", "title", "description", "severity", "status", "revenue_impact_daily",
                    "created_at", "external_id", "labels"])
        for i in range(n):
            title = " ".join(rng.choice(words) for _ in range(5))
            w.writerow([rng.choice(projects), title.capitalize(), f"Steps: {title}. Seen by {rng.randint(1, 900)} users.",
                        rng.choice(severities), rng.choice(["pending", "in_progress", "closed"]),
                        f"{rng.randint(0, 90000)}.{rng.randint(0, 99):02d}",
                        f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
                        f"{prefix}-{i}", "bench;" + rng.choice(words)])
write(f"{work}/bugs.csv", rows, "bench")
write(f"{work}/million.csv", 1_000_000, "bench-m")
EOF
ls -l "$WORK"/*.csv | awk '{print "  " $5 " bytes " $9}'
psql -X -q -d "$DATABASE_URL" -c "DROP TABLE IF EXISTS bench_import_copy" -c "CREATE TABLE bench_import_copy (
  project text, title text, description text, severity bug_severity, status bug_status,
  revenue_impact_daily numeric(12,2), created_at timestamptz, external_id text, labels text)"
cleanup() {
  psql -X -q -d "$DATABASE_URL" -c "DELETE FROM bugs WHERE source = 'csv' AND external_id LIKE 'bench-%'" \
    -c "TRUNCATE bench_import_copy" -c "VACUUM (ANALYZE) bugs" > /dev/null
}
cleanup
for run in $(seq "$RUNS"); do
  echo "run $run"
  timed psql_copy psql -X -q -d "$DATABASE_URL" -c "\\copy bench_import_copy FROM '$WORK/bugs.csv' (FORMAT csv, HEADER true)"
  timed insert_floor psql -X -q -d "$DATABASE_URL" -c "BEGIN" -c "INSERT INTO bugs (project_id, title,
    description, severity, status, revenue_impact_daily, created_at, source, external_id, labels)
    SELECT p.id, c.title, c.description, c.severity, c.status, c.revenue_impact_daily, c.created_at, 'csv',
           c.external_id, string_to_array(c.labels, ';')
    FROM bench_import_copy c JOIN projects p ON p.name = c.project" -c "ROLLBACK"
  timed import "$BIN" -v import csv "$WORK/bugs.csv" --kind bugs
  grep -E "query import/(merge|match|check)|query search/refresh_words|copy import_rows" "$WORK/err" | sed 's/^/    /'
  timed reimport "$BIN" import csv "$WORK/bugs.csv" --kind bugs
  cleanup
done
timed dry_run_million "$BIN" import csv "$WORK/million.csv" --kind bugs --dry-run

echo
echo "medians over $RUNS runs ($ROWS rows):"
for name in psql_copy insert_floor import reimport dry_run_million; do
  [ -f "$WORK/$name" ] || continue
  wall=$(cut -d' ' -f1 "$WORK/$name" | median)
  rss=$(cut -d' ' -f2 "$WORK/$name" | median)
  echo "  $name: $wall s, $((${rss%.*} / 1024)) MB"
done
copy=$(cut -d' ' -f1 "$WORK/psql_copy" | median)
import=$(cut -d' ' -f1 "$WORK/import" | median)
floor=$(cut -d' ' -f1 "$WORK/insert_floor" | median)
echo "  import / psql \\copy: $(echo "scale=2; $import / $copy" | bc)"
echo "  import / INSERT … SELECT floor: $(echo "scale=2; $import / $floor" | bc)"
