#!/usr/bin/env bash
# Seed benchmark (issue 3): seeds a profile into a scratch database RUNS times and, in the
# same run, measures the limit for the bugs table: psql's `\copy ... FROM (FORMAT binary)`
# of the very rows ctodb generated, into the table in the state ctodb loads it (empty,
# secondary indexes, unique constraints and foreign keys dropped, defaults trigger off,
# inside a transaction).
#   usage: bench/seed.sh [profile] [runs]      (defaults: xl 3)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-xl}
RUNS=${2:-3}
DB=ctodb_bench_seed
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
cargo build --release -q
BIN=$CARGO_TARGET_DIR/release/ctodb
export DATABASE_URL="postgres:///$DB?host=/var/run/postgresql"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
COLUMNS_LIST="id, bug_number, project_id, title, description, severity, status, is_blocker, revenue_impact_daily, sla_hours, due_at, reporter_id, assignee_id, labels, source, external_id, created_at, updated_at, resolved_at"

# median
source bench/lib.sh

for run in $(seq "$RUNS"); do
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  "$BIN" -q migrate
  /usr/bin/time -f "%e %M" -o "$WORK/time.$run" \
    "$BIN" -v seed --profile "$PROFILE" --as-of 2026-11-25T12:00:00Z 2> "$WORK/seed.$run" > /dev/null
  read -r wall rss < "$WORK/time.$run"
  echo "$wall" >> "$WORK/walls"; echo "$rss" >> "$WORK/rss"
  grep -E "^ctodb: (copy|rebuilt|monthly|commit|vacuum)" "$WORK/seed.$run" | sed 's/^ctodb: //' > "$WORK/steps.$run"
  awk '/^copy bugs:/ {print $6}' "$WORK/steps.$run" >> "$WORK/bugs_copy"
  echo "run $run: $wall s wall, $rss kB peak RSS"
done

# The limit: the same bugs rows through psql, into the table as ctodb loads it.
psql -X -q -d "$DB" -c "\\copy (SELECT $COLUMNS_LIST FROM bugs) TO '$WORK/bugs.bin' (FORMAT binary)"
for run in $(seq "$RUNS"); do
  psql -X -q -d "$DB" > "$WORK/psql.$run" <<SQL
BEGIN;
SELECT format('ALTER TABLE bugs DROP CONSTRAINT %I', conname) FROM pg_constraint
 WHERE conrelid = 'bugs'::regclass AND contype IN ('f', 'u') \\gexec
SELECT format('DROP INDEX %s', indexrelid::regclass) FROM pg_index i
 WHERE indrelid = 'bugs'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \\gexec
ALTER TABLE bugs DISABLE TRIGGER bugs_defaults;
TRUNCATE bugs CASCADE;
\\timing on
\\copy bugs ($COLUMNS_LIST) FROM '$WORK/bugs.bin' (FORMAT binary)
\\timing off
ROLLBACK;
SQL
  awk '/^Time:/ {print $2/1000}' "$WORK/psql.$run" >> "$WORK/psql_copy"
done

bugs=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM bugs")
echo
echo "profile $PROFILE, $RUNS runs, $bugs bugs, $(nproc) cores, PostgreSQL $(psql -X -At -d "$DB" -c 'SHOW server_version')"
echo "| measure | median |"
echo "|---|---|"
echo "| ctodb seed, wall | $(median < "$WORK/walls") s |"
echo "| ctodb seed, peak RSS | $(( $(median < "$WORK/rss") / 1024 )) MB |"
echo "| ctodb COPY of bugs | $(median < "$WORK/bugs_copy") s |"
echo "| psql \\copy of the same bugs (FORMAT binary) | $(median < "$WORK/psql_copy") s |"
echo
echo "steps of the last run:"
cat "$WORK/steps.$RUNS"
