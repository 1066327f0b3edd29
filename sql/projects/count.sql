-- Answers: how many projects have one of these statuses (the footer of ctodb projects).
-- Parameters: $1 statuses (text[] of project_status labels). Index: projects_status_idx.
SELECT count(*) AS total FROM projects WHERE status = ANY (ctodb_project_statuses($1))
