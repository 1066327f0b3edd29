-- Imports (SPEC §9): what import_logs lacks to account for a run, and a projects touch
-- that lets a sync record itself without pretending the project changed.

-- rows_imported stays inserted + updated, so that existing readers keep their meaning.
ALTER TABLE import_logs
    ADD COLUMN kind           text CHECK (kind IN ('projects', 'bugs', 'users')),
    ADD COLUMN rows_inserted  integer NOT NULL DEFAULT 0 CHECK (rows_inserted >= 0),
    ADD COLUMN rows_updated   integer NOT NULL DEFAULT 0 CHECK (rows_updated >= 0),
    ADD COLUMN rows_unchanged integer NOT NULL DEFAULT 0 CHECK (rows_unchanged >= 0),
    -- milliseconds per phase: read (parse, validate, COPY), merge, total
    ADD COLUMN timings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(timings) = 'object');

-- A GitHub import stamps last_synced_at on every project it saw; only a project whose
-- other fields changed counts as updated, so updated_at moves for those alone.
CREATE FUNCTION ctodb_projects_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('ctodb.seeding', true) IS DISTINCT FROM 'on'
       AND to_jsonb(NEW) - 'last_synced_at' - 'updated_at'
           IS DISTINCT FROM to_jsonb(OLD) - 'last_synced_at' - 'updated_at' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER projects_touch ON projects;
CREATE TRIGGER projects_touch BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION ctodb_projects_touch();
