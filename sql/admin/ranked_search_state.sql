-- Answers: whether search's ranked index (RUM) is there, and if not, why: the extension
-- created in this database, offered by the server, and the server's major version (for
-- the package's name) (ctodb doctor).
-- Parameters: none. Reads the catalogs only.
SELECT to_regclass('ctodb.bug_search_rum_idx') IS NOT NULL AS index_present,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum') AS created,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'rum') AS available,
       current_setting('server_version_num')::int / 10000 AS major
