-- Answers: which server process serves this session, and the port the server itself
-- listens on (db::pooler: a port other than the one connected to means something stands
-- between, whose behaviour is then probed).
-- Parameters: none.
SELECT pg_backend_pid() AS pid, current_setting('port')::integer AS port
