-- Answers: projects with a repository that were never synced or not for N days
-- (ctodb report sync), longest first.
-- Parameters: $1 as-of instant, $2 days after which a sync is stale.
-- Index: projects_last_synced_at_idx.
SELECT p.name, p.github_repo, p.last_synced_at,
       ctodb_round_ratio(extract(epoch FROM $1 - p.last_synced_at), 86400, 1)::numeric(10,1) AS days_since_sync
FROM projects p
WHERE p.github_repo IS NOT NULL
  AND (p.last_synced_at IS NULL OR p.last_synced_at < $1 - make_interval(days => $2::int))
ORDER BY p.last_synced_at ASC NULLS FIRST, p.name
LIMIT 100
