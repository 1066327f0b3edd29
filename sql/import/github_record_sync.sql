-- Records what upstream said of each issue this sync staged (ctodb import github), for
-- the next sync to compare with (src/import/github_sync.rs).
-- Parameters: $1 issue addresses (text[]), $2 what upstream said of each (jsonb[]).
-- Index: bugs_source_external_id_key; github_sync_pkey.
INSERT INTO ctodb.github_sync (bug_id, upstream, synced_at)
SELECT b.id, s.upstream, clock_timestamp()
FROM unnest($1::text[], $2::jsonb[]) AS s (external_id, upstream)
JOIN bugs b ON b.source = 'github' AND b.external_id = s.external_id
ON CONFLICT (bug_id) DO UPDATE SET upstream = EXCLUDED.upstream, synced_at = EXCLUDED.synced_at
