-- Writes the scores staged in refresh_bug_scores (filled by COPY) in one statement,
-- only where they changed.
-- Parameters: none.
UPDATE bugs b
SET priority_score = s.priority_score
FROM refresh_bug_scores s
WHERE b.id = s.id AND b.priority_score IS DISTINCT FROM s.priority_score
