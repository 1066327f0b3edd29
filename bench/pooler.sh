#!/usr/bin/env bash
# Starts PgBouncer in session mode on 127.0.0.1:6432 in front of the local server, one
# server connection per database, so that consecutive ctodb processes reuse one warm
# server backend (its catalog caches and mapped shared buffers survive between them).
#   usage: bench/pooler.sh DATABASE...        (needs pgbouncer: apt-get install pgbouncer)
#   then:  DATABASE_URL=postgres://$USER@127.0.0.1:6432/DATABASE bench/helpers.py 7 bugs
#   stop:  kill "$(cat /tmp/ctodb-pgbouncer/pgbouncer.pid)"
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bench/pooler.sh DATABASE..." >&2; exit 2; }
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || {
  echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
DIR=/tmp/ctodb-pgbouncer
mkdir -p "$DIR"
{
  echo "[databases]"
  for db in "$@"; do echo "$db = host=/var/run/postgresql dbname=$db"; done
  cat <<INI
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = session
server_reset_query = DISCARD ALL
default_pool_size = 1
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
} > "$DIR/pgbouncer.ini"
echo "\"${USER:-root}\" \"\"" > "$DIR/userlist.txt"
chown -R postgres "$DIR"
[ -f "$DIR/pgbouncer.pid" ] && kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null && sleep 1
su postgres -c "$(command -v pgbouncer || echo /usr/sbin/pgbouncer) -d $DIR/pgbouncer.ini"
echo "pgbouncer (session mode) on 127.0.0.1:6432 for: $*"
