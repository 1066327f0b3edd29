"""Reads every table of a ctodb snapshot with pyarrow and with DuckDB and compares every
value with PostgreSQL's (psycopg), row by row, ordered by id. Prints one line per table
("table rows columns") and exits 1 on the first difference, naming table, column and id.

usage: compare_snapshot.py SNAPSHOT_FOLDER DATABASE_URL
"""
import datetime
import decimal
import ipaddress
import json
import sys
import uuid

import duckdb
import psycopg
import pyarrow.parquet as pq

TABLES = ["users", "projects", "bugs", "project_metrics", "monthly_metrics",
          "portfolio_metrics", "bug_history", "import_logs", "audit_log"]


def normal(value):
    """One comparable form for what pyarrow, DuckDB and psycopg return."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)) and len(value) == 16:
        return str(uuid.UUID(bytes=bytes(value)))
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        full = value.network.max_prefixlen
        return str(value.ip) if value.network.prefixlen == full else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


def main(folder, url):
    with psycopg.connect(url) as connection:
        for table in TABLES:
            path = f"{folder}/{table}.parquet"
            arrow = pq.read_table(path)
            columns = arrow.column_names
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = connection.execute(f"SELECT {quoted} FROM {table} ORDER BY id").fetchall()
            database = {normal(r[0]): [normal(v) for v in r] for r in rows}
            from_arrow = {}
            for record in arrow.to_pylist():
                values = [normal(record[c]) for c in columns]
                from_arrow[values[0]] = values
            duck = duckdb.sql(f"SELECT {quoted} FROM read_parquet('{path}')").fetchall()
            from_duck = {normal(r[0]): [normal(v) for v in r] for r in duck}
            for name, read in (("pyarrow", from_arrow), ("duckdb", from_duck)):
                if len(read) != len(database):
                    sys.exit(f"{name}: {table} has {len(read)} rows, the database {len(database)}")
                for key, expected in database.items():
                    got = read.get(key)
                    if got is None:
                        sys.exit(f"{name}: {table} id {key} is missing")
                    for column, g, e in zip(columns, got, expected):
                        # jsonb: text in Parquet, parsed by psycopg
                        if column in ("changes", "errors", "timings"):
                            g = json.loads(g) if isinstance(g, str) else g
                            e = json.loads(e) if isinstance(e, str) else e
                        if g != e:
                            sys.exit(f"{name}: {table}.{column} of id {key}: {g!r}, the database {e!r}")
            print(table, len(rows), len(columns))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
