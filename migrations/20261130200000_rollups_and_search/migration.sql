-- Bugs resolved per UTC day and severity, kept exact by statement-level triggers as
-- ctodb.bug_counts is, so that `report engineering` sums a few hundred roll-up rows
-- instead of every bug resolved in its window (a third of a million at xl). Each INSERT,
-- UPDATE, DELETE or TRUNCATE of bugs adjusts it in the same transaction from the
-- statement's transition tables; a row is the bugs whose resolved_at falls on that day.
CREATE TABLE ctodb.bug_resolutions (
    day                date NOT NULL,
    severity           bug_severity NOT NULL,
    resolved           bigint NOT NULL CHECK (resolved >= 0),
    -- summed resolved_at - created_at, exact
    resolution_seconds numeric NOT NULL CHECK (resolution_seconds >= 0),
    -- resolved_at <= due_at
    within_sla         bigint NOT NULL CHECK (within_sla BETWEEN 0 AND resolved),
    PRIMARY KEY (day, severity)
);

INSERT INTO ctodb.bug_resolutions (day, severity, resolved, resolution_seconds, within_sla)
SELECT (b.resolved_at AT TIME ZONE 'UTC')::date, b.severity,
       count(*),
       sum(extract(epoch FROM b.resolved_at - b.created_at)),
       count(*) FILTER (WHERE b.resolved_at <= b.due_at)
FROM bugs b
WHERE b.resolved_at IS NOT NULL
GROUP BY 1, 2;

-- The same per UTC day and assignee, for `report team` (what each person resolved in the
-- last N days): a year of it is 830,000 bugs at xl, a few hundred roll-up rows a day.
-- Bugs nobody is assigned are not in it.
CREATE TABLE ctodb.assignee_resolutions (
    day                date NOT NULL,
    assignee_id        uuid NOT NULL,
    resolved           bigint NOT NULL CHECK (resolved >= 0),
    resolution_seconds numeric NOT NULL CHECK (resolution_seconds >= 0),
    within_sla         bigint NOT NULL CHECK (within_sla BETWEEN 0 AND resolved),
    PRIMARY KEY (day, assignee_id)
);

INSERT INTO ctodb.assignee_resolutions (day, assignee_id, resolved, resolution_seconds, within_sla)
SELECT (b.resolved_at AT TIME ZONE 'UTC')::date, b.assignee_id,
       count(*),
       sum(extract(epoch FROM b.resolved_at - b.created_at)),
       count(*) FILTER (WHERE b.resolved_at <= b.due_at)
FROM bugs b
WHERE b.resolved_at IS NOT NULL AND b.assignee_id IS NOT NULL
GROUP BY 1, 2;

-- Adds (sign 1) or subtracts (-1) the resolved rows of the statement's transition table
-- "changed" to one summary: TG_ARGV is the summary's table, the column of bugs that keys
-- it next to the day, and the sign. Additions insert in key order; a subtraction finds
-- its rows (every one was added before) and locks them in key order first, as
-- ctodb_bug_counts_apply does, so that two transactions wait for each other instead of
-- deadlocking. The statements name the table and column through format's %I; they are
-- the trigger's own arguments, never data.
CREATE FUNCTION ctodb_resolutions_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    summary text := TG_ARGV[0];
    key     text := TG_ARGV[1];
    sign    integer := TG_ARGV[2]::integer;
