#!/usr/bin/env bash
# Reads under load (issue 17): 200 read commands (`bugs`, `report portfolio`, `search`,
# in turn) from 8 parallel processes, once with the database idle and once while a
# `ctodb refresh` of a new day runs; every command must succeed. Prints p50, p99 and the
# maximum of the whole-process times, and how long the refresh took.
#   usage: DATABASE_URL=... bench/load.sh            (an xl database)
#   CTODB_BIN=path (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
BIN=${CTODB_BIN:-$CARGO_TARGET_DIR/release/ctodb}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export BIN WORK
one() { # n: runs the n-th read, appends "seconds status" to $WORK/times
  local n=$1 start end status=0 err
  err=$(mktemp -p "$WORK")
  start=$(date +%s.%N)
  case $((n % 3)) in
    0) "$BIN" bugs --severity critical -f csv > /dev/null 2> "$err" || status=$? ;;
    1) "$BIN" report portfolio -f csv > /dev/null 2> "$err" || status=$? ;;
    2) "$BIN" search "checkout timeout" -f csv > /dev/null 2> "$err" || status=$? ;;
  esac
  end=$(date +%s.%N)
  # the stderr of a failed read only (a page footer is not an error)
  [ "$status" = 0 ] || cat "$err" >> "$WORK/errors"
  rm -f "$err"
  echo "$(echo "$end - $start" | bc) $status" >> "$WORK/times"
}
export -f one
percentiles() { # label
  local n failed
  n=$(wc -l < "$WORK/times")
  failed=$(awk '$2 != 0' "$WORK/times" | wc -l)
  cut -d' ' -f1 "$WORK/times" | sort -n | awk -v label="$1" -v n="$n" -v failed="$failed" '
    {a[NR] = $1}
    END {
      p50 = a[int((NR - 1) * 0.50) + 1]; p99 = a[int((NR - 1) * 0.99) + 1];
      printf "  %s: %d reads, %d failed; p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", label, n, failed, p50 * 1000, p99 * 1000, a[NR] * 1000
    }'
}
reads() { seq 200 | xargs -P 8 -I{} bash -c 'one {}'; }

: > "$WORK/times"
reads
percentiles "idle"

: > "$WORK/times"
day=$(date -u -d "+$((RANDOM % 300 + 30)) days" +%Y-%m-%dT02:00:00Z)
start=$(date +%s.%N)
"$BIN" refresh --as-of "$day" > /dev/null 2> "$WORK/refresh" &
refresh=$!
sleep 1
reads
readers_done=$(date +%s.%N)
wait $refresh
end=$(date +%s.%N)
percentiles "during refresh --as-of $day"
echo "  refresh: $(echo "$end - $start" | bc) s (the reads ended after $(echo "$readers_done - $start" | bc) s)"
if [ -s "$WORK/errors" ]; then
  echo "errors:"
  sort "$WORK/errors" | uniq -c | head
fi
