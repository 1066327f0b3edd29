-- Rolls the bugs up into monthly_metrics for every (project, month) that bugs touch:
-- opened (by created_at month, also by severity), SLA breaches among the bugs opened
-- that month (as of $1), resolved (by resolved_at month), their exact total resolution time
-- in seconds, its mean and total in hours, and resolution_rate = resolved / opened (NULL
-- when nothing was opened), each rounded from its exact value (ctodb_round_ratio). Engineering
-- hours and cost are kept from existing rows. Months are UTC calendar months.
-- Only rows whose values change are written. Used by `ctodb seed` and `ctodb refresh`.
-- Parameters: $1 as-of instant (timestamptz), $2 the time of writing (created_at of new
-- rows, updated_at of changed ones: now for refresh, the generated world's now for seed).
-- Indexes: bugs_created_at_idx and bugs_resolved_at_idx are not needed (whole table).
WITH opened AS (
    SELECT project_id,
           date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS bugs_opened,
           count(*) FILTER (WHERE severity = 'critical') AS critical_bugs,
           count(*) FILTER (WHERE severity = 'high') AS high_bugs,
           count(*) FILTER (WHERE severity = 'medium') AS medium_bugs,
           count(*) FILTER (WHERE severity = 'low') AS low_bugs,
           count(*) FILTER (WHERE (status IN ('pending', 'in_progress') AND $1::timestamptz > due_at)
                               OR resolved_at > due_at) AS sla_breaches
    FROM bugs
    GROUP BY 1, 2
), resolved AS (
    SELECT project_id,
           date_trunc('month', resolved_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS bugs_resolved,
           sum(extract(epoch FROM resolved_at - created_at)) AS total_seconds
    FROM bugs
    WHERE resolved_at IS NOT NULL
    GROUP BY 1, 2
), rolled AS (
    SELECT project_id, month,
           coalesce(o.bugs_opened, 0)::int AS bugs_opened,
           coalesce(r.bugs_resolved, 0)::int AS bugs_resolved,
           coalesce(o.critical_bugs, 0)::int AS critical_bugs,
           coalesce(o.high_bugs, 0)::int AS high_bugs,
           coalesce(o.medium_bugs, 0)::int AS medium_bugs,
           coalesce(o.low_bugs, 0)::int AS low_bugs,
           coalesce(o.sla_breaches, 0)::int AS sla_breaches,
           ctodb_round_ratio(r.total_seconds, r.bugs_resolved * 3600, 2) AS avg_resolution_hours,
           coalesce(ctodb_round_ratio(r.total_seconds, 3600, 4), 0) AS resolution_hours,
           coalesce(r.total_seconds, 0) AS resolution_seconds,
           ctodb_round_ratio(coalesce(r.bugs_resolved, 0), o.bugs_opened, 4) AS resolution_rate
    FROM opened o
    FULL JOIN resolved r USING (project_id, month)
)
INSERT INTO monthly_metrics AS m (id, project_id, month, bugs_opened, bugs_resolved, critical_bugs,
                                  high_bugs, medium_bugs, low_bugs, sla_breaches,
                                  avg_resolution_hours, resolution_hours, resolution_seconds, resolution_rate,
                                  created_at, updated_at)
-- the id of a new row is derived from its key, so that the same bugs give the same rows
SELECT md5(project_id::text || month::text)::uuid, project_id, month, bugs_opened, bugs_resolved,
       critical_bugs, high_bugs, medium_bugs, low_bugs, sla_breaches, avg_resolution_hours,
       resolution_hours, resolution_seconds, resolution_rate, $2, $2
FROM rolled
ON CONFLICT (project_id, month) DO UPDATE
SET bugs_opened = EXCLUDED.bugs_opened,
    bugs_resolved = EXCLUDED.bugs_resolved,
    critical_bugs = EXCLUDED.critical_bugs,
    high_bugs = EXCLUDED.high_bugs,
    medium_bugs = EXCLUDED.medium_bugs,
    low_bugs = EXCLUDED.low_bugs,
    sla_breaches = EXCLUDED.sla_breaches,
    avg_resolution_hours = EXCLUDED.avg_resolution_hours,
    resolution_hours = EXCLUDED.resolution_hours,
    resolution_seconds = EXCLUDED.resolution_seconds,
    resolution_rate = EXCLUDED.resolution_rate,
    updated_at = EXCLUDED.updated_at
WHERE (m.bugs_opened, m.bugs_resolved, m.critical_bugs, m.high_bugs, m.medium_bugs, m.low_bugs,
       m.sla_breaches, m.avg_resolution_hours, m.resolution_hours, m.resolution_seconds, m.resolution_rate)
      IS DISTINCT FROM
      (EXCLUDED.bugs_opened, EXCLUDED.bugs_resolved, EXCLUDED.critical_bugs, EXCLUDED.high_bugs,
       EXCLUDED.medium_bugs, EXCLUDED.low_bugs, EXCLUDED.sla_breaches,
       EXCLUDED.avg_resolution_hours, EXCLUDED.resolution_hours, EXCLUDED.resolution_seconds,
       EXCLUDED.resolution_rate)
