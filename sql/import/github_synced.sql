-- Stamps the projects of the repositories a GitHub import just staged as synced now
-- (ctodb import github); the projects touch trigger leaves updated_at alone when
-- nothing else changed.
-- Parameters: none. Reads the import's staging table; index: projects_github_repo_lower_key.
UPDATE projects p
SET last_synced_at = clock_timestamp()
FROM import_rows s
WHERE lower(p.github_repo) = lower(s.github_repo)