BEGIN
    IF sign > 0 THEN
        EXECUTE format($sql$
            INSERT INTO ctodb.%1$I AS r (day, %2$I, resolved, resolution_seconds, within_sla)
            SELECT (c.resolved_at AT TIME ZONE 'UTC')::date, c.%2$I,
                   count(*),
                   sum(extract(epoch FROM c.resolved_at - c.created_at)),
                   count(*) FILTER (WHERE c.resolved_at <= c.due_at)
            FROM changed c
            WHERE c.resolved_at IS NOT NULL AND c.%2$I IS NOT NULL
            GROUP BY 1, 2
            ORDER BY 1, 2
            ON CONFLICT (day, %2$I) DO UPDATE
            SET resolved = r.resolved + excluded.resolved,
                resolution_seconds = r.resolution_seconds + excluded.resolution_seconds,
                within_sla = r.within_sla + excluded.within_sla
            $sql$, summary, key);
    ELSE
        EXECUTE format($sql$
            SELECT 1 FROM ctodb.%1$I r
            WHERE (r.day, r.%2$I) IN (SELECT (c.resolved_at AT TIME ZONE 'UTC')::date, c.%2$I
                                      FROM changed c WHERE c.resolved_at IS NOT NULL)
            ORDER BY r.day, r.%2$I
            FOR UPDATE
            $sql$, summary, key);
        EXECUTE format($sql$
            UPDATE ctodb.%1$I r
            SET resolved = r.resolved - d.resolved,
                resolution_seconds = r.resolution_seconds - d.resolution_seconds,
                within_sla = r.within_sla - d.within_sla
            FROM (SELECT (c.resolved_at AT TIME ZONE 'UTC')::date AS day, c.%2$I AS key,
                         count(*) AS resolved,
                         sum(extract(epoch FROM c.resolved_at - c.created_at)) AS resolution_seconds,
                         count(*) FILTER (WHERE c.resolved_at <= c.due_at) AS within_sla
                  FROM changed c
                  WHERE c.resolved_at IS NOT NULL AND c.%2$I IS NOT NULL
                  GROUP BY 1, 2) d
            WHERE r.day = d.day AND r.%2$I = d.key
            $sql$, summary, key);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_bug_resolutions_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ctodb.bug_resolutions;
    DELETE FROM ctodb.assignee_resolutions;
    RETURN NULL;
END
$$;

-- An UPDATE is a removal of the old rows and an addition of the new ones (the additions
-- run first: triggers of one event fire in name order).
CREATE TRIGGER bugs_resolutions_insert AFTER INSERT ON bugs
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('bug_resolutions', 'severity', '1');
CREATE TRIGGER bugs_resolutions_update_add AFTER UPDATE ON bugs
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('bug_resolutions', 'severity', '1');
CREATE TRIGGER bugs_resolutions_update_remove AFTER UPDATE ON bugs
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('bug_resolutions', 'severity', '-1');
CREATE TRIGGER bugs_resolutions_delete AFTER DELETE ON bugs
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('bug_resolutions', 'severity', '-1');
CREATE TRIGGER bugs_assignee_resolutions_insert AFTER INSERT ON bugs
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('assignee_resolutions', 'assignee_id', '1');
CREATE TRIGGER bugs_assignee_resolutions_update_add AFTER UPDATE ON bugs
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('assignee_resolutions', 'assignee_id', '1');
CREATE TRIGGER bugs_assignee_resolutions_update_remove AFTER UPDATE ON bugs
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('assignee_resolutions', 'assignee_id', '-1');
CREATE TRIGGER bugs_assignee_resolutions_delete AFTER DELETE ON bugs
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_resolutions_apply('assignee_resolutions', 'assignee_id', '-1');
CREATE TRIGGER bugs_resolutions_truncate AFTER TRUNCATE ON bugs
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_bug_resolutions_clear();

-- The exact row count of project_metrics (3.65 million rows at xl: counting them takes
-- 100 ms even index-only), kept by statement-level triggers for `ctodb stats`. Only the
-- seed writes that table in bulk, so one counter row is no point of contention. bugs
-- are counted by ctodb.bug_counts.
CREATE TABLE ctodb.table_rows (
    table_name text PRIMARY KEY,
    rows       bigint NOT NULL CHECK (rows >= 0)
);

INSERT INTO ctodb.table_rows (table_name, rows) SELECT 'project_metrics', count(*) FROM project_metrics;

-- Adds (argument 1) or subtracts (-1) the rows of the transition table "changed".
CREATE FUNCTION ctodb_table_rows_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ctodb.table_rows
    SET rows = rows + TG_ARGV[0]::integer * (SELECT count(*) FROM changed)
    WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_table_rows_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ctodb.table_rows SET rows = 0 WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

