-- Answers: how many projects have one of these statuses (the footer of ctodb projects).
-- Parameters: $1 statuses (project_status[]). Index: projects_status_idx.
SELECT count(*) FROM projects WHERE status = ANY ($1::project_status[])
