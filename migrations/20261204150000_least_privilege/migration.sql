-- Least privilege (ctodb grants): refresh and imports rebuild the search dictionary, and
-- a writer role runs them, but REFRESH MATERIALIZED VIEW needs the view's owner. The
-- owner lends exactly that through a function; EXECUTE is granted to the writer role
-- only (ctodb grants --writer), not to every role.
--
-- And only when the text changed: every statement that changes the searched text (the
-- bugs' documents, the projects' names) takes a number from a sequence (no lock, nothing
-- to wait for), and the dictionary remembers the number it was built at. The nightly
-- refresh, which changes scores and never text, then skips the rebuild (4 s at 1M bugs).
CREATE SEQUENCE ctodb.search_text_changes;

CREATE TABLE ctodb.search_words_built (
    changes bigint NOT NULL
);
INSERT INTO ctodb.search_words_built (changes) VALUES (0);

CREATE FUNCTION ctodb_search_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('ctodb.search_text_changes');
    RETURN NULL;
END
$$;

CREATE TRIGGER bug_search_text_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ctodb.bug_search
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_search_text_changed();
CREATE TRIGGER projects_name_changed AFTER INSERT OR UPDATE OF name OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_search_text_changed();

-- Rebuilds the dictionary, or with only_if_changed only when text changed since it was
-- last built; says whether it did.
CREATE FUNCTION ctodb.refresh_search_words(only_if_changed boolean DEFAULT false) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
    seen bigint;
BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO seen FROM ctodb.search_text_changes;
    IF only_if_changed AND seen = (SELECT changes FROM ctodb.search_words_built) THEN
        RETURN false;
    END IF;
    REFRESH MATERIALIZED VIEW public.search_words;
    UPDATE ctodb.search_words_built SET changes = seen;
    RETURN true;
END
$$;

REVOKE EXECUTE ON FUNCTION ctodb.refresh_search_words(boolean) FROM PUBLIC;
