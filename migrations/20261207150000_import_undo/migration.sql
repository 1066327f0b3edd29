-- What each import run changed, so that `ctodb import undo RUN` can revert it exactly:
-- every row an import inserts or updates in users, projects, bugs or project_metrics is
-- journalled with the run's id (the session setting ctodb.import_run, set only inside the
-- import's own transaction), the row before (NULL: inserted) and after.

CREATE TABLE ctodb.import_changes (
    run_id     uuid NOT NULL REFERENCES public.import_logs (id) ON DELETE CASCADE,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    table_name text NOT NULL CHECK (table_name IN ('users', 'projects', 'bugs', 'project_metrics')),
    row_id     uuid NOT NULL,
    before     jsonb,
    after      jsonb NOT NULL,
    PRIMARY KEY (run_id, seq)
);
-- the undo finds a run's rows of one table; the conflict check a row's later journal entries
CREATE INDEX import_changes_row ON ctodb.import_changes (table_name, row_id);

CREATE TABLE ctodb.import_undone (
    run_id    uuid PRIMARY KEY REFERENCES public.import_logs (id) ON DELETE CASCADE,
    undone_at timestamptz NOT NULL DEFAULT now(),
    undone_by uuid REFERENCES public.users (id) ON DELETE SET NULL
);

-- SECURITY DEFINER: the writer never writes the journal itself (it only reads it).
CREATE FUNCTION ctodb.journal_import() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ctodb.import_changes (run_id, table_name, row_id, before, after)
    VALUES (pg_catalog.current_setting('ctodb.import_run')::uuid, TG_TABLE_NAME, NEW.id,
            CASE WHEN TG_OP = 'UPDATE' THEN pg_catalog.to_jsonb(OLD) END, pg_catalog.to_jsonb(NEW));
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION ctodb.journal_import() FROM PUBLIC;

-- fires only inside an import (the WHEN costs one setting lookup a row elsewhere)
CREATE TRIGGER users_import_journal AFTER INSERT OR UPDATE ON public.users FOR EACH ROW
    WHEN (pg_catalog.current_setting('ctodb.import_run', true) <> '') EXECUTE FUNCTION ctodb.journal_import();
CREATE TRIGGER projects_import_journal AFTER INSERT OR UPDATE ON public.projects FOR EACH ROW
    WHEN (pg_catalog.current_setting('ctodb.import_run', true) <> '') EXECUTE FUNCTION ctodb.journal_import();
CREATE TRIGGER bugs_import_journal AFTER INSERT OR UPDATE ON public.bugs FOR EACH ROW
    WHEN (pg_catalog.current_setting('ctodb.import_run', true) <> '') EXECUTE FUNCTION ctodb.journal_import();
CREATE TRIGGER project_metrics_import_journal AFTER INSERT OR UPDATE ON public.project_metrics FOR EACH ROW
    WHEN (pg_catalog.current_setting('ctodb.import_run', true) <> '') EXECUTE FUNCTION ctodb.journal_import();

-- The columns ctodb keeps itself (scores, timestamps of the row, the due instant, the
-- search vector): never an import's change, never a person's.
CREATE FUNCTION ctodb.import_kept_columns() RETURNS text[] LANGUAGE sql IMMUTABLE
    RETURN '{updated_at,priority_score,due_at,revenue_projection_12m,dcf_valuation,roi_score,health_score,last_synced_at}'::text[];

-- Each row of the run once: its state before the run (NULL: the run inserted it) and after
-- it, with the columns the run changed.
CREATE FUNCTION ctodb.import_run_rows(run uuid)
    RETURNS TABLE (table_name text, row_id uuid, before jsonb, after jsonb, changed text[])
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT f.table_name, f.row_id, f.before, l.after,
           ARRAY(SELECT a.key FROM pg_catalog.jsonb_each(l.after) a
                 WHERE a.key <> ALL (ctodb.import_kept_columns())
                   AND (f.before IS NULL OR f.before -> a.key IS DISTINCT FROM a.value)
                 ORDER BY a.key)
    FROM (SELECT DISTINCT ON (c.table_name, c.row_id) c.table_name, c.row_id, c.before
          FROM ctodb.import_changes c WHERE c.run_id = run
          ORDER BY c.table_name, c.row_id, c.seq) f
    JOIN (SELECT DISTINCT ON (c.table_name, c.row_id) c.table_name, c.row_id, c.after
          FROM ctodb.import_changes c WHERE c.run_id = run
          ORDER BY c.table_name, c.row_id, c.seq DESC) l
      ON l.table_name = f.table_name AND l.row_id = f.row_id;
END;

