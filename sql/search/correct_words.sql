-- Answers: the dictionary word closest to each word of the query (typo correction before
-- searching: "lgoin timout" becomes "login timeout"). An unknown word of 3 or 4 letters
-- within edit distance 1 of a known word, or a longer one within 2, is replaced by the
-- nearest such word (the most frequent among equals); other words are kept.
-- Parameters: $1 the query words (text[], lower-case).
-- Index: the dictionary is small (distinct words of titles and names); levenshtein scans it.
SELECT q.ord, q.word AS typed,
       coalesce((SELECT d.word
                 FROM search_words d
                 WHERE d.word = q.word
                    OR (length(q.word) >= 3
                        AND levenshtein_less_equal(d.word, q.word, 2)
                            <= CASE WHEN length(q.word) >= 5 THEN 2 ELSE 1 END)
                 ORDER BY d.word = q.word DESC, levenshtein(d.word, q.word), d.ndoc DESC, d.word
                 LIMIT 1), q.word) AS corrected
FROM unnest($1::text[]) WITH ORDINALITY AS q (word, ord)
ORDER BY q.ord
