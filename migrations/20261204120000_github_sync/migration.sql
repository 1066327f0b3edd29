-- A GitHub re-sync that keeps what people decided (SPEC §9): what upstream said of each
-- synced issue at the last sync, so that a field is taken from upstream only when
-- upstream changed it since. A bug without a row here (synced by an earlier version, or
-- seeded) is compared as if upstream's fields were unchanged (src/import/github_sync.rs).
CREATE TABLE ctodb.github_sync (
    bug_id uuid PRIMARY KEY REFERENCES bugs (id) ON DELETE CASCADE,
    upstream jsonb NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now()
);

-- GitHub's logins and owner/name are one whatever their case: `Acme/API` stored and
-- `acme/api` upstream are one project. Two rows that differ only in case cannot both
-- keep their value; rather than choose for the user, the migration stops and names them.
DO $$
DECLARE
    repos text;
    logins text;
BEGIN
    SELECT string_agg(format('%s (projects %s)', k, names), '; ') INTO repos
    FROM (SELECT lower(github_repo) AS k, string_agg(quote_literal(name), ', ' ORDER BY name) AS names
          FROM projects WHERE github_repo IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d;
    SELECT string_agg(format('%s (users %s)', k, emails), '; ') INTO logins
    FROM (SELECT lower(github_login) AS k, string_agg(email, ', ' ORDER BY email) AS emails
          FROM users WHERE github_login IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d;
    IF repos IS NOT NULL OR logins IS NOT NULL THEN
        RAISE EXCEPTION 'GitHub repositories and logins are one whatever their case, and these are taken twice: %; keep the value on one row of each and set it to NULL on the others (ctodb import csv, or UPDATE), then run ctodb migrate again',
            concat_ws('; ', repos, logins);
    END IF;
END
$$;

-- The imports match on these (lower() on both sides).
CREATE UNIQUE INDEX projects_github_repo_lower_key ON projects (lower(github_repo));
CREATE UNIQUE INDEX users_github_login_lower_key ON users (lower(github_login));
