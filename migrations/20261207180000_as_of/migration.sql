-- The database as it was at a past instant, for `--as-of`: the schema ctodb_as_of holds a
-- view named as each table (and summary) ctodb's reads use, showing its rows at the
-- instant in the session setting ctodb.as_of. A read at a past instant runs with
-- search_path = ctodb_as_of, public, ctodb (sql/admin/read_as_of.sql), so every report's
-- own SQL reads the past unchanged; at the present the path is public, ctodb and these
-- views are never read, nor at an instant whose state the tables hold already
-- (ctodb.recorded_after below).
--
-- What is recorded over time is reconstructed: rows created after the instant are absent,
-- a bug's status, severity, assignee, blocker flag, title, description, labels and project
-- are those bug_history gives at the instant, its SLA follows its severity as the
-- bugs_defaults trigger moves it, resolved_at
-- agrees with the status, and every score is computed at the instant (priority, health,
-- ROI, the monthly roll-up's bug figures), never read from what the last refresh stored.
-- What is not recorded over time (a bug's revenue impact, reporter and SLA set by hand,
-- projects' financials, status and text, users' details, engineering hours) is today's
-- value.
--
-- A bug's or project's updated_at says when it last changed, not when the nightly refresh
-- last stored a score: an update that changes only the computed scores keeps it (as such
-- an update is not history), so the updated_at of a past instant is that of the last
-- recorded change by then.
--
-- The views are security_invoker: whoever reads them needs the tables' own privileges,
-- and row policies apply as on the tables.

CREATE SCHEMA ctodb_as_of;

-- As ctodb_projects_touch (migration imports) did for a sync's last_synced_at: an update
-- moves updated_at only when a column other than those named (TG_ARGV) changed.
CREATE FUNCTION public.ctodb_touch_unless_only()
    RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ignored text[] := TG_ARGV || '{updated_at}'::text[];
BEGIN
    IF pg_catalog.current_setting('ctodb.seeding', true) IS DISTINCT FROM 'on'
       AND (pg_catalog.to_jsonb(NEW) - ignored) IS DISTINCT FROM (pg_catalog.to_jsonb(OLD) - ignored) THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER bugs_touch ON public.bugs;
CREATE TRIGGER bugs_touch BEFORE UPDATE ON public.bugs
    FOR EACH ROW EXECUTE FUNCTION public.ctodb_touch_unless_only('priority_score');
DROP TRIGGER projects_touch ON public.projects;
CREATE TRIGGER projects_touch BEFORE UPDATE ON public.projects
    FOR EACH ROW EXECUTE FUNCTION public.ctodb_touch_unless_only(
        'revenue_projection_12m', 'dcf_valuation', 'roi_score', 'health_score', 'last_synced_at');
DROP FUNCTION public.ctodb_projects_touch();

-- The past instant of this transaction (the setting is set with SET LOCAL by the read
-- that asks for the past; an unset setting is an error, never an empty past).
CREATE FUNCTION ctodb.as_of_instant() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN pg_catalog.current_setting('ctodb.as_of')::timestamptz;

-- Whether the database records anything after `t` that a read as of `t` must leave out
-- or undo, or holds scores another instant's refresh stored. When not (the last refresh
-- scored at `t` and nothing was created or recorded since: a cron's reproduction of its
-- own run, a benchmark), the tables hold exactly what the views would compute, and a read
-- as of `t` reads them and their indexes. What the views take from today (revenue impact,
-- financials) is today's either way. Each test is one index probe (bugs_created_at_idx,
-- bug_history_changed_at_idx) or a small table.
CREATE FUNCTION ctodb.recorded_after(t timestamptz) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN coalesce((SELECT (a.changes ->> 'as_of')::timestamptz FROM public.audit_log a
                     WHERE a.entity_type = 'database' AND a.action = 'refresh'
                     ORDER BY a.created_at DESC LIMIT 1) <> t, true)
        -- max(), not EXISTS: the function's plan is made once for any t, and for an
        -- EXISTS it would scan a million bugs where the index gives the newest at once
        OR coalesce((SELECT max(h.changed_at) FROM public.bug_history h) > t, false)
        OR coalesce((SELECT max(b.created_at) FROM public.bugs b) > t, false)
        OR coalesce((SELECT max(p.created_at) FROM public.projects p) > t, false)
        OR coalesce((SELECT max(u.created_at) FROM public.users u) > t, false)
        OR coalesce((SELECT max(l.started_at) FROM public.import_logs l) > t, false);

