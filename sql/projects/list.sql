-- Answers: projects with their valuation, scores and open bug counts, one page, sorted
-- (ctodb projects). The page is chosen first and the bug counts are taken for its rows
-- only, so the cost does not grow with the portfolio.
-- Parameters: $1 statuses (text[] of project_status labels), $2 sort: roi | arr | valuation | health | name,
-- $3 as-of instant, $4 limit, $5 offset.
-- Index: projects_roi_score_idx / projects_arr_idx / projects_dcf_valuation_idx /
-- projects_health_score_idx / projects_status_idx for the order; bugs_project_status_idx
-- for the counts.
WITH page AS (
    SELECT p.*
    FROM projects p
    WHERE p.status = ANY (ctodb_project_statuses($1))
    ORDER BY CASE WHEN $2 = 'roi' THEN p.roi_score END DESC NULLS LAST,
             CASE WHEN $2 = 'arr' THEN p.arr END DESC,
             CASE WHEN $2 = 'valuation' THEN p.dcf_valuation END DESC NULLS LAST,
             CASE WHEN $2 = 'health' THEN p.health_score END ASC NULLS LAST,
             p.name
    LIMIT $4 OFFSET $5
)
SELECT page.name, page.status::text AS status, page.arr, page.revenue_projection_12m,
       page.dcf_valuation, page.roi_score, page.health_score, page.monthly_infra_cost,
       counts.open_bugs, counts.critical_open, counts.breached, owner.email AS owner
FROM page
LEFT JOIN users owner ON owner.id = page.owner_id
CROSS JOIN LATERAL (
    SELECT count(*) AS open_bugs,
           count(*) FILTER (WHERE b.severity = 'critical') AS critical_open,
           count(*) FILTER (WHERE b.due_at < $3) AS breached
    FROM bugs b
    WHERE b.project_id = page.id AND b.status IN ('pending', 'in_progress')
) counts
ORDER BY CASE WHEN $2 = 'roi' THEN page.roi_score END DESC NULLS LAST,
         CASE WHEN $2 = 'arr' THEN page.arr END DESC,
         CASE WHEN $2 = 'valuation' THEN page.dcf_valuation END DESC NULLS LAST,
         CASE WHEN $2 = 'health' THEN page.health_score END ASC NULLS LAST,
         page.name
