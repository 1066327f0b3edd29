-- Answers: bugs whose title and description hold some of the words, best ranked first,
-- with the score (ctodb search). Fills up the list when the bugs holding every word
-- (search/bugs_fulltext) were fewer than asked: a query with one unknown word, or two
-- words rarely found together, still lists what mentions the others, ranked as full text
-- ranks (bugs holding more of the words and holding them more often first).
-- Followed by search/bug_rows.sql.
-- Parameters: $1 the query's whole words joined by " or " (websearch syntax; the words
-- are letters and digits only), $2 limit, $3 bug numbers already found (bigint[]), $4
-- its partial words as prefixes joined by " | " ("dashb:* | paym:*", or empty), $5 the
-- bug number the search starts above (0: every bug; see search/bugs_fulltext).
-- Index: bug_search_vector_idx (@@) on ctodb.bug_search, or a parallel scan of that narrow
-- relation when the words are common: either way no more than reading its 340 MB once.
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) || to_tsquery('english', $4::text) AS ts),
best AS (
    SELECT s.bug_number, ts_rank(s.search_vector, q.ts, 32) AS rank
    FROM ctodb.bug_search s, q
    WHERE s.search_vector @@ q.ts
      AND NOT (s.bug_number = ANY ($3::bigint[]))
      AND ($5::bigint = 0 OR s.bug_number > $5::bigint)
    ORDER BY rank DESC, s.bug_number
    LIMIT $2
)
