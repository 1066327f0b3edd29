-- Answers: bugs whose title and description hold some of the words, best ranked first,
-- with the score (ctodb search), as search/bugs_any_word answers, through the RUM index
-- (see search/bugs_fulltext_ranked): the nearest few hundred matches, ranked by ts_rank.
-- Followed by search/bug_rows.sql.
-- Parameters: $1 the query's whole words joined by " or ", $2 limit, $3 bug numbers
-- already found (bigint[]), $4 its partial words as prefixes joined by " | " (or empty).
-- Index: bug_search_rum_idx (@@, ordered by <=>) on ctodb.bug_search.
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) || to_tsquery('english', $4::text) AS ts),
near AS (
    SELECT s.bug_number, s.search_vector
    FROM ctodb.bug_search s, q
    WHERE s.search_vector @@ q.ts
    ORDER BY s.search_vector <=> q.ts
    LIMIT greatest(200, $2::bigint * 10) + cardinality($3::bigint[])
),
best AS (
    SELECT near.bug_number, ts_rank(near.search_vector, q.ts, 32) AS rank
    FROM near, q
    WHERE NOT (near.bug_number = ANY ($3::bigint[]))
    ORDER BY rank DESC, near.bug_number
    LIMIT $2
)
