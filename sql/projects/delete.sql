-- Deletes one project, its bugs (and their history, as the schema cascades), its daily
-- and monthly metrics (ctodb project delete), when `$2` allows bugs to go with it or it
-- has none; says how many of each went. The caller has locked the project's row
-- (projects/lock_for_delete.sql), so no bug is added between the count and the delete.
-- Parameters: $1 project id, $2 whether its bugs may be deleted. Index: projects_pkey,
-- bugs_project_status_idx.
WITH counted AS (
    SELECT (SELECT count(*) FROM bugs b WHERE b.project_id = $1) AS bugs,
           (SELECT count(*) FROM project_metrics m WHERE m.project_id = $1) AS daily_rows,
           (SELECT count(*) FROM monthly_metrics m WHERE m.project_id = $1) AS monthly_rows
), deleted AS (
    DELETE FROM projects p
    USING counted c
    WHERE p.id = $1 AND (c.bugs = 0 OR $2::boolean)
    RETURNING p.id
)
SELECT c.bugs, c.daily_rows, c.monthly_rows, (SELECT count(*) FROM deleted) AS projects
FROM counted c
