-- Writes the portfolio_metrics row of the as-of day (UTC), replacing the day's row when
-- its numbers changed.
-- Parameters: $1 as-of instant.
-- Index: portfolio_metrics_snapshot_date_key; the open-bug partial indexes for the counts.
INSERT INTO portfolio_metrics AS pm (snapshot_date, total_projects, active_projects, shipped_projects,
                                     deferred_projects, cancelled_projects, total_arr, total_valuation,
                                     total_monthly_infra_cost, open_bugs, critical_open_bugs, sla_breaches)
SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date,
       count(*),
       count(*) FILTER (WHERE status = 'active'),
       count(*) FILTER (WHERE status = 'shipped'),
       count(*) FILTER (WHERE status = 'deferred'),
       count(*) FILTER (WHERE status = 'cancelled'),
       coalesce(sum(arr), 0),
       sum(dcf_valuation),
       coalesce(sum(monthly_infra_cost), 0),
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress')),
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND severity = 'critical'),
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at < $1)
FROM projects
ON CONFLICT (snapshot_date) DO UPDATE
SET total_projects = EXCLUDED.total_projects,
    active_projects = EXCLUDED.active_projects,
    shipped_projects = EXCLUDED.shipped_projects,
    deferred_projects = EXCLUDED.deferred_projects,
    cancelled_projects = EXCLUDED.cancelled_projects,
    total_arr = EXCLUDED.total_arr,
    total_valuation = EXCLUDED.total_valuation,
    total_monthly_infra_cost = EXCLUDED.total_monthly_infra_cost,
    open_bugs = EXCLUDED.open_bugs,
    critical_open_bugs = EXCLUDED.critical_open_bugs,
    sla_breaches = EXCLUDED.sla_breaches,
    created_at = now()
WHERE (pm.total_projects, pm.active_projects, pm.shipped_projects, pm.deferred_projects,
       pm.cancelled_projects, pm.total_arr, pm.total_valuation, pm.total_monthly_infra_cost,
       pm.open_bugs, pm.critical_open_bugs, pm.sla_breaches)
      IS DISTINCT FROM
      (EXCLUDED.total_projects, EXCLUDED.active_projects, EXCLUDED.shipped_projects,
       EXCLUDED.deferred_projects, EXCLUDED.cancelled_projects, EXCLUDED.total_arr,
       EXCLUDED.total_valuation, EXCLUDED.total_monthly_infra_cost, EXCLUDED.open_bugs,
       EXCLUDED.critical_open_bugs, EXCLUDED.sla_breaches)
