-- Answers: one project with its financials, scores and bug counts (ctodb project NAME).
-- Parameters: $1 project id, $2 as-of instant.
-- Index: projects_pkey; bugs_project_status_idx for the counts.
SELECT p.name, p.status::text AS status, p.description, p.tags, p.github_repo, p.primary_language,
       u.email AS owner, p.arr, p.revenue_growth_rate, p.operating_margin, p.discount_rate,
       p.terminal_growth_rate, p.monthly_infra_cost, p.complexity_score, p.appeal_score,
       p.revenue_projection_12m, p.dcf_valuation, p.roi_score, p.health_score,
       (SELECT count(*) FROM bugs b WHERE b.project_id = p.id AND b.status IN ('pending', 'in_progress')) AS open_bugs,
       (SELECT count(*) FROM bugs b WHERE b.project_id = p.id AND b.status IN ('pending', 'in_progress')
           AND b.due_at < $2) AS breached_bugs,
       p.last_synced_at, p.id
FROM projects p
LEFT JOIN users u ON u.id = p.owner_id
WHERE p.id = $1
