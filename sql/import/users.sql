-- Answers: every user's id, e-mail and GitHub login, the references an import resolves
-- people against (ctodb import).
-- Parameters: none. Reads the whole table: some hundreds of rows.
SELECT u.id, u.email, u.github_login
FROM users u
