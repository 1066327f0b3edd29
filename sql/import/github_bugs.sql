-- Answers: the bugs an earlier GitHub import brought in, by their issue's address, with
-- the fields a re-sync may write as they are now, and what upstream said at the last
-- sync (NULL for a bug synced by an earlier version, or seeded). The rows are locked
-- until the import ends: a person's change committed before this read is seen here and
-- kept by the ownership rules (SPEC §9); one made later waits and lands after the sync.
-- Parameters: none. Index: bugs_source_external_id_key; github_sync_pkey.
SELECT b.external_id, b.project_id, b.title, b.description, b.severity, b.status, b.labels,
       b.reporter_id, b.assignee_id, b.resolved_at, g.upstream
FROM bugs b
LEFT JOIN ctodb.github_sync g ON g.bug_id = b.id
WHERE b.source = 'github' AND b.external_id IS NOT NULL
FOR UPDATE OF b
