-- Rebuilds the search dictionary (the distinct words of bug titles and project names,
-- with how many of them use each) after bulk writes: seed and imports. Through the
-- owner's function, so that a writer role may do it (migration least_privilege).
-- Parameters: none.
SELECT ctodb.refresh_search_words()
