#!/usr/bin/env bash
# Refresh benchmark: the nightly job at a profile's scale, side by side with an earlier
# build. Seeds the profile once per build into its own database (the same rows), then
# runs, alternating the builds: the first refresh after the seed, the same as-of again
# (nothing changes), the next day. Prints wall time and peak RSS of each run, and the
# formula steps that -v times (the current build only).
#   usage: bench/refresh.sh [profile]                    (default: xl)
#   NEW_BIN=path OLD_BIN=path bench/refresh.sh xl        (OLD_BIN optional)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-xl}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ctodb-target}
NEW_BIN=${NEW_BIN:-$CARGO_TARGET_DIR/release/ctodb}
OLD_BIN=${OLD_BIN:-}
T=2026-11-25T12:00:00Z
NEXT=2026-11-26T12:00:00Z
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

builds=(new)
[ -n "$OLD_BIN" ] && builds+=(old)
bin_of() { if [ "$1" = new ]; then echo "$NEW_BIN"; else echo "$OLD_BIN"; fi; }
url_of() { echo "postgres:///ctodb_bench_refresh_$1?host=/var/run/postgresql"; }

for build in "${builds[@]}"; do
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ctodb_bench_refresh_$build WITH (FORCE)"
  DATABASE_URL=$(url_of "$build") "$(bin_of "$build")" -q migrate
  DATABASE_URL=$(url_of "$build") "$(bin_of "$build")" -q seed --profile "$PROFILE" --as-of "$T" > /dev/null
done

for step in "first:$T" "again:$T" "next-day:$NEXT"; do
  name=${step%%:*}; as_of=${step#*:}
  for build in "${builds[@]}"; do
    if ! /usr/bin/time -f "%e %M" -o "$WORK/time" env DATABASE_URL="$(url_of "$build")" \
      "$(bin_of "$build")" -v refresh --as-of "$as_of" > "$WORK/log" 2>&1; then
      echo "$name $build: failed"; cat "$WORK/log"; exit 1
    fi
    read -r wall rss < "$WORK/time"
    # (builds before 2026-11-30 print this line on stdout, later ones on stderr: both are in the log)
    changed=$(grep -o "refreshed at .*" "$WORK/log" | sed 's/^refreshed at [^:]*:[^:]*:[^:]*: //' || true)
    echo "$name $build: ${wall} s wall, $((rss / 1024)) MB peak RSS; $changed"
    if [ "$build" = new ]; then grep -E "computed in" "$WORK/log" | sed 's/^ctodb: /    /' || true; fi
  done
done
