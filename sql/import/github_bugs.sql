-- Answers: the bugs an earlier GitHub import brought in, by their issue's address, with
-- the status each has now (ctodb import github keeps a bug's workflow status while its
-- issue stays open).
-- Parameters: none. Index: bugs_source_external_id_key.
SELECT b.external_id, b.status
FROM bugs b
WHERE b.source = 'github' AND b.external_id IS NOT NULL