CREATE TRIGGER project_metrics_rows_insert AFTER INSERT ON project_metrics
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_table_rows_apply('1');
CREATE TRIGGER project_metrics_rows_delete AFTER DELETE ON project_metrics
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_table_rows_apply('-1');
CREATE TRIGGER project_metrics_rows_truncate AFTER TRUNCATE ON project_metrics
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_table_rows_clear();

-- Full-text search over a narrow relation: each bug's search document (title and
-- description, English stems with positions) moves out of the bugs heap into
-- ctodb.bug_search, keyed by bug_number. Ranking a common word reads every matching
-- document; here that is a 340 MB table of documents instead of the 800 MB bugs heap,
-- which every priority update rewrote in full (a new row version with its vector)
-- and so left twice as large after a refresh. The documents are exactly what the
-- generated column held, so the ranks and their order do not change.
CREATE FUNCTION ctodb_bug_document(title text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('english'::regconfig, title || ' ' || coalesce(description, ''));

CREATE TABLE ctodb.bug_search (
    bug_number    bigint PRIMARY KEY,
    search_vector tsvector NOT NULL
);

INSERT INTO ctodb.bug_search (bug_number, search_vector)
SELECT b.bug_number, b.search_vector FROM bugs b;

DROP MATERIALIZED VIEW search_words;
DROP INDEX bugs_search_vector_idx;
ALTER TABLE bugs DROP COLUMN search_vector;

CREATE INDEX bug_search_vector_idx ON ctodb.bug_search USING gin (search_vector);
COMMENT ON INDEX ctodb.bug_search_vector_idx IS 'search: full text over bug titles and descriptions';

-- The search dictionary, as before, read from the documents' new home.
CREATE MATERIALIZED VIEW search_words AS
SELECT word, ndoc
FROM ts_stat($q$SELECT search_vector FROM ctodb.bug_search
              UNION ALL SELECT to_tsvector('simple', name) FROM projects$q$)
WHERE length(word) BETWEEN 2 AND 64;

-- Inserted bugs: one statement per statement (a seed's or an import's COPY of a million
-- rows is one INSERT of their documents).
CREATE FUNCTION ctodb_bug_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ctodb.bug_search (bug_number, search_vector)
    SELECT c.bug_number, ctodb_bug_document(c.title, c.description) FROM changed c;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_bug_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ctodb.bug_search s USING changed c WHERE s.bug_number = c.bug_number;
    RETURN NULL;
END
$$;

CREATE FUNCTION ctodb_bug_search_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE ctodb.bug_search;
    RETURN NULL;
END
$$;

-- Updated bugs: row by row, and only for a changed title, description or number (a
-- trigger with a column list cannot have transition tables; the nightly priority
-- updates of a million rows touch none of these columns and so never fire it). One
-- statement that swaps two bugs' numbers would meet the primary key halfway and fail
-- whole; ctodb never renumbers bugs.
CREATE FUNCTION ctodb_bug_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ctodb.bug_search
    SET bug_number = NEW.bug_number, search_vector = ctodb_bug_document(NEW.title, NEW.description)
    WHERE bug_number = OLD.bug_number;
    RETURN NULL;
END
$$;

CREATE TRIGGER bugs_search_insert AFTER INSERT ON bugs
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_bug_search_insert();
CREATE TRIGGER bugs_search_delete AFTER DELETE ON bugs
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_bug_search_delete();
CREATE TRIGGER bugs_search_truncate AFTER TRUNCATE ON bugs
    FOR EACH STATEMENT EXECUTE FUNCTION ctodb_bug_search_clear();
CREATE TRIGGER bugs_search_update AFTER UPDATE OF bug_number, title, description ON bugs
    FOR EACH ROW
    WHEN (OLD.bug_number IS DISTINCT FROM NEW.bug_number
          OR OLD.title IS DISTINCT FROM NEW.title
          OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION ctodb_bug_search_update();
