-- Answers: the words of the search dictionary found in the most documents (ctodb doctor
-- searches for them: the worst case of bugs_fulltext, whose cost grows with the matches).
-- Parameters: $1 how many.
-- Index: none; the dictionary is small (distinct words of titles, descriptions and names).
SELECT w.word, w.ndoc
FROM search_words w
ORDER BY w.ndoc DESC, w.word
LIMIT $1
