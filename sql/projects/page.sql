-- Chooses one page of projects, sorted (ctodb projects); a rows file follows this text
-- (projects/list_rows or projects/wide_rows) and reads the page's projects in `rank` order.
-- Parameters: $1 statuses (text[] of project_status labels), $2 sort: roi | arr | valuation | health | name,
-- $3 as-of instant (carried by the page as `as_of`), $4 limit, $5 offset.
-- Index: projects_roi_score_idx / projects_arr_idx / projects_dcf_valuation_idx /
-- projects_health_score_idx / projects_status_idx for the order.
WITH chosen AS (
    SELECT p.*
    FROM projects p
    WHERE p.status = ANY (ctodb_project_statuses($1))
    ORDER BY CASE WHEN $2 = 'roi' THEN p.roi_score END DESC NULLS LAST,
             CASE WHEN $2 = 'arr' THEN p.arr END DESC,
             CASE WHEN $2 = 'valuation' THEN p.dcf_valuation END DESC NULLS LAST,
             CASE WHEN $2 = 'health' THEN p.health_score END ASC NULLS LAST,
             p.name
    LIMIT $4 OFFSET $5
),
page AS (
    SELECT chosen.*, $3::timestamptz AS as_of,
           row_number() OVER (
               ORDER BY CASE WHEN $2 = 'roi' THEN chosen.roi_score END DESC NULLS LAST,
                        CASE WHEN $2 = 'arr' THEN chosen.arr END DESC,
                        CASE WHEN $2 = 'valuation' THEN chosen.dcf_valuation END DESC NULLS LAST,
                        CASE WHEN $2 = 'health' THEN chosen.health_score END ASC NULLS LAST,
                        chosen.name
           ) AS rank
    FROM chosen
)
