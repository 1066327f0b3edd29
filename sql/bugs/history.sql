-- Answers: every recorded change of one bug, oldest first (ctodb bug show N). Assignee
-- ids are shown as the e-mail of the user they name, projects by name; `via` is the
-- command that made the change (NULL: made outside ctodb).
-- Parameters: $1 bug id. Index: bug_history_bug_changed_at_idx.
SELECT h.changed_at, h.field,
       CASE h.field WHEN 'assignee_id' THEN coalesce(old_user.email, h.old_value)
                    WHEN 'project_id' THEN coalesce(old_project.name, h.old_value)
                    ELSE h.old_value END AS old_value,
       CASE h.field WHEN 'assignee_id' THEN coalesce(new_user.email, h.new_value)
                    WHEN 'project_id' THEN coalesce(new_project.name, h.new_value)
                    ELSE h.new_value END AS new_value,
       actor.email AS changed_by,
       h.changed_via AS via
FROM bug_history h
LEFT JOIN users actor ON actor.id = h.changed_by
LEFT JOIN users old_user ON h.field = 'assignee_id' AND old_user.id::text = h.old_value
LEFT JOIN users new_user ON h.field = 'assignee_id' AND new_user.id::text = h.new_value
LEFT JOIN projects old_project ON h.field = 'project_id' AND old_project.id::text = h.old_value
LEFT JOIN projects new_project ON h.field = 'project_id' AND new_project.id::text = h.new_value
WHERE h.bug_id = $1
ORDER BY h.changed_at, h.field
