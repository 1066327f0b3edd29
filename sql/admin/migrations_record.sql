-- Records one applied migration, inside the transaction that applied it.
-- Parameters: $1 version, $2 name, $3 checksum (sha-256), $4 execution time in ms.
INSERT INTO ctodb.schema_migrations (version, name, checksum, execution_ms)
VALUES ($1, $2, $3, $4)
