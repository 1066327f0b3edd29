-- The demo data set (SPEC §7): 6 users, 5 projects, 12 bugs covering every severity and
-- status, 30 days of daily metrics, 3 months of monthly metrics, 2 import logs, 4 history
-- rows. Every timestamp is relative to the session setting ctodb.as_of (set with a bound
-- parameter by `ctodb seed`), so the demo always looks current. Run as one batch.
--
-- SLA state at ctodb.as_of (T): breached and open: #1 (critical, T-6h), #4 (high, T-30h),
-- #11 (medium, T-4d); at risk: #2 (critical, T-3h30m), #5 (medium, T-60h); resolved
-- late: #6, #10; deferred: #9.

CREATE TEMP TABLE demo_clock ON COMMIT DROP AS
SELECT current_setting('ctodb.as_of')::timestamptz AS t;

INSERT INTO users (id, email, name, role, weekly_capacity_hours, github_login, created_at, updated_at)
SELECT u.id::uuid, u.email, u.name, u.role::user_role, u.capacity, u.login,
       t - u.age, t - u.age
FROM demo_clock, (VALUES
    ('00000000-0000-4000-8000-000000000001', 'grace@ctodb.dev', 'Grace Hopper', 'cto', 45, 'ghopper', interval '900 days'),
    ('00000000-0000-4000-8000-000000000002', 'margaret@ctodb.dev', 'Margaret Hamilton', 'manager', 40, 'mhamilton', interval '700 days'),
    ('00000000-0000-4000-8000-000000000003', 'linus@ctodb.dev', 'Linus Torvalds', 'engineer', 40, 'torvalds', interval '500 days'),
    ('00000000-0000-4000-8000-000000000004', 'ada@ctodb.dev', 'Ada Lovelace', 'engineer', 32, 'ada-l', interval '300 days'),
    ('00000000-0000-4000-8000-000000000005', 'barbara@ctodb.dev', 'Barbara Liskov', 'senior_engineer', 40, 'bliskov', interval '600 days'),
    ('00000000-0000-4000-8000-000000000006', 'katherine@ctodb.dev', 'Katherine Johnson', 'qa_engineer', 36, NULL, interval '400 days')
) AS u (id, email, name, role, capacity, login, age);

INSERT INTO projects (id, name, description, status, tags, github_repo, primary_language,
                      github_stars, owner_id, arr, revenue_growth_rate, operating_margin,
                      discount_rate, terminal_growth_rate, monthly_infra_cost,
                      complexity_score, appeal_score, created_at, updated_at, last_synced_at)
SELECT p.id::uuid, p.name, p.description, p.status::project_status, p.tags, p.repo, p.language,
       p.stars, p.owner::uuid, p.arr, p.growth, p.margin, p.discount, p.terminal, p.infra,
       p.complexity, p.appeal, t - interval '800 days', t - interval '800 days', t - p.synced