-- Bugs at the instant. The value of a field then is the old value of its first recorded
-- change after the instant; a field with no later change has today's value. The history
-- trigger records every change with the value before it, so this is the new value of the
-- last change at or before the instant, read from the changes since (few, and found by
-- bug_history_changed_at_idx) rather than from the whole history. The history keeps
-- status, severity, assignee, blocker, title, description, labels and project; a bug
-- changed since has the updated_at of its last recorded change by then. A bug that today
-- is resolved after the instant and has no recorded status change at all was open then:
-- pending, the status a bug starts in (seeded and imported bugs carry no history).
CREATE VIEW ctodb_as_of.bugs WITH (security_invoker = true) AS
-- the instant, read once for the whole query (a function call per row and use would
-- parse the setting a dozen times a bug)
WITH instant AS MATERIALIZED (
    SELECT ctodb.as_of_instant() AS at
), later AS (
    SELECT DISTINCT ON (h.bug_id, h.field) h.bug_id, h.field, h.old_value
    FROM public.bug_history h
    WHERE h.changed_at > ctodb.as_of_instant() AND h.field <> 'priority_score'
    ORDER BY h.bug_id, h.field, h.changed_at, h.id
), was AS (
    -- each changed field's value then, by name (a key holding JSON null: it was NULL)
    SELECT l.bug_id, jsonb_object_agg(l.field, l.old_value) AS old
    FROM later l
    GROUP BY l.bug_id
)
SELECT b.id, b.bug_number,
       CASE WHEN w.old ? 'project_id' THEN (w.old ->> 'project_id')::uuid ELSE b.project_id END AS project_id,
       CASE WHEN w.old ? 'title' THEN w.old ->> 'title' ELSE b.title END AS title,
       CASE WHEN w.old ? 'description' THEN w.old ->> 'description' ELSE b.description END AS description,
       s.severity, s.status, s.is_blocker, b.revenue_impact_daily, s.sla_hours,
       d.due_at,
       -- the priority score at the instant (SPEC §6), as src/analytics/priority.rs computes
       -- it for the refresh (tests compare the two): open bugs only; severity points,
       -- revenue_impact_daily / 1000 (at most 30), 20 for a blocker, whole days open (at
       -- most 10), 10 breached or 5 at risk; at most 100, rounded half away from zero
       (CASE WHEN s.status NOT IN ('pending', 'in_progress') THEN 0 ELSE
           round(LEAST(100,
               CASE s.severity WHEN 'critical' THEN 40 WHEN 'high' THEN 30 WHEN 'medium' THEN 15 ELSE 5 END
               + LEAST(30, b.revenue_impact_daily / 1000)
               + CASE WHEN s.is_blocker THEN 20 ELSE 0 END
               + LEAST(10, GREATEST(0, div(EXTRACT(epoch FROM i.at - b.created_at), 86400)))
               + CASE WHEN i.at > d.due_at THEN 10
                      WHEN i.at - b.created_at >= 0.75 * s.sla_hours * interval '1 hour' THEN 5
                      ELSE 0 END), 2)
        END)::numeric(5,2) AS priority_score,
       b.reporter_id, s.assignee_id,
       CASE WHEN w.old ? 'labels' THEN (w.old ->> 'labels')::text[] ELSE b.labels END AS labels,
       b.source, b.external_id, b.created_at,
       CASE WHEN b.updated_at <= i.at THEN b.updated_at
            ELSE coalesce((SELECT max(h.changed_at) FROM public.bug_history h
                           WHERE h.bug_id = b.id AND h.changed_at <= i.at
                             AND h.field <> 'priority_score'), b.created_at)
       END AS updated_at,
       CASE
           WHEN s.status NOT IN ('verified', 'shipped', 'closed') THEN NULL
           WHEN b.resolved_at <= i.at THEN b.resolved_at
           -- resolved then, and resolved again (or reopened) since: when it moved to its
           -- status then
           ELSE coalesce((SELECT max(h.changed_at) FROM public.bug_history h
                          WHERE h.bug_id = b.id AND h.field = 'status' AND h.changed_at <= i.at),
                         b.created_at)
       END AS resolved_at
