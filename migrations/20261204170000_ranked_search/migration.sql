-- Search at the limit: the bugs a search finds are ranked by ts_rank, which reads every
-- match's document (at ten million bugs a common word matches millions). The RUM index
-- (the rum extension: Debian's postgresql-NN-rum) returns matches nearest first, so the
-- top twenty cost about twenty. The extension is optional: where the server has it,
-- `ctodb migrate` builds the index through this function, on every run, so a database
-- migrated before the extension was installed gains the index at the next migrate;
-- where it has not, search works as before (ctodb doctor says what installing it gives).
-- CREATE EXTENSION rum needs a superuser (the extension is not marked trusted): a
-- non-superuser owner gets 'needs superuser' and the index once a superuser has run it.
CREATE FUNCTION ctodb.ensure_ranked_search_index() RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('ctodb.bug_search_rum_idx') IS NOT NULL THEN
        RETURN 'present';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'rum') THEN
            RETURN 'unavailable';
        END IF;
        BEGIN
            CREATE EXTENSION rum;
        EXCEPTION WHEN insufficient_privilege THEN
            RETURN 'needs superuser';
        END;
    END IF;
    PERFORM set_config('maintenance_work_mem', '512MB', true);
    CREATE INDEX bug_search_rum_idx ON ctodb.bug_search USING rum (search_vector rum_tsvector_ops);
    COMMENT ON INDEX ctodb.bug_search_rum_idx IS
        'search: bugs in rank order (RUM), so the best twenty are read without ranking every match';
    RETURN 'built';
END
$$;
