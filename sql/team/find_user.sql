-- Answers: the id of the user with this e-mail (filters by assignee, workload of one user).
-- Parameters: $1 e-mail as typed. Index: users_email_key.
SELECT id, email FROM users WHERE email = lower($1)
