-- Answers: which server this is and which extensions it has installed here.
-- Parameters: none.
SELECT current_setting('server_version') AS version,
       current_setting('server_version_num')::int AS version_num,
       coalesce((SELECT array_agg(extname::text ORDER BY extname) FROM pg_extension), '{}') AS extensions
