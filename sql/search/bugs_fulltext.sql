-- Answers: bugs whose title and description match the words (full text, English stems),
-- best ranked first (ts_rank: term frequency and proximity; cover density ranking costs a
-- third more at a million bugs), with the score (ctodb search). Runs first: at a million
-- bugs it is the cheap way to rank (trigram over descriptions takes seconds, ANCHORS.md).
-- Followed by search/bug_rows.sql.
-- Parameters: $1 search text (whole words), $2 limit, $3 partial words as prefixes in
-- to_tsquery syntax ("dashb:* & paym:*", or empty; built by ctodb search from words of
-- letters and digits only), $4 the bug number the search starts above (0: every bug;
-- for words expected in more than 20,000 bugs ctodb search ranks only the newest bugs
-- that hold about that many matches: queries/search.rs, MAX_RANKED_MATCHES).
-- Index: bug_search_vector_idx (@@), and bug_search_pkey for the newest bugs, on
-- ctodb.bug_search, the narrow relation of the documents (bug_number and vector, 340 MB at xl against the bugs heap's 770 MB or more):
-- ranking reads every match's vector, and the most common words match a third of all
-- bugs. Only the best rows are joined back to bugs for their title and status.
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) && to_tsquery('english', $3::text) AS ts),
best AS (
    SELECT s.bug_number, ts_rank(s.search_vector, q.ts, 32) AS rank
    FROM ctodb.bug_search s, q
    WHERE s.search_vector @@ q.ts
      AND ($4::bigint = 0 OR s.bug_number > $4::bigint)
    ORDER BY rank DESC, s.bug_number
    LIMIT $2
)
