-- Moves the bug_number identity past the numbers the seed wrote itself.
-- Parameters: none.
SELECT setval(pg_get_serial_sequence('bugs', 'bug_number'), greatest((SELECT max(bug_number) FROM bugs), 1))
