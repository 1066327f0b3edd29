#!/usr/bin/env bash
# Export benchmark (issue 15), side by side in one run on one database:
#   - the limit: psql's `COPY (SELECT <exported columns>) TO STDOUT (FORMAT binary)` of each
#     table to /dev/null;
#   - `ctodb export --tables bugs` (the bugs table, plus the report frames, timed apart by -v);
#   - pg2parquet (crates.io) on the same bugs columns, if PG2PARQUET names its binary;
#   - the whole snapshot: `ctodb export` of the nine tables and the report frames, with
#     uuids as text (the default) and as Parquet's UUID type (`--uuid binary`), and the
#     bytes of each.
# RUNS runs of each, alternating; prints every run and the medians, with peak RSS.
#   usage: DATABASE_URL=... bench/export.sh [runs]          (default 3; an xl database)
#   CTODB_BIN=path (default: the release build), PG2PARQUET=path/to/pg2parquet
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
BIN=${CTODB_BIN:-$CARGO_TARGET_DIR/release/ctodb}
DB=$(psql -X -At -d "$DATABASE_URL" -c "SELECT current_database()")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TABLES="users projects bugs project_metrics monthly_metrics portfolio_metrics bug_history import_logs audit_log"
columns() {
  psql -X -At -d "$DATABASE_URL" -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'public.$1'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''"
}
# median, timed
source bench/lib.sh

BUG_COLUMNS=$(columns bugs)
for run in $(seq "$RUNS"); do
  echo "run $run"
  total=0
  for table in $TABLES; do
    cols=$(columns "$table")
    /usr/bin/time -f "%e" -o "$WORK/t" psql -X -d "$DATABASE_URL" \
      -c "COPY (SELECT $cols FROM $table) TO STDOUT (FORMAT binary)" > /dev/null
    wall=$(cat "$WORK/t")
    [ "$table" = bugs ] && echo "$wall 0" >> "$WORK/copy_bugs"
    total=$(echo "$total + $wall" | bc)
  done
  echo "$total 0" >> "$WORK/copy_all"
  echo "  COPY binary, nine tables: $total s"
  rm -rf "$WORK/out"
  timed export_bugs "$BIN" -v export --tables bugs --reports none --dir "$WORK/out" --id "bugs-$run"
  grep -o "bugs: .* in [0-9.]* s" "$WORK/err" | sed 's/^/    /'
  awk '/^ctodb: bugs: / {print $(NF-1), 0}' "$WORK/err" >> "$WORK/bugs_file"
  if [ -n "${PG2PARQUET:-}" ]; then
    # (trust authentication: pg2parquet asks for a password on a terminal unless one is set)
    PGPASSWORD=unused timed pg2parquet "$PG2PARQUET" export --host /var/run/postgresql --user "$(id -un)" \
      --dbname "$DB" --query "SELECT $BUG_COLUMNS FROM bugs" --output-file "$WORK/out/pg2parquet.parquet" \
      --compression zstd --quiet
  fi
  rm -rf "$WORK/out"
  timed export_all "$BIN" export --dir "$WORK/out" --id "all-$run"
  du -sb "$WORK/out/snapshot=all-$run" | awk '{print $1}' >> "$WORK/bytes_text"
  timed export_all_binary "$BIN" export --uuid binary --dir "$WORK/out" --id "binary-$run"
  du -sb "$WORK/out/snapshot=binary-$run" | awk '{print $1}' >> "$WORK/bytes_binary"
  for uuid in all binary; do
    bugs=$(stat -c %s "$WORK/out/snapshot=$uuid-$run/bugs.parquet")
    echo "    bugs.parquet ($uuid): $bugs bytes"
  done
done

echo "medians over $RUNS runs:"
for name in copy_bugs bugs_file export_bugs pg2parquet copy_all export_all export_all_binary; do
  [ -f "$WORK/$name" ] || continue
  wall=$(awk '{print $1}' "$WORK/$name" | median)
  rss=$(awk '{print $2}' "$WORK/$name" | sort -n | tail -1)
  echo "  $name: $wall s (peak RSS $((rss / 1024)) MB)"
done
for encoding in text binary; do
  echo "  snapshot bytes, uuids as $encoding: $(median < "$WORK/bytes_$encoding")"
done