-- Why the run cannot be undone: each row a later change touched, named as a person reads
-- it. A row counts as touched when a column the run wrote now holds another value (or the
-- row is gone), when a later run changed it, when a bug has history after the run, or when
-- a row the run inserted is referred to by a row it did not insert.
CREATE FUNCTION ctodb.import_undo_conflicts(run uuid)
    RETURNS TABLE (table_name text, label text, reason text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    finished timestamptz;
BEGIN
    SELECT l.finished_at INTO finished FROM public.import_logs l WHERE l.id = run;
    RETURN QUERY
    WITH run_rows AS (SELECT * FROM ctodb.import_run_rows(run)),
    present AS (
        SELECT r.*, CASE r.table_name
                        WHEN 'users' THEN (SELECT pg_catalog.to_jsonb(u) FROM public.users u WHERE u.id = r.row_id)
                        WHEN 'projects' THEN (SELECT pg_catalog.to_jsonb(p) FROM public.projects p WHERE p.id = r.row_id)
                        WHEN 'bugs' THEN (SELECT pg_catalog.to_jsonb(b) FROM public.bugs b WHERE b.id = r.row_id)
                        ELSE (SELECT pg_catalog.to_jsonb(m) FROM public.project_metrics m WHERE m.id = r.row_id)
                    END AS now
        FROM run_rows r
    ),
    named AS (
        SELECT c.*, CASE c.table_name
                        WHEN 'users' THEN c.after ->> 'email'
                        WHEN 'projects' THEN c.after ->> 'name'
                        WHEN 'bugs' THEN '#' || (c.after ->> 'bug_number')
                        ELSE (SELECT p.name FROM public.projects p WHERE p.id = (c.after ->> 'project_id')::uuid)
                             || ' ' || (c.after ->> 'metric_date')
                    END AS label
        FROM present c
    ),
    inserted AS (SELECT r.row_id FROM run_rows r WHERE r.before IS NULL)
    SELECT n.table_name, n.label, why.reason
    FROM named n
    CROSS JOIN LATERAL (
        SELECT 'deleted since' AS reason WHERE n.now IS NULL AND n.before IS NOT NULL
        UNION ALL
        SELECT 'changed since: ' || pg_catalog.string_agg(col, ', ' ORDER BY col)
        FROM pg_catalog.unnest(n.changed) col
        WHERE n.now IS NOT NULL AND n.now -> col IS DISTINCT FROM n.after -> col
        HAVING pg_catalog.count(*) > 0
        UNION ALL
        SELECT 'changed by a later import' WHERE EXISTS (
            SELECT 1 FROM ctodb.import_changes c JOIN public.import_logs l ON l.id = c.run_id
            WHERE c.table_name = n.table_name AND c.row_id = n.row_id AND c.run_id <> run
              AND l.started_at > (SELECT s.started_at FROM public.import_logs s WHERE s.id = run)
              AND NOT EXISTS (SELECT 1 FROM ctodb.import_undone u WHERE u.run_id = c.run_id))
        UNION ALL
        SELECT 'has history after the import' WHERE n.table_name = 'bugs' AND EXISTS (
            SELECT 1 FROM public.bug_history h WHERE h.bug_id = n.row_id AND h.changed_at > finished)
        UNION ALL
        SELECT 'has bugs or metrics the import did not bring' WHERE n.table_name = 'projects' AND n.before IS NULL
          AND (EXISTS (SELECT 1 FROM public.bugs b WHERE b.project_id = n.row_id
                       AND b.id NOT IN (SELECT i.row_id FROM inserted i))
               OR EXISTS (SELECT 1 FROM public.project_metrics m WHERE m.project_id = n.row_id
                          AND m.id NOT IN (SELECT i.row_id FROM inserted i)))
        UNION ALL
        SELECT 'is named by rows the import did not bring' WHERE n.table_name = 'users' AND n.before IS NULL
          AND (EXISTS (SELECT 1 FROM public.projects p WHERE p.owner_id = n.row_id
                       AND p.id NOT IN (SELECT i.row_id FROM inserted i))
               OR EXISTS (SELECT 1 FROM public.bugs b WHERE (b.reporter_id = n.row_id OR b.assignee_id = n.row_id)
                          AND b.id NOT IN (SELECT i.row_id FROM inserted i))
               OR EXISTS (SELECT 1 FROM public.bug_history h WHERE h.changed_by = n.row_id)
               OR EXISTS (SELECT 1 FROM public.audit_log a WHERE a.actor_id = n.row_id)
               OR EXISTS (SELECT 1 FROM public.import_logs l WHERE l.imported_by = n.row_id))
    ) why
    ORDER BY n.table_name, n.label;
END $$;

-- Reverts the run: the rows it inserted deleted (bugs and metrics first, then projects,
-- then people), the columns it changed restored to their values before it. The caller
-- has locked the rows and found no conflict, in the same transaction.
CREATE FUNCTION ctodb.undo_import(run uuid)
    RETURNS TABLE (table_name text, deleted bigint, restored bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    t text;
    r record;
    assignments text;
    removed bigint;
    put_back bigint;
BEGIN
    FOREACH t IN ARRAY ARRAY['bugs', 'project_metrics', 'projects', 'users'] LOOP
        EXECUTE pg_catalog.format(
            'DELETE FROM public.%I x USING ctodb.import_run_rows($1) r
             WHERE r.table_name = %L AND r.before IS NULL AND x.id = r.row_id', t, t)
            USING run;
        GET DIAGNOSTICS removed = ROW_COUNT;
        put_back := 0;
        FOR r IN SELECT * FROM ctodb.import_run_rows(run) rr
                 WHERE rr.table_name = t AND rr.before IS NOT NULL AND pg_catalog.cardinality(rr.changed) > 0 LOOP
            SELECT pg_catalog.string_agg(pg_catalog.format('%I = b.%I', col, col), ', ')
            INTO assignments FROM pg_catalog.unnest(r.changed) col;
            EXECUTE pg_catalog.format(
                'UPDATE public.%I x SET %s FROM (SELECT (pg_catalog.jsonb_populate_record(NULL::public.%I, $1)).*) b
                 WHERE x.id = $2', t, assignments, t)
                USING r.before, r.row_id;
            put_back := put_back + 1;
        END LOOP;
        table_name := t;
        deleted := removed;
        restored := put_back;
        RETURN NEXT;
    END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION ctodb.undo_import(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ctodb.import_undo_conflicts(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ctodb.import_run_rows(uuid) FROM PUBLIC;
