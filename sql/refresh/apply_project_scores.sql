-- Writes the valuations and scores staged in refresh_project_scores (filled by COPY) in
-- one statement, only where something changed.
-- Parameters: none.
UPDATE projects p
SET revenue_projection_12m = s.revenue_projection_12m,
    dcf_valuation = s.dcf_valuation,
    roi_score = s.roi_score,
    health_score = s.health_score
FROM refresh_project_scores s
WHERE p.id = s.id
  AND (p.revenue_projection_12m, p.dcf_valuation, p.roi_score, p.health_score)
      IS DISTINCT FROM (s.revenue_projection_12m, s.dcf_valuation, s.roi_score, s.health_score)
