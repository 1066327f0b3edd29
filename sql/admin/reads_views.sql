-- Answers: whether this transaction reads the views of an earlier instant (set by
-- sql/admin/read_as_of.sql), where no index of the tables serves a sort key: a page is
-- then one pass over the reconstructed bugs (bugs/page_all) rather than a run per status
-- and severity, each of which would reconstruct them all again.
-- Parameters: none.
SELECT current_setting('search_path') LIKE 'ctodb_as_of,%' AS views
