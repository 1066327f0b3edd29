-- Answers: bugs whose title and description match the words, best ranked first, with the
-- score (ctodb search), as search/bugs_fulltext answers, through the RUM index where the
-- server has it (migration 20261204170000_ranked_search): the index returns the matches
-- nearest first (`<=>`, its distance of a document to the query), so only the nearest few
-- hundred are read, however many match; those are ranked as search/bugs_fulltext ranks
-- (ts_rank, then the number). The nearest 200 (or ten times the limit) hold the top of
-- ts_rank's order: on every case of bench/search_index.py at xl and 10M the twenty were
-- the same (BENCHMARKS.md, "Search at the limit").
-- Followed by search/bug_rows.sql.
-- Parameters: $1 search text (whole words), $2 limit, $3 partial words as prefixes in
-- to_tsquery syntax (or empty).
-- Index: bug_search_rum_idx (@@, ordered by <=>) on ctodb.bug_search.
-- The query is written out where it is used (not shared through a CTE, which the planner
-- would materialize, and then could not order the index scan by it).
WITH near AS (
    SELECT s.bug_number, s.search_vector
    FROM ctodb.bug_search s
    WHERE s.search_vector @@ (websearch_to_tsquery('english', $1::text) && to_tsquery('english', $3::text))
    ORDER BY s.search_vector <=> (websearch_to_tsquery('english', $1::text) && to_tsquery('english', $3::text))
    LIMIT greatest(200, $2::bigint * 10)
),
best AS (
    SELECT near.bug_number, ts_rank(near.search_vector, (websearch_to_tsquery('english', $1::text) && to_tsquery('english', $3::text)), 32) AS rank
    FROM near
    ORDER BY rank DESC, near.bug_number
    LIMIT $2
)
