-- Answers: the longest SLA, in hours, of any open bug (NULL when none is open). An
-- at-risk bug is due within a quarter of it, which bounds the at-risk runs of the bug
-- pages and count (their parameter "horizon").
-- Parameters: none.
-- Index: bugs_open_sla_idx (one entry, from its end).
SELECT max(sla_hours) AS horizon
FROM bugs
WHERE status IN ('pending', 'in_progress')
