-- Answers: is this session encrypted, and with which TLS version (doctor's connection line).
-- Parameters: none.
SELECT coalesce(s.ssl, false) AS ssl, s.version AS tls_version
FROM (SELECT 1) one
LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()
