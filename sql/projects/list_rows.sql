-- Answers: the page's projects with their valuation, scores and open bug counts (ctodb
-- projects). The bug counts are taken for the page's rows only, so the cost does not
-- grow with the portfolio.
-- Index: bugs_project_status_idx for the counts; users_pkey for the owners.
SELECT page.name, page.status::text AS status, page.arr, page.revenue_projection_12m,
       page.dcf_valuation, page.roi_score, page.health_score, page.monthly_infra_cost,
       counts.open_bugs, counts.critical_open, counts.breached, owner.email AS owner
FROM page
LEFT JOIN users owner ON owner.id = page.owner_id
CROSS JOIN LATERAL (
    SELECT count(*) AS open_bugs,
           count(*) FILTER (WHERE b.severity = 'critical') AS critical_open,
           count(*) FILTER (WHERE b.due_at < page.as_of) AS breached
    FROM bugs b
    WHERE b.project_id = page.id AND b.status IN ('pending', 'in_progress')
) counts
ORDER BY page.rank
