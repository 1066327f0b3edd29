-- Sets the priority score of every bug that is not open to 0 (only open bugs score),
-- touching only the rows that still carry a score.
-- Parameters: none.
UPDATE bugs SET priority_score = 0
WHERE status NOT IN ('pending', 'in_progress') AND priority_score <> 0
