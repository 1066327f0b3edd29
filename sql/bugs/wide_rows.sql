-- Every stored column of the bugs of a page chosen by bugs/page_runs, bugs/page_all or
-- bugs/page_merge (ctodb bugs --wide; this text follows theirs): the project by name and
-- people by e-mail, what a spreadsheet needs to edit bugs and import them back.
-- Index: bugs_bug_number_key, projects_pkey, users_pkey (one lookup each a row).
SELECT b.id,
       b.bug_number AS bug,
       p.name AS project,
       b.title,
       b.description,
       b.severity::text AS severity,
       b.status::text AS status,
       b.is_blocker,
       b.revenue_impact_daily,
       b.sla_hours,
       b.due_at,
       b.priority_score,
       reporter.email AS reporter,
       assignee.email AS assignee,
       b.labels,
       b.source::text AS source,
       b.external_id,
       b.created_at,
       b.updated_at,
       b.resolved_at
FROM page
JOIN bugs b ON b.bug_number = page.bug_number
JOIN projects p ON p.id = b.project_id
LEFT JOIN users reporter ON reporter.id = b.reporter_id
LEFT JOIN users assignee ON assignee.id = b.assignee_id
ORDER BY page.rank
