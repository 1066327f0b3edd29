-- Least privilege that holds (issue 35). What a function run as its owner, a view, or a
-- trigger parses when it runs is parsed with the search_path of that moment, and pg_temp
-- comes first in it unless it is named: a writer could put a temporary `projects` view
-- in front of the real table and have the dictionary's REFRESH, which runs as the owner,
-- call its own function. PostgreSQL 17 and later also run REFRESH (and, from 18, CREATE
-- MATERIALIZED VIEW) with search_path = pg_catalog, pg_temp, where `projects` alone
-- names nothing. So every such text names its objects with their schema, and every
-- SECURITY DEFINER function fixes its search_path with pg_temp last.

-- The search dictionary, as before, with every name schema-qualified inside the text
-- ts_stat parses at each REFRESH.
DROP MATERIALIZED VIEW public.search_words;
CREATE MATERIALIZED VIEW public.search_words AS
SELECT w.word, w.ndoc
FROM pg_catalog.ts_stat($q$SELECT s.search_vector FROM ctodb.bug_search s
              UNION ALL SELECT pg_catalog.to_tsvector('simple'::pg_catalog.regconfig, p.name) FROM public.projects p$q$) AS w
WHERE pg_catalog.length(w.word) BETWEEN 2 AND 64;

CREATE OR REPLACE FUNCTION ctodb.refresh_search_words(only_if_changed boolean DEFAULT false) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    seen bigint;
BEGIN
    SELECT CASE WHEN c.is_called THEN c.last_value ELSE 0 END INTO seen FROM ctodb.search_text_changes c;
    IF only_if_changed AND seen = (SELECT b.changes FROM ctodb.search_words_built b) THEN
        RETURN false;
    END IF;
    REFRESH MATERIALIZED VIEW public.search_words;
    UPDATE ctodb.search_words_built SET changes = seen;
    RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION ctodb.refresh_search_words(boolean) FROM PUBLIC;

-- The trigger functions, their names qualified, so that they mean the same whatever the
-- search_path of the session that fires them.
CREATE OR REPLACE FUNCTION public.ctodb_bugs_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sla_hours IS NULL THEN
        NEW.sla_hours := public.ctodb_default_sla_hours(NEW.severity);
    ELSIF TG_OP = 'UPDATE' AND NEW.severity IS DISTINCT FROM OLD.severity
          AND NEW.sla_hours = OLD.sla_hours
          AND OLD.sla_hours = public.ctodb_default_sla_hours(OLD.severity) THEN
        NEW.sla_hours := public.ctodb_default_sla_hours(NEW.severity);
    END IF;
    NEW.due_at := NEW.created_at + pg_catalog.make_interval(hours => NEW.sla_hours);
    IF NEW.status IN ('verified', 'shipped', 'closed') THEN
        IF NEW.resolved_at IS NULL THEN
            NEW.resolved_at := greatest(pg_catalog.now(), NEW.created_at);
        END IF;
    ELSE
        NEW.resolved_at := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION public.ctodb_bug_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ctodb.bug_search (bug_number, search_vector)
    SELECT c.bug_number, public.ctodb_bug_document(c.title, c.description) FROM changed c;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public.ctodb_bug_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ctodb.bug_search
    SET bug_number = NEW.bug_number, search_vector = public.ctodb_bug_document(NEW.title, NEW.description)
    WHERE bug_number = OLD.bug_number;
    RETURN NULL;
END
$$;

-- History that cannot be hidden. bug_history now also keeps the text fields a sync or an
-- import changes (title, description, labels, project), so `bug show` tells what changed
-- them. The nightly recomputation is still not history (SPEC §4), but the session
-- setting alone no longer says so: any session may set ctodb.refresh. Its changes are
-- skipped only when they are made as the owner of the bugs table, which a writer becomes
-- only inside ctodb.apply_bug_scores below, and only for the priority score.
ALTER TABLE public.bug_history DROP CONSTRAINT bug_history_field_check;
ALTER TABLE public.bug_history ADD CONSTRAINT bug_history_field_check
    CHECK (field IN ('status', 'severity', 'assignee_id', 'priority_score', 'is_blocker',
                     'title', 'description', 'labels', 'project_id'));

-- Which command made a change (`import github`, `bug update`: the session setting
-- ctodb.via, set by each writing run of ctodb), beside the person, if one is named.
ALTER TABLE public.bug_history ADD COLUMN changed_via text;

