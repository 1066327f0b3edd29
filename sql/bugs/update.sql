-- Writes a bug's new status, severity, assignee and blocker flag (ctodb bug update); a
-- NULL leaves the field as it is, except the assignee, which $5 says whether to set. The
-- bugs_defaults trigger keeps sla_hours, due_at and resolved_at consistent; bugs_history
-- records each change with the session's ctodb.actor.
-- Parameters: $1 bug id, $2 status, $3 severity, $4 blocker flag, $5 whether to set the
-- assignee, $6 the assignee's id (NULL to unassign).
UPDATE bugs
SET status = coalesce($2::bug_status, status),
    severity = coalesce($3::bug_severity, severity),
    is_blocker = coalesce($4::boolean, is_blocker),
    assignee_id = CASE WHEN $5::boolean THEN $6::uuid ELSE assignee_id END
WHERE id = $1
