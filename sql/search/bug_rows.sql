-- The rows of the bugs a search chose (this text follows search/bugs_fulltext's or
-- search/bugs_any_word's, which end with the bug numbers and ranks in `best`): each with
-- its title, score and status, best first, and its id (the title fill-up leaves out what
-- was found). Index: bugs_bug_number_key, one lookup a row.
SELECT 'bug' AS kind, b.bug_number::text AS ref, b.title,
       round(best.rank::numeric, 4) AS score,
       b.status::text AS status, b.id
FROM best
JOIN bugs b ON b.bug_number = best.bug_number
ORDER BY best.rank DESC, b.bug_number
