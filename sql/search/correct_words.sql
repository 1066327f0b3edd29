-- Answers: the dictionary word closest to each word of the query (typo correction before
-- searching: "lgoin timout" becomes "login timeout"). A word the data holds is kept as
-- typed ("double charge" is not "doubl charg"). An unknown word of 3 or 4 letters
-- within edit distance 1 of a known word, or a longer one within 2, is replaced by the
-- nearest such word (the most frequent among equals); other words are kept. Says too
-- whether the data holds the word at all (a word in no bug or project would only empty
-- the full-text AND, and ctodb search leaves it out when other words remain), whether it
-- is a stop word, and whether it begins words of the data (a partial word).
-- Parameters: $1 the query words (text[], lower-case).
-- Index: the dictionary is small (distinct words of titles and names); levenshtein scans it.
SELECT c.ord, c.typed, c.corrected,
       -- whether some bug or project holds the (corrected) word: it is in the dictionary
       -- as typed (project names are there unstemmed) or each of its English stems is. A
       -- stop word has no stem and counts as known (full-text search drops it anyway).
       (EXISTS (SELECT 1 FROM search_words d WHERE d.word = c.corrected)
        OR NOT EXISTS (SELECT 1
                       FROM unnest(tsvector_to_array(to_tsvector('english', c.corrected))) AS l (lexeme)
                       WHERE NOT EXISTS (SELECT 1 FROM search_words d WHERE d.word = l.lexeme))) AS known,
       -- how many documents hold its stem (the fewest of its stems; NULL for a stop word or
       -- an unknown word), and how many bugs there are: ctodb search reads the share of
       -- matches to choose how to scan
       (SELECT min(d.ndoc)
        FROM unnest(tsvector_to_array(to_tsvector('english', c.corrected))) AS l (lexeme)
        JOIN search_words d ON d.word = l.lexeme)::bigint AS ndoc,
       (SELECT coalesce(sum(n.bugs), 0) FROM ctodb.bug_counts n)::bigint AS bugs,
       -- the newest bug's number (bug_search_pkey, one entry): a search of words in very
       -- many bugs ranks the newest of them
       (SELECT coalesce(max(s.bug_number), 0) FROM ctodb.bug_search s) AS newest,
       -- a stop word: English full text has no stem for it ("the", "of", "is")
       to_tsvector('english', c.corrected) = ''::tsvector AS stop,
       -- how many documents hold the words it begins ("dashb" of "dashboard"; NULL when
       -- it begins none): ctodb search reads it for a word it does not know, which it
       -- searches as a prefix
       (SELECT sum(d.ndoc)
        FROM search_words d
        WHERE starts_with(d.word, c.corrected) AND d.word <> c.corrected)::bigint AS prefix_ndoc
FROM (
    SELECT q.ord, q.word AS typed,
           -- a word the data holds (as itself, or each of its stems: "double" is in the
           -- dictionary as "doubl") is never corrected, only an unknown one
           CASE WHEN EXISTS (SELECT 1 FROM search_words d WHERE d.word = q.word)
                  OR NOT EXISTS (SELECT 1
                                 FROM unnest(tsvector_to_array(to_tsvector('english', q.word))) AS l (lexeme)
                                 WHERE NOT EXISTS (SELECT 1 FROM search_words d WHERE d.word = l.lexeme))
                THEN q.word
                ELSE coalesce((SELECT d.word
                               FROM search_words d
                               WHERE length(q.word) >= 3
                                 AND levenshtein_less_equal(d.word, q.word, 2)
                                     <= CASE WHEN length(q.word) >= 5 THEN 2 ELSE 1 END
                               ORDER BY levenshtein(d.word, q.word), d.ndoc DESC, d.word
                               LIMIT 1), q.word)
           END AS corrected
    FROM unnest($1::text[]) WITH ORDINALITY AS q (word, ord)
) c
ORDER BY c.ord