FROM demo_clock, (VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'Atlas Payments',
     'Card payments, refunds and payouts for every storefront; the revenue backbone.',
     'active', ARRAY['payments', 'api', 'core'], 'ctodb-demo/atlas-payments', 'Rust', 1840,
     '00000000-0000-4000-8000-000000000002', 1200000.00, 0.25, 0.30, 0.12, 0.03, 8000.00, 4, 9.0, interval '2 hours'),
    ('00000000-0000-4000-8000-0000000000a2', 'Beacon Analytics',
     'Self-serve dashboards and revenue analytics for customer success teams.',
     'active', ARRAY['analytics', 'dashboard'], 'ctodb-demo/beacon-analytics', 'Python', 420,
     '00000000-0000-4000-8000-000000000005', 450000.00, 0.40, 0.15, 0.14, 0.03, 3500.00, 3, 7.0, interval '1 day'),
    ('00000000-0000-4000-8000-0000000000a3', 'Comet Mobile',
     'The iOS and Android apps: login, notifications and offline notes.',
     'active', ARRAY['mobile', 'ios', 'android'], 'ctodb-demo/comet-mobile', 'Kotlin', 310,
     '00000000-0000-4000-8000-000000000002', 300000.00, 0.10, 0.05, 0.12, 0.03, 6000.00, 5, 6.0, interval '45 days'),
    ('00000000-0000-4000-8000-0000000000a4', 'Drift Legacy CRM',
     'The old customer relationship manager, shipped and kept alive for enterprise accounts.',
     'shipped', ARRAY['crm', 'legacy'], 'ctodb-demo/drift-crm', 'Java', 95,
     '00000000-0000-4000-8000-000000000001', 800000.00, 0.02, 0.35, 0.10, 0.02, 2000.00, 2, 3.0, interval '10 days'),
    ('00000000-0000-4000-8000-0000000000a5', 'Echo Voice Lab',
     'Research prototype for voice commands; paused until the wake word model improves.',
     'deferred', ARRAY['ml', 'research', 'voice'], NULL, 'Python', 0,
     '00000000-0000-4000-8000-000000000005', 0.00, 0.10, 0.20, 0.03, 0.03, 500.00, 4, 8.0, NULL)
) AS p (id, name, description, status, tags, repo, language, stars, owner, arr, growth, margin,
        discount, terminal, infra, complexity, appeal, synced);

INSERT INTO bugs (id, bug_number, project_id, title, description, severity, status, is_blocker,
                  revenue_impact_daily, reporter_id, assignee_id, labels, source, external_id,
                  created_at, updated_at, resolved_at)
SELECT b.id::uuid, b.number, b.project::uuid, b.title, b.description, b.severity::bug_severity,
       b.status::bug_status, b.blocker, b.revenue, b.reporter::uuid, b.assignee::uuid, b.labels,
       b.source::import_source, b.external_id, t - b.age, t - b.age + coalesce(b.resolved_after, interval '0'),
       t - b.age + b.resolved_after
