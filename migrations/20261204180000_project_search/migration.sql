-- Search's projects half at a hundred thousand projects: ranking a project by its
-- description computed the description's English document two or three times per
-- candidate (the recheck, the filter and the score: 233 ms for "payments" at 100,000
-- projects, against 1.5 ms for finding the candidates). Each project's document is kept
-- here instead, as ctodb.bug_search keeps the bugs', written by the triggers below in the
-- same transaction as the project, whoever writes it.
CREATE TABLE ctodb.project_search (
    project_id           uuid PRIMARY KEY,
    description_vector   tsvector NOT NULL
);

INSERT INTO ctodb.project_search (project_id, description_vector)
SELECT p.id, to_tsvector('english', coalesce(p.description, '')) FROM projects p;

CREATE INDEX project_search_vector_idx ON ctodb.project_search USING gin (description_vector);
COMMENT ON INDEX ctodb.project_search_vector_idx IS 'search: full text over project descriptions';

-- the expression index it replaces
DROP INDEX projects_description_fts_idx;

CREATE FUNCTION ctodb_project_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ctodb.project_search (project_id, description_vector)
    SELECT c.id, to_tsvector('english', coalesce(c.description, '')) FROM changed c;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_project_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ctodb.project_search s USING changed c WHERE s.project_id = c.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_project_search_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE ctodb.project_search;
    RETURN NULL;
END
$$;

-- a changed description (or id): row by row, as a column list allows no transition table
CREATE FUNCTION ctodb_project_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ctodb.project_search
    SET project_id = NEW.id, description_vector = to_tsvector('english', coalesce(NEW.description, ''))
    WHERE project_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER projects_search_insert AFTER INSERT ON projects
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_project_search_insert();
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_project_search_delete();
CREATE TRIGGER projects_search_truncate AFTER TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_project_search_clear();
CREATE TRIGGER projects_search_update AFTER UPDATE OF id, description ON projects
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION ctodb_project_search_update();
