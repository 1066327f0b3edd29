-- The staging table refresh fills with COPY and applies with one UPDATE; it lives until
-- the transaction ends. (The bug scores are passed to ctodb.apply_bug_scores as values.)
-- Parameters: none.
CREATE TEMP TABLE refresh_project_scores (
    id uuid PRIMARY KEY,
    revenue_projection_12m numeric(16,2),
    dcf_valuation numeric(18,2),
    roi_score numeric(18,4),
    health_score smallint
) ON COMMIT DROP;