FROM demo_clock, (VALUES
    ('00000000-0000-4000-8000-000000000b01', 1, '00000000-0000-4000-8000-0000000000a1',
     'Checkout double-charges the card on retry',
     'When the payment provider times out, the retry charges the card a second time. Support refunds by hand.',
     'critical', 'pending', true, 5000.00, '00000000-0000-4000-8000-000000000006', NULL,
     ARRAY['payments', 'regression'], 'manual', NULL, interval '6 hours', NULL::interval),
    ('00000000-0000-4000-8000-000000000b02', 2, '00000000-0000-4000-8000-0000000000a1',
     'Payment webhook times out under load',
     'The webhook handler holds a database lock while calling the ledger; at peak it exceeds the 30 second timeout.',
     'critical', 'in_progress', false, 2500.00, '00000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-000000000003',
     ARRAY['payments'], 'github', 'ctodb-demo/atlas-payments#412', interval '3 hours 30 minutes', NULL),
    ('00000000-0000-4000-8000-000000000b03', 3, '00000000-0000-4000-8000-0000000000a1',
     'Refund API returns 500 for partial refunds',
     'Partial refunds with a currency other than the order currency fail with an internal server error.',
     'high', 'verified', false, 800.00, '00000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-000000000004',
     ARRAY['payments', 'api'], 'manual', NULL, interval '5 days', interval '20 hours'),
    ('00000000-0000-4000-8000-000000000b04', 4, '00000000-0000-4000-8000-0000000000a2',
     'Dashboard shows stale revenue numbers',
     'The revenue tile is cached for a day instead of an hour after the cache refactor.',
     'high', 'pending', false, 0.00, '00000000-0000-4000-8000-000000000002', NULL,
     ARRAY['reporting'], 'csv', 'csv-0042', interval '30 hours', NULL),
    ('00000000-0000-4000-8000-000000000b05', 5, '00000000-0000-4000-8000-0000000000a2',
     'CSV export drops rows with unicode names',
     'Customers named with accents disappear from the export; the encoder skips rows it cannot encode.',
     'medium', 'in_progress', false, 150.00, '00000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-000000000005',
     ARRAY['reporting'], 'manual', NULL, interval '60 hours', NULL),
    ('00000000-0000-4000-8000-000000000b06', 6, '00000000-0000-4000-8000-0000000000a2',
     'Search ranking ignores recent events',
     'Events from the last hour never rank first because the index refresh runs nightly.',
     'medium', 'shipped', false, 0.00, '00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000003',
     ARRAY['search'], 'manual', NULL, interval '20 days', interval '100 hours'),
    ('00000000-0000-4000-8000-000000000b07', 7, '00000000-0000-4000-8000-0000000000a3',
     'Dark mode icons are misaligned on Android',
     'Toolbar icons shift two pixels down in dark mode on Android 14.',
     'low', 'pending', false, 0.00, '00000000-0000-4000-8000-000000000006', NULL,
     ARRAY['mobile'], 'manual', NULL, interval '10 days', NULL),
    ('00000000-0000-4000-8000-000000000b08', 8, '00000000-0000-4000-8000-0000000000a3',
     'Login loop after password reset on iOS',
     'After a password reset, users are sent back to the login page in an endless loop: Safari drops the session cookie.',
     'critical', 'closed', false, 12000.00, '00000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-000000000004',
     ARRAY['auth', 'mobile'], 'github', 'ctodb-demo/comet-mobile#88', interval '12 days', interval '3 hours'),
    ('00000000-0000-4000-8000-000000000b09', 9, '00000000-0000-4000-8000-0000000000a3',
     'Offline sync duplicates notes',
     'Notes edited offline on two devices come back as two copies after sync.',
     'high', 'deferred', false, 0.00, '00000000-0000-4000-8000-000000000003', NULL,
     ARRAY['mobile', 'sync'], 'manual', NULL, interval '40 days', NULL),
    ('00000000-0000-4000-8000-000000000b10', 10, '00000000-0000-4000-8000-0000000000a4',
     'Legacy report builder leaks memory',
     'The nightly report job grows to 6 GB and is killed; a reference to every rendered page is kept.',
     'low', 'closed', false, 0.00, '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000005',
     ARRAY['reporting'], 'manual', NULL, interval '50 days', interval '800 hours'),
    ('00000000-0000-4000-8000-000000000b11', 11, '00000000-0000-4000-8000-0000000000a4',
     'Null pointer in invoice renderer blocks month-end close',
     'Invoices without a billing contact throw a null pointer exception, and finance cannot close the month.',
     'medium', 'pending', true, 45000.00, '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003',
     ARRAY['billing', 'customer-reported'], 'manual', NULL, interval '4 days', NULL),
    ('00000000-0000-4000-8000-000000000b12', 12, '00000000-0000-4000-8000-0000000000a5',
     'Wake word misfires in noisy rooms',
     'The assistant wakes on background speech about once a minute in open offices.',
     'low', 'in_progress', false, 0.00, '00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000005',
     ARRAY['ml'], 'manual', NULL, interval '2 days', NULL)
) AS b (id, number, project, title, description, severity, status, blocker, revenue, reporter,
        assignee, labels, source, external_id, age, resolved_after);

SELECT setval(pg_get_serial_sequence('bugs', 'bug_number'), 12);

-- 30 days of daily metrics per project, ending on T's date. Echo Voice Lab is paused:
-- no commits in the last 14 days.
INSERT INTO project_metrics (id, project_id, metric_date, commits, lines_added, lines_deleted,
                             loc_total, contributors, open_pull_requests, tech_stack, created_at)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(p.n * 100 + d), 12, '0'))::uuid,
       p.id::uuid, (t::date - d),
       commits, commits * 40, commits * 15, p.loc + (30 - d) * commits * 25,
       least(p.team, commits), p.prs, p.stack, (t::date - d) + time '23:59'
