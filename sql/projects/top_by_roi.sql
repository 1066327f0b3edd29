-- Answers: the projects with the best ROI score (report portfolio).
-- Parameters: $1 how many (bigint). Index: projects_roi_score_idx.
SELECT name, status::text AS status, arr, dcf_valuation, roi_score, health_score
FROM projects
WHERE roi_score IS NOT NULL
ORDER BY roi_score DESC NULLS LAST, name
LIMIT $1
