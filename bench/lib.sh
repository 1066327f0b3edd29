# Shared by the bench scripts (sourced, with WORK set to their scratch folder).

# The median of the numbers on standard input, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# timed NAME COMMAND...: runs the command, its output discarded, and appends its wall time
# and peak RSS ("seconds kilobytes") to $WORK/NAME; prints them; stops on a failure.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" > /dev/null 2> "$WORK/err" || { cat "$WORK/err"; exit 1; }
  cat "$WORK/t" >> "$WORK/$name"
  read -r wall rss < "$WORK/t"
  echo "  $name: ${wall} s, $((rss / 1024)) MB"
}
