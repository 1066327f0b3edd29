-- Answers: the words of the search dictionary found in the most documents (ctodb doctor
-- searches for them: the worst case of bugs_fulltext, whose cost grows with the matches).
-- Parameters: $1 how many. With how many documents hold each, how many bugs there are
-- and the newest bug's number (what ctodb search reads to choose its window).
-- Index: none; the dictionary is small (distinct words of titles, descriptions and names).
SELECT w.word, w.ndoc::bigint AS ndoc, (SELECT coalesce(sum(n.bugs), 0) FROM ctodb.bug_counts n)::bigint AS bugs,
       (SELECT coalesce(max(s.bug_number), 0) FROM ctodb.bug_search s) AS newest
FROM search_words w
ORDER BY w.ndoc DESC, w.word
LIMIT $1
