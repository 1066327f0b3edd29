#!/usr/bin/env bash
# Every command's output in every format, live and from a snapshot, into one folder, so
# that two builds can be compared byte for byte (a refactoring must change none):
#   DATABASE_URL=… CTODB_BIN=path bench/outputs.sh OUT
#   diff -r OUT-before OUT-after
# The database should be seeded (the demo, or `--profile standard`) and refreshed at
# AS_OF; the script exports one snapshot of it into OUT/reports first.
set -euo pipefail
OUT=$1
BIN=${CTODB_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}/debug/ctodb}
AS_OF=${AS_OF:-2026-11-25T12:00:00Z}
rm -rf "$OUT" && mkdir -p "$OUT"
export NO_COLOR=1 CTODB_EXPORT_DIR="$OUT/reports"
"$BIN" export --as-of "$AS_OF" --id w48 2> /dev/null
# ids and one-word values, so that each command splits into its arguments
PROJECT=$(psql -X -At -d "$DATABASE_URL" -c "SELECT id FROM projects ORDER BY name LIMIT 1")
USER_EMAIL=$(psql -X -At -d "$DATABASE_URL" -c "SELECT email FROM users ORDER BY email LIMIT 1")
BUG=$(psql -X -At -d "$DATABASE_URL" -c "SELECT min(bug_number) FROM bugs")

commands=(
  "projects" "projects --all --wide" "projects --status active --sort arr" "projects --sort health --limit 3 --page 2"
  "project $PROJECT"
  "bugs" "bugs --all --sort created" "bugs --severity critical" "bugs --breached --sort due" "bugs --at-risk"
  "bugs --unassigned --blocker" "bugs --project $PROJECT --wide" "bugs --assignee $USER_EMAIL" "bugs --status verified --status shipped"
  "bug show $BUG" "search login" "search lgoin" "search --projects atlas"
  "report portfolio" "report bugs" "report sla" "report aging" "report daily --project $PROJECT" "report monthly" "report monthly --project $PROJECT"
  "report trends" "report trends --project $PROJECT --months 6" "report engineering" "report engineering --months 6"
  "report workload" "report workload --user $USER_EMAIL" "report team" "report team --days 7" "report sync" "report imports"
  "users"
  "report portfolio --snapshot w48" "report sla --snapshot w48" "report trends --snapshot w48" "report engineering --snapshot w48" "report aging --snapshot w48"
  "projects --snapshot w48" "projects --snapshot w48 --sort roi" "bugs --snapshot w48" "bugs --snapshot w48 --severity high --breached"
  "snapshots"
)
n=0
for command in "${commands[@]}"; do
  n=$((n + 1))
  for format in table csv json ndjson; do
    # shellcheck disable=SC2086
    "$BIN" $command --as-of "$AS_OF" -f "$format" > "$OUT/$n.$format" 2> "$OUT/$n.$format.err" || echo "exit $?" >> "$OUT/$n.$format.err"
  done
  # shellcheck disable=SC2086
  "$BIN" $command --as-of "$AS_OF" -o "$OUT/$n.parquet" 2> "$OUT/$n.parquet.err" || echo "exit $?" >> "$OUT/$n.parquet.err"
  echo "$n: $command" >> "$OUT/commands"
done
"$BIN" report weekly --html "$OUT/weekly-live.html" --as-of "$AS_OF" 2> /dev/null
"$BIN" report weekly --html "$OUT/weekly-snapshot.html" --snapshot w48 2> /dev/null
# the snapshot itself, but for its timings
find "$OUT/reports" -name '*.parquet' -exec sha256sum {} + | sed "s|$OUT/||" | sort > "$OUT/snapshot.sha256"
rm -rf "$OUT/reports"
echo "$n commands, 5 formats each, into $OUT"
