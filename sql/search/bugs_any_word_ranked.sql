-- Answers: bugs whose title and description hold some of the words, best ranked first,
-- with the score (ctodb search), as search/bugs_any_word answers, through the RUM index
-- (see search/bugs_fulltext_ranked): the nearest few hundred matches, ranked by ts_rank.
-- Followed by search/bug_rows.sql.
-- Parameters: $1 the query's whole words joined by " or ", $2 limit, $3 bug numbers
-- already found (bigint[]), $4 its partial words as prefixes joined by " | " (or empty).
-- Index: bug_search_rum_idx (@@, ordered by <=>) on ctodb.bug_search.
-- The query is written out where it is used (not shared through a CTE, which the planner
-- would materialize, and then could not order the index scan by it).
WITH near AS (
    SELECT s.bug_number, s.search_vector
    FROM ctodb.bug_search s
    WHERE s.search_vector @@ (websearch_to_tsquery('english', $1::text) || to_tsquery('english', $4::text))
    ORDER BY s.search_vector <=> (websearch_to_tsquery('english', $1::text) || to_tsquery('english', $4::text))
    LIMIT greatest(200, $2::bigint * 10) + cardinality($3::bigint[])
),
best AS (
    SELECT near.bug_number, ts_rank(near.search_vector, (websearch_to_tsquery('english', $1::text) || to_tsquery('english', $4::text)), 32) AS rank
    FROM near
    WHERE NOT (near.bug_number = ANY ($3::bigint[]))
    ORDER BY rank DESC, near.bug_number
    LIMIT $2
)
