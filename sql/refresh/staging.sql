-- The staging tables refresh fills with COPY and applies with one UPDATE each; they live
-- until the transaction ends.
-- Parameters: none.
CREATE TEMP TABLE refresh_bug_scores (id uuid PRIMARY KEY, priority_score numeric(5,2) NOT NULL)
    ON COMMIT DROP;
CREATE TEMP TABLE refresh_project_scores (
    id uuid PRIMARY KEY,
    revenue_projection_12m numeric(16,2),
    dcf_valuation numeric(18,2),
    roi_score numeric(18,4),
    health_score smallint
) ON COMMIT DROP;
SELECT set_config('ctodb.refresh', 'on', true);
