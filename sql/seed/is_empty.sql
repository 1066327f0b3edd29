-- Answers: how many users, projects and bugs are there, and the highest bug number (seed
-- refuses a non-empty database without --append, and appends after these).
-- Parameters: none.
SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM projects) AS projects,
       (SELECT count(*) FROM bugs) AS bugs,
       (SELECT coalesce(max(bug_number), 0) FROM bugs) AS max_bug_number