FROM demo_clock,
     (VALUES (1, '00000000-0000-4000-8000-0000000000a1', 12, 6, 182000, ARRAY['Rust', 'PostgreSQL', 'Kafka'], 5),
             (2, '00000000-0000-4000-8000-0000000000a2', 8, 4, 96000, ARRAY['Python', 'PostgreSQL', 'React'], 3),
             (3, '00000000-0000-4000-8000-0000000000a3', 6, 5, 143000, ARRAY['Kotlin', 'Swift', 'GraphQL'], 4),
             (4, '00000000-0000-4000-8000-0000000000a4', 1, 2, 410000, ARRAY['Java', 'Oracle'], 1),
             (5, '00000000-0000-4000-8000-0000000000a5', 3, 2, 21000, ARRAY['Python', 'PyTorch'], 0))
         AS p (n, id, base, team, loc, stack, prs),
     generate_series(0, 29) AS d,
     LATERAL (SELECT CASE
                  WHEN p.n = 5 AND d < 14 THEN 0
                  WHEN extract(isodow FROM t::date - d) >= 6 THEN p.base / 4
                  ELSE p.base + d % 3
              END AS commits) AS c;

-- Engineering hours and cost for the current month and the two before it; the bug counts
-- of these rows are rolled up from the bugs by the refresh roll-up that seed runs next.
INSERT INTO monthly_metrics (id, project_id, month, engineering_hours, engineering_cost,
                             created_at, updated_at)
SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(p.n * 10 + m), 12, '0'))::uuid,
       p.id::uuid, (date_trunc('month', t AT TIME ZONE 'UTC') - make_interval(months => m))::date,
       p.hours, p.hours * p.rate, t, t
FROM demo_clock,
     (VALUES (1, '00000000-0000-4000-8000-0000000000a1', 320, 120),
             (2, '00000000-0000-4000-8000-0000000000a2', 160, 110),
             (3, '00000000-0000-4000-8000-0000000000a3', 240, 100),
             (4, '00000000-0000-4000-8000-0000000000a4', 40, 90),
             (5, '00000000-0000-4000-8000-0000000000a5', 80, 130))
         AS p (n, id, hours, rate),
     generate_series(0, 2) AS m;

INSERT INTO import_logs (id, source, target, status, rows_total, rows_imported, rows_failed,
                         errors, started_at, finished_at, imported_by)
SELECT '00000000-0000-4000-8000-0000000000c1'::uuid, 'csv'::import_source, 'bugs-2026-q3.csv', 'partial', 120, 117, 3,
       '[{"line": 14, "column": "severity", "message": "unknown severity \"urgent\""},
         {"line": 57, "column": "revenue_impact_daily", "message": "negative amount -20.00"},
         {"line": 98, "column": "project", "message": "no project named \"Atlas Paymnts\""}]'::jsonb,
       t - interval '8 days', t - interval '8 days' + interval '4 seconds',
       '00000000-0000-4000-8000-000000000006'::uuid
FROM demo_clock
UNION ALL
SELECT '00000000-0000-4000-8000-0000000000c2'::uuid, 'github'::import_source, 'ctodb-demo/atlas-payments', 'succeeded', 42, 42, 0,
       '[]'::jsonb, t - interval '2 hours', t - interval '2 hours' + interval '11 seconds',
       '00000000-0000-4000-8000-000000000002'::uuid
FROM demo_clock;

INSERT INTO bug_history (id, bug_id, field, old_value, new_value, changed_by, changed_at)
SELECT h.id::uuid, h.bug::uuid, h.field, h.old_value, h.new_value, h.actor::uuid, t - h.ago
FROM demo_clock, (VALUES
    ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-000000000b02', 'status', 'pending', 'in_progress', '00000000-0000-4000-8000-000000000003', interval '3 hours'),
    ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-000000000b02', 'assignee_id', NULL, '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', interval '3 hours 10 minutes'),
    ('00000000-0000-4000-8000-0000000000d3', '00000000-0000-4000-8000-000000000b03', 'status', 'in_progress', 'verified', '00000000-0000-4000-8000-000000000006', interval '4 days 4 hours'),
    ('00000000-0000-4000-8000-0000000000d4', '00000000-0000-4000-8000-000000000b11', 'is_blocker', 'false', 'true', '00000000-0000-4000-8000-000000000001', interval '2 days')
) AS h (id, bug, field, old_value, new_value, actor, ago);
