#!/usr/bin/env bash
# Scale benchmark (issue 29): everything a portfolio of one size costs, on a database
# already seeded with a profile at T (`ctodb seed --profile xl|xxl --as-of T`), so that two
# sizes can be put side by side from one machine's runs:
#   the first refresh after the seed, the next day's refresh (whole process, peak RSS, and
#   the steps -v times), every command of bench/helpers.py (medians of RUNS), the worst
#   search words, an export of the whole snapshot at T+1 and T+2 (wall, peak RSS, bytes),
#   and the diff of the two.
#   usage: DATABASE_URL=postgres:///ctodb_xxl bench/scale.sh OUT [RUNS]
# Writes OUT/summary.md (and the logs beside it). It changes the database (refreshes).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
RUNS=${2:-5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
BIN=${CTODB_BIN:-$CARGO_TARGET_DIR/release/ctodb}
T=2026-11-25T12:00:00Z
T1=2026-11-26T12:00:00Z
T2=2026-11-27T12:00:00Z
mkdir -p "$OUT"
summary="$OUT/summary.md"
: > "$summary"
timed() { # name, command...: one line of wall seconds and peak RSS into the summary
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.log"
  read -r wall rss < "$OUT/$name.time"
  echo "| $name | $wall s | $((rss / 1024)) MB |" >> "$summary"
}
echo "| step | wall | peak RSS |" >> "$summary"
echo "|---|---|---|" >> "$summary"
timed refresh-first "$BIN" -v refresh --as-of "$T"
timed refresh-next-day "$BIN" -v refresh --as-of "$T1"
rm -rf "$OUT/reports"
timed export-t1 "$BIN" -v export --as-of "$T1" --dir "$OUT/reports" --id t1
timed refresh-day-after "$BIN" -v refresh --as-of "$T2"
timed export-t2 "$BIN" -v export --as-of "$T2" --dir "$OUT/reports" --id t2
timed diff "$BIN" diff t1 t2 --dir "$OUT/reports" -f csv
echo >> "$summary"
du -sb "$OUT"/reports/snapshot=* | sed 's/^/    /' >> "$summary"
echo >> "$summary"
grep -h "refreshed at\|took [0-9.]* ms" "$OUT"/refresh-next-day.log | sort -t' ' -k5 -g -r | head -8 | sed 's/^/    /' >> "$summary" || true
echo >> "$summary"
python3 bench/helpers.py "$RUNS" >> "$summary"
echo >> "$summary"
python3 bench/worst.py >> "$summary" 2>&1 || echo "(bench/worst.py failed)" >> "$summary"
cat "$summary"
