-- Bug pages for any filter combination (issue 4): `ctodb bugs` picks its page by merging
-- one ordered run per (status, severity) pair, so every sort needs an index that starts
-- with status and severity and is ordered by the sort key. PostgreSQL 15 cannot return
-- rows in index order under `status = ANY (...)`, which is why a page over several
-- statuses or severities is a merge of runs rather than one index scan.

-- The enum arrays of the filters arrive as text[]: a parameter of an enum type makes the
-- client look the type up (three round trips per type on every new connection). The cast
-- from text to an enum is only STABLE (enum_in reads the catalog), so the planner would
-- not fold it into a constant and could not match the partial indexes on status. These
-- wrappers are declared IMMUTABLE, which is true as long as no enum label is renamed; a
-- rename would only matter to a cached generic plan, and ctodb plans every query afresh.
CREATE FUNCTION ctodb_bug_severities(labels text[]) RETURNS bug_severity[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN labels::bug_severity[];
CREATE FUNCTION ctodb_bug_statuses(labels text[]) RETURNS bug_status[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN labels::bug_status[];
CREATE FUNCTION ctodb_project_statuses(labels text[]) RETURNS project_status[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN labels::project_status[];

-- The runs of the merge. Each carries the columns the filters read, so that a run is an
-- index-only scan that stops after limit + offset matching entries.
CREATE INDEX bugs_page_priority_idx ON bugs (status, severity, priority_score DESC, bug_number)
    INCLUDE (due_at, sla_hours, assignee_id, is_blocker);
COMMENT ON INDEX bugs_page_priority_idx IS 'bugs (any filter) --sort priority: one run per status and severity, index-only';
CREATE INDEX bugs_page_created_idx ON bugs (status, severity, created_at DESC, bug_number)
    INCLUDE (due_at, sla_hours, assignee_id, is_blocker);
COMMENT ON INDEX bugs_page_created_idx IS 'bugs (any filter) --sort created: one run per status and severity, index-only';
CREATE INDEX bugs_page_due_idx ON bugs (status, severity, due_at, bug_number)
    INCLUDE (sla_hours, assignee_id, is_blocker);
COMMENT ON INDEX bugs_page_due_idx IS 'bugs (any filter) --sort due, --breached: one run per status and severity, index-only';

-- A page of every bug with no other filter is one walk down the sort key instead: 24 runs
-- of limit + offset entries would cost more than the walk. Open bugs lead the priority
-- order (refresh scores every other bug 0), so the top open bugs are its first entries.
DROP INDEX bugs_open_priority_idx;
CREATE INDEX bugs_priority_idx ON bugs (priority_score DESC, bug_number);
COMMENT ON INDEX bugs_priority_idx IS 'bugs --all --sort priority (no other filter); top bugs of report portfolio';
DROP INDEX bugs_created_at_idx;
CREATE INDEX bugs_created_at_idx ON bugs (created_at DESC, bug_number);
COMMENT ON INDEX bugs_created_at_idx IS 'bugs --all --sort created (no other filter); monthly roll-up of opened bugs; trends';
CREATE INDEX bugs_due_idx ON bugs (due_at, bug_number);
COMMENT ON INDEX bugs_due_idx IS 'bugs --all --sort due (no other filter)';

-- The pages above make these redundant: their leading columns are the page indexes'.
DROP INDEX bugs_severity_status_idx;
DROP INDEX bugs_status_created_at_idx;
DROP INDEX bugs_open_critical_priority_idx;

-- Selective filters (a project, an assignee, blockers, unassigned bugs): within each run
-- the matching bugs come from these, index-only, in priority order (the default sort, so
-- the run stops after limit + offset), or gathered and sorted for the other sorts; a walk
-- down a page index would pass over thousands of other bugs for each match.
DROP INDEX bugs_project_status_idx;
CREATE INDEX bugs_project_status_idx ON bugs (project_id, status, severity, priority_score DESC, bug_number)
    INCLUDE (created_at, due_at, sla_hours, assignee_id, is_blocker);
COMMENT ON INDEX bugs_project_status_idx IS 'foreign key bugs.project_id; project NAME open bugs; bugs --project, index-only';
DROP INDEX bugs_assignee_status_idx;
CREATE INDEX bugs_assignee_status_idx ON bugs (assignee_id, status, severity, priority_score DESC, bug_number)
    INCLUDE (created_at, due_at, sla_hours, project_id, is_blocker, revenue_impact_daily);
COMMENT ON INDEX bugs_assignee_status_idx IS 'foreign key bugs.assignee_id; bugs --assignee; report workload (it carries every column read), index-only';
DROP INDEX bugs_blocker_idx;
CREATE INDEX bugs_blocker_idx ON bugs (status, severity, priority_score DESC, bug_number)
    INCLUDE (created_at, due_at, sla_hours, project_id, assignee_id)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_idx IS 'bugs --blocker: the few blocking bugs of each status and severity, index-only';
DROP INDEX bugs_unassigned_idx;
CREATE INDEX bugs_unassigned_idx ON bugs (status, severity, priority_score DESC, bug_number)
    INCLUDE (created_at, due_at, sla_hours, project_id, is_blocker)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_idx IS 'bugs --unassigned: bugs nobody owns, by status and severity, index-only';

-- `--project NAME` (bugs, project, report daily) resolves the name through its lower case
-- or a prefix of it: a range of this index instead of a scan of every project.
CREATE INDEX projects_lower_name_idx ON projects (lower(name) text_pattern_ops);
COMMENT ON INDEX projects_lower_name_idx IS 'project NAME, bugs --project: the name in any case, or a prefix of it';