FROM public.bugs b
CROSS JOIN instant i
LEFT JOIN was w ON w.bug_id = b.id
CROSS JOIN LATERAL (
    SELECT t.status, t.severity, t.assignee_id, t.is_blocker,
           CASE WHEN t.severity <> b.severity AND b.sla_hours = public.ctodb_default_sla_hours(b.severity)
                THEN public.ctodb_default_sla_hours(t.severity) ELSE b.sla_hours END AS sla_hours
    FROM (SELECT CASE WHEN w.old ? 'status' THEN (w.old ->> 'status')::public.bug_status
                      WHEN b.resolved_at > i.at
                           AND NOT EXISTS (SELECT 1 FROM public.bug_history h
                                           WHERE h.bug_id = b.id AND h.field = 'status')
                           THEN 'pending'::public.bug_status
                      ELSE b.status END AS status,
                 CASE WHEN w.old ? 'severity' THEN (w.old ->> 'severity')::public.bug_severity ELSE b.severity END AS severity,
                 CASE WHEN w.old ? 'assignee_id' THEN (w.old ->> 'assignee_id')::uuid ELSE b.assignee_id END AS assignee_id,
                 CASE WHEN w.old ? 'is_blocker' THEN (w.old ->> 'is_blocker')::boolean ELSE b.is_blocker END AS is_blocker) t
) s
CROSS JOIN LATERAL (SELECT b.created_at + make_interval(hours => s.sla_hours) AS due_at) d
WHERE b.created_at <= i.at;

-- The summaries the bugs' triggers keep, counted from the bugs at the instant.
CREATE VIEW ctodb_as_of.bug_counts WITH (security_invoker = true) AS
SELECT s.severity, t.status,
       count(b.id) AS bugs,
       count(b.id) FILTER (WHERE b.resolved_at > b.due_at) AS resolved_late
FROM unnest(enum_range(NULL::public.bug_severity)) AS s (severity)
CROSS JOIN unnest(enum_range(NULL::public.bug_status)) AS t (status)
LEFT JOIN ctodb_as_of.bugs b ON b.severity = s.severity AND b.status = t.status
GROUP BY s.severity, t.status;

CREATE VIEW ctodb_as_of.bug_resolutions WITH (security_invoker = true) AS
SELECT (b.resolved_at AT TIME ZONE 'UTC')::date AS day, b.severity,
       count(*) AS resolved,
       sum(EXTRACT(epoch FROM b.resolved_at - b.created_at)) AS resolution_seconds,
       count(*) FILTER (WHERE b.resolved_at <= b.due_at) AS within_sla
FROM ctodb_as_of.bugs b
WHERE b.resolved_at IS NOT NULL
GROUP BY 1, 2;

CREATE VIEW ctodb_as_of.assignee_resolutions WITH (security_invoker = true) AS
SELECT (b.resolved_at AT TIME ZONE 'UTC')::date AS day, b.assignee_id,
       count(*) AS resolved,
       sum(EXTRACT(epoch FROM b.resolved_at - b.created_at)) AS resolution_seconds,
       count(*) FILTER (WHERE b.resolved_at <= b.due_at) AS within_sla
FROM ctodb_as_of.bugs b
WHERE b.resolved_at IS NOT NULL AND b.assignee_id IS NOT NULL
GROUP BY 1, 2;