-- The bug workflow (SPEC §9), as model::BugStatus::next says it (a test compares the
-- two): pending → in_progress → verified → shipped → closed; an open bug may be
-- deferred, a deferred one reopens as pending. A status change that is not a step (an
-- import's jump, a correction) is history all the same, and says so.
CREATE FUNCTION public.ctodb_status_step(old public.bug_status, new public.bug_status) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN old = new OR (old, new) IN (('pending', 'in_progress'), ('pending', 'deferred'),
                                       ('in_progress', 'verified'), ('in_progress', 'deferred'),
                                       ('verified', 'shipped'), ('shipped', 'closed'),
                                       ('deferred', 'pending'));

CREATE OR REPLACE FUNCTION public.ctodb_bug_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor_setting text := nullif(pg_catalog.current_setting('ctodb.actor', true), '');
    via text := nullif(pg_catalog.current_setting('ctodb.via', true), '');
    actor uuid;
BEGIN
    IF pg_catalog.current_setting('ctodb.refresh', true) = 'on'
       AND pg_catalog.pg_has_role(current_user,
               (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER')
       AND (OLD.status, OLD.severity, OLD.assignee_id, OLD.is_blocker, OLD.title, OLD.description,
            OLD.labels, OLD.project_id)
           IS NOT DISTINCT FROM
           (NEW.status, NEW.severity, NEW.assignee_id, NEW.is_blocker, NEW.title, NEW.description,
            NEW.labels, NEW.project_id) THEN
        RETURN NULL;
    END IF;
    IF actor_setting ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        actor := actor_setting::uuid;
    ELSIF actor_setting IS NOT NULL THEN
        SELECT u.id INTO actor FROM public.users u WHERE u.email = pg_catalog.lower(actor_setting);
    END IF;
    INSERT INTO public.bug_history (bug_id, field, old_value, new_value, changed_by, changed_via)
    SELECT NEW.id, change.field, change.old_value, change.new_value, actor,
           CASE WHEN change.field = 'status' AND NOT public.ctodb_status_step(OLD.status, NEW.status)
                     AND pg_catalog.strpos(coalesce(via, ''), '--correct') = 0
                THEN concat_ws(' ', via, '(not a workflow step: a correction)')
                ELSE via END
    FROM (VALUES
        ('status', OLD.status::text, NEW.status::text),
        ('severity', OLD.severity::text, NEW.severity::text),
        ('assignee_id', OLD.assignee_id::text, NEW.assignee_id::text),
        ('priority_score', OLD.priority_score::text, NEW.priority_score::text),
        ('is_blocker', OLD.is_blocker::text, NEW.is_blocker::text),
        ('title', OLD.title, NEW.title),
        ('description', OLD.description, NEW.description),
        ('labels', OLD.labels::text, NEW.labels::text),
        ('project_id', OLD.project_id::text, NEW.project_id::text)
    ) AS change (field, old_value, new_value)
    WHERE change.old_value IS DISTINCT FROM change.new_value;
    RETURN NULL;
END
$$;

DROP TRIGGER bugs_history ON public.bugs;
CREATE TRIGGER bugs_history AFTER UPDATE ON public.bugs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
       OR OLD.severity IS DISTINCT FROM NEW.severity
       OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
       OR OLD.priority_score IS DISTINCT FROM NEW.priority_score
       OR OLD.is_blocker IS DISTINCT FROM NEW.is_blocker
       OR OLD.title IS DISTINCT FROM NEW.title
       OR OLD.description IS DISTINCT FROM NEW.description
       OR OLD.labels IS DISTINCT FROM NEW.labels
       OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION public.ctodb_bug_history();

-- The refresh's writes of priority scores, lent to the writer: the scores it computed,
-- passed as values (never a relation of the caller's, whose policies or view definitions
-- would run as this function's owner), where they changed, and 0 for every bug that is
-- not open. Only priority_score changes here, so nothing a person decided can be
-- written without history through it.
CREATE FUNCTION ctodb.apply_bug_scores(ids uuid[], scores numeric[], OUT scored bigint, OUT zeroed bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_catalog.set_config('ctodb.refresh', 'on', true);
    UPDATE public.bugs b
    SET priority_score = s.priority_score
    FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(scores)) AS s (id, priority_score)
    WHERE b.id = s.id AND b.priority_score IS DISTINCT FROM s.priority_score;
    GET DIAGNOSTICS scored = ROW_COUNT;
    UPDATE public.bugs b SET priority_score = 0
    WHERE b.status NOT IN ('pending', 'in_progress') AND b.priority_score <> 0;
    GET DIAGNOSTICS zeroed = ROW_COUNT;
    PERFORM pg_catalog.set_config('ctodb.refresh', 'off', true);
END
$$;
REVOKE EXECUTE ON FUNCTION ctodb.apply_bug_scores(uuid[], numeric[]) FROM PUBLIC;

-- Rows a writer may finish but not rewrite. An import's log row changes only while it is
-- `running` (its end, or its abandonment found by the next import); a run record may be
-- pruned only once 30 days old (and locked for that: FOR UPDATE needs UPDATE). The owner
-- is not subject to these policies; the grants give the writer no other UPDATE or DELETE.
ALTER TABLE public.import_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_logs_read ON public.import_logs FOR SELECT USING (true);
CREATE POLICY import_logs_start ON public.import_logs FOR INSERT WITH CHECK (status = 'running');
CREATE POLICY import_logs_finish ON public.import_logs FOR UPDATE USING (status = 'running') WITH CHECK (true);

ALTER TABLE ctodb.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY runs_read ON ctodb.runs FOR SELECT USING (true);
CREATE POLICY runs_record ON ctodb.runs FOR INSERT WITH CHECK (true);
CREATE POLICY runs_prune_lock ON ctodb.runs FOR UPDATE
    USING (committed_at < pg_catalog.now() - interval '30 days');
CREATE POLICY runs_prune ON ctodb.runs FOR DELETE
    USING (committed_at < pg_catalog.now() - interval '30 days');

-- Daily project metrics are imported too (ctodb import csv --kind metrics): the log names
-- the table they went into.
ALTER TABLE public.import_logs DROP CONSTRAINT import_logs_kind_check;
ALTER TABLE public.import_logs ADD CONSTRAINT import_logs_kind_check
    CHECK (kind IN ('projects', 'bugs', 'users', 'project_metrics'));
