-- Answers: every project's id, name, repository and status, the references an import
-- resolves names against (ctodb import).
-- Parameters: none. Reads the whole table: at most some 10,000 rows.
SELECT p.id, p.name, p.github_repo, p.status
FROM projects p