-- The monthly roll-up at the instant: the bug figures rolled up from the bugs then, as
-- sql/refresh/monthly_rollup.sql rolls them (months up to the instant's); engineering
-- hours and cost as stored (they are booked, not recorded over time).
CREATE VIEW ctodb_as_of.monthly_metrics WITH (security_invoker = true) AS
WITH opened AS (
    SELECT b.project_id,
           date_trunc('month', b.created_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS bugs_opened,
           count(*) FILTER (WHERE b.severity = 'critical') AS critical_bugs,
           count(*) FILTER (WHERE b.severity = 'high') AS high_bugs,
           count(*) FILTER (WHERE b.severity = 'medium') AS medium_bugs,
           count(*) FILTER (WHERE b.severity = 'low') AS low_bugs,
           count(*) FILTER (WHERE (b.status IN ('pending', 'in_progress') AND ctodb.as_of_instant() > b.due_at)
                               OR b.resolved_at > b.due_at) AS sla_breaches
    FROM ctodb_as_of.bugs b
    GROUP BY 1, 2
), resolved AS (
    SELECT b.project_id,
           date_trunc('month', b.resolved_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS bugs_resolved,
           sum(EXTRACT(epoch FROM b.resolved_at - b.created_at)) AS total_seconds
    FROM ctodb_as_of.bugs b
    WHERE b.resolved_at IS NOT NULL
    GROUP BY 1, 2
), rolled AS (
    SELECT project_id, month, o.bugs_opened, r.bugs_resolved, o.critical_bugs, o.high_bugs,
           o.medium_bugs, o.low_bugs, o.sla_breaches, r.total_seconds
    FROM opened o
    FULL JOIN resolved r USING (project_id, month)
), kept AS (
    SELECT m.* FROM public.monthly_metrics m
    WHERE m.month <= date_trunc('month', ctodb.as_of_instant() AT TIME ZONE 'UTC')::date
      -- a row a later refresh added for bugs of later instants holds nothing then
      AND (m.created_at <= ctodb.as_of_instant() OR m.engineering_hours <> 0 OR m.engineering_cost <> 0)
)
SELECT coalesce(k.id, md5(project_id::text || month::text)::uuid) AS id, project_id, month,
       coalesce(r.bugs_opened, 0)::integer AS bugs_opened,
       coalesce(r.bugs_resolved, 0)::integer AS bugs_resolved,
       coalesce(r.critical_bugs, 0)::integer AS critical_bugs,
       coalesce(r.high_bugs, 0)::integer AS high_bugs,
       coalesce(r.medium_bugs, 0)::integer AS medium_bugs,
       coalesce(r.low_bugs, 0)::integer AS low_bugs,
       coalesce(r.sla_breaches, 0)::integer AS sla_breaches,
       public.ctodb_round_ratio(r.total_seconds, r.bugs_resolved * 3600, 2)::numeric(12,2) AS avg_resolution_hours,
       coalesce(public.ctodb_round_ratio(r.total_seconds, 3600, 4), 0)::numeric(16,4) AS resolution_hours,
       public.ctodb_round_ratio(coalesce(r.bugs_resolved, 0), r.bugs_opened, 4)::numeric(8,4) AS resolution_rate,
       coalesce(k.engineering_hours, 0)::numeric(10,2) AS engineering_hours,
       coalesce(k.engineering_cost, 0)::numeric(14,2) AS engineering_cost,
       coalesce(k.created_at, ctodb.as_of_instant()) AS created_at,
       coalesce(k.updated_at, ctodb.as_of_instant()) AS updated_at,
       coalesce(r.total_seconds, 0)::numeric(20,6) AS resolution_seconds
FROM rolled r
FULL JOIN kept k USING (project_id, month);

-- Projects at the instant: those created by then, health and ROI computed then (the
-- inputs sql/refresh/project_inputs.sql reads, from the bugs and roll-up then); revenue
-- projection and DCF valuation depend on the financials alone, today's.
CREATE VIEW ctodb_as_of.projects WITH (security_invoker = true) AS
WITH open_bugs AS (
    SELECT b.project_id,
           count(*) AS open_bugs,
           count(*) FILTER (WHERE b.severity = 'critical') AS open_critical,
           count(*) FILTER (WHERE b.due_at < ctodb.as_of_instant()) AS open_breached
    FROM ctodb_as_of.bugs b
    WHERE b.status IN ('pending', 'in_progress')
    GROUP BY b.project_id
), engineering AS (
    SELECT m.project_id, sum(m.engineering_cost) AS cost
    FROM public.monthly_metrics m
    WHERE m.month >= (date_trunc('month', ctodb.as_of_instant() AT TIME ZONE 'UTC') - interval '12 months')::date
      AND m.month < date_trunc('month', ctodb.as_of_instant() AT TIME ZONE 'UTC')::date
    GROUP BY m.project_id
), active AS (
    SELECT DISTINCT m.project_id
    FROM public.project_metrics m
    WHERE m.metric_date > (ctodb.as_of_instant() AT TIME ZONE 'UTC')::date - 14
      AND m.metric_date <= (ctodb.as_of_instant() AT TIME ZONE 'UTC')::date
      AND m.commits > 0
)
SELECT p.id, p.name, p.description, p.status, p.tags, p.github_repo, p.primary_language,
       p.github_stars, p.owner_id, p.arr, p.revenue_growth_rate, p.operating_margin,
       p.discount_rate, p.terminal_growth_rate, p.monthly_infra_cost, p.complexity_score,
       p.appeal_score, p.revenue_projection_12m, p.dcf_valuation,
       (CASE WHEN p.dcf_valuation IS NOT NULL THEN
           public.ctodb_round_ratio(p.dcf_valuation * p.appeal_score,
                                    GREATEST(12 * p.monthly_infra_cost + coalesce(e.cost, 0), 1) * p.complexity_score, 4)
        END)::numeric(18,4) AS roi_score,
       (GREATEST(0, LEAST(100,
           100 - LEAST(45, 15 * coalesce(o.open_critical, 0))
               - LEAST(25, 5 * coalesce(o.open_breached, 0))
               - CASE WHEN a.project_id IS NULL THEN 20 ELSE 0 END
               - CASE WHEN coalesce(o.open_bugs, 0) > 20 THEN 10 ELSE 0 END)))::smallint AS health_score,
       p.created_at, p.updated_at, p.last_synced_at
FROM public.projects p
LEFT JOIN open_bugs o ON o.project_id = p.id
LEFT JOIN engineering e ON e.project_id = p.id
LEFT JOIN active a ON a.project_id = p.id
-- a project imported after the instant with bugs created before it (a GitHub repository's
-- history) held those bugs then
WHERE p.created_at <= ctodb.as_of_instant()
   OR EXISTS (SELECT 1 FROM public.bugs b WHERE b.project_id = p.id AND b.created_at <= ctodb.as_of_instant());

-- Users by then: created by then, or named on a bug that was (an import adds the people
-- of older bugs).
CREATE VIEW ctodb_as_of.users WITH (security_invoker = true) AS
SELECT * FROM public.users u
WHERE u.created_at <= ctodb.as_of_instant()
   OR EXISTS (SELECT 1 FROM public.bugs b
              WHERE (b.reporter_id = u.id OR b.assignee_id = u.id) AND b.created_at <= ctodb.as_of_instant());

-- The other tables: their rows up to the instant.
CREATE VIEW ctodb_as_of.project_metrics WITH (security_invoker = true) AS
SELECT * FROM public.project_metrics
WHERE metric_date <= (ctodb.as_of_instant() AT TIME ZONE 'UTC')::date;

CREATE VIEW ctodb_as_of.portfolio_metrics WITH (security_invoker = true) AS
SELECT * FROM public.portfolio_metrics
WHERE snapshot_date <= (ctodb.as_of_instant() AT TIME ZONE 'UTC')::date;

CREATE VIEW ctodb_as_of.bug_history WITH (security_invoker = true) AS
SELECT * FROM public.bug_history WHERE changed_at <= ctodb.as_of_instant();

CREATE VIEW ctodb_as_of.import_logs WITH (security_invoker = true) AS
SELECT * FROM public.import_logs WHERE started_at <= ctodb.as_of_instant();

CREATE VIEW ctodb_as_of.audit_log WITH (security_invoker = true) AS
SELECT * FROM public.audit_log WHERE created_at <= ctodb.as_of_instant();
