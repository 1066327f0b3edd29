-- Least privilege (ctodb grants): refresh and imports rebuild the search dictionary, and
-- a writer role runs them, but REFRESH MATERIALIZED VIEW needs the view's owner. The
-- owner lends exactly that through this function; EXECUTE is granted to the writer
-- role only (ctodb grants --writer), not to every role.
CREATE FUNCTION ctodb.refresh_search_words() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
BEGIN
    REFRESH MATERIALIZED VIEW public.search_words;
END
$$;

REVOKE EXECUTE ON FUNCTION ctodb.refresh_search_words() FROM PUBLIC;
