-- Bug pages of one person, one project, unassigned bugs or blockers, in any order
-- (issue 4). Until now these were gathered from the filter's index, which is in priority
-- order, and sorted: page 20 of the busiest assignee's bugs by due instant read all
-- 48,000 of them. Each index below carries the status, the severity and the other
-- filter columns, so that every run stays index-only. Two shapes:
--   - (filter, sort key): a page over every status and severity (bugs/page_all) walks
--     it and stops after limit + offset entries;
--   - (filter, status, severity, sort key): a run of bugs/page_runs or bugs/page_merge
--     reads exactly the entries of its pair that reach the page. Without it, a run for a
--     rare pair (six pending critical blockers) may walk every blocker in due order.

-- One person's bugs: walks only; a run for one pair gathers from the priority-ordered
-- bugs_assignee_status_idx or walks these, whichever the planner finds cheaper.
CREATE INDEX bugs_assignee_due_idx ON bugs (assignee_id, due_at, bug_number)
    INCLUDE (status, severity, project_id, is_blocker, sla_hours);
COMMENT ON INDEX bugs_assignee_due_idx IS 'bugs --assignee --sort due: one person''s bugs, earliest due first, index-only';
CREATE INDEX bugs_assignee_created_idx ON bugs (assignee_id, created_at DESC, bug_number)
    INCLUDE (status, severity, project_id, is_blocker, due_at, sla_hours);
COMMENT ON INDEX bugs_assignee_created_idx IS 'bugs --assignee --sort created: one person''s bugs, newest first, index-only';

-- One project's bugs: runs only. Not (project, due instant) alone: breached pages of a
-- project would walk that from its oldest bug.
CREATE INDEX bugs_project_due_idx ON bugs (project_id, status, severity, due_at, bug_number)
    INCLUDE (assignee_id, is_blocker, sla_hours);
COMMENT ON INDEX bugs_project_due_idx IS 'bugs --project --sort due: one run per status and severity of one project, index-only';
CREATE INDEX bugs_project_created_idx ON bugs (project_id, status, severity, created_at DESC, bug_number)
    INCLUDE (assignee_id, is_blocker, due_at, sla_hours);
COMMENT ON INDEX bugs_project_created_idx IS 'bugs --project --sort created: one run per status and severity of one project, index-only';

-- Unassigned bugs and blockers (small partial indexes): walks for all three sorts, and
-- runs for due and creation (bugs_unassigned_idx and bugs_blocker_idx are the runs in
-- priority order).
CREATE INDEX bugs_unassigned_priority_idx ON bugs (priority_score DESC, bug_number)
    INCLUDE (status, severity, project_id, is_blocker)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_priority_idx IS 'bugs --all --unassigned: bugs nobody owns, highest priority first, index-only';
CREATE INDEX bugs_unassigned_due_idx ON bugs (due_at, bug_number)
    INCLUDE (status, severity, project_id, is_blocker, sla_hours)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_due_idx IS 'bugs --all --unassigned --sort due: bugs nobody owns, earliest due first, index-only';
CREATE INDEX bugs_unassigned_created_idx ON bugs (created_at DESC, bug_number)
    INCLUDE (status, severity, project_id, is_blocker, due_at, sla_hours)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_created_idx IS 'bugs --all --unassigned --sort created: bugs nobody owns, newest first, index-only';
CREATE INDEX bugs_unassigned_page_due_idx ON bugs (status, severity, due_at, bug_number)
    INCLUDE (project_id, is_blocker, sla_hours, priority_score, created_at)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_page_due_idx IS 'bugs --unassigned --sort due: one run per status and severity, index-only';
CREATE INDEX bugs_unassigned_page_created_idx ON bugs (status, severity, created_at DESC, bug_number)
    INCLUDE (project_id, is_blocker, due_at, sla_hours)
    WHERE assignee_id IS NULL;
COMMENT ON INDEX bugs_unassigned_page_created_idx IS 'bugs --unassigned --sort created: one run per status and severity, index-only';
CREATE INDEX bugs_blocker_priority_idx ON bugs (priority_score DESC, bug_number)
    INCLUDE (status, severity, project_id, assignee_id)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_priority_idx IS 'bugs --all --blocker: blocking bugs, highest priority first, index-only';
CREATE INDEX bugs_blocker_due_idx ON bugs (due_at, bug_number)
    INCLUDE (status, severity, project_id, assignee_id, sla_hours)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_due_idx IS 'bugs --all --blocker --sort due: blocking bugs, earliest due first, index-only';
CREATE INDEX bugs_blocker_created_idx ON bugs (created_at DESC, bug_number)
    INCLUDE (status, severity, project_id, assignee_id, due_at, sla_hours)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_created_idx IS 'bugs --all --blocker --sort created: blocking bugs, newest first, index-only';
CREATE INDEX bugs_blocker_page_due_idx ON bugs (status, severity, due_at, bug_number)
    INCLUDE (project_id, assignee_id, sla_hours, priority_score, created_at)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_page_due_idx IS 'bugs --blocker --sort due: one run per status and severity, index-only';
CREATE INDEX bugs_blocker_page_created_idx ON bugs (status, severity, created_at DESC, bug_number)
    INCLUDE (project_id, assignee_id, due_at, sla_hours)
    WHERE is_blocker;
COMMENT ON INDEX bugs_blocker_page_created_idx IS 'bugs --blocker --sort created: one run per status and severity, index-only';

-- At-risk bugs (open, past 75% of their SLA, not yet due) are due within a quarter of the
-- longest SLA of any open bug. ctodb reads that SLA first (one entry of the index below)
-- and bounds the due instant by it, so a run reads the bugs due within that window
-- instead of every open bug of its status and severity. The page index of the due sort
-- now carries the priority and the creation instant, so that such a run stays
-- index-only whatever the sort.
CREATE INDEX bugs_open_sla_idx ON bugs (sla_hours) WHERE status IN ('pending', 'in_progress');
COMMENT ON INDEX bugs_open_sla_idx IS 'bugs --at-risk: the longest SLA of the open bugs, one entry';
DROP INDEX bugs_page_due_idx;
CREATE INDEX bugs_page_due_idx ON bugs (status, severity, due_at, bug_number)
    INCLUDE (sla_hours, assignee_id, is_blocker, priority_score, created_at);
COMMENT ON INDEX bugs_page_due_idx IS 'bugs (any filter) --sort due, --breached, --at-risk: one run per status and severity, index-only';
