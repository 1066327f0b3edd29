-- Answers: every user with every stored field but the id (ctodb users): what a
-- spreadsheet needs to edit people and import them back, keyed by e-mail.
-- Parameters: none. Index: users_email_key (the order).
SELECT u.email, u.name, u.role, u.is_active, u.weekly_capacity_hours, u.github_login,
       u.created_at, u.updated_at
FROM users u
ORDER BY u.email
