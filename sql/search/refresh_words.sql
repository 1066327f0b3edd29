-- Rebuilds the search dictionary (the distinct words of bug titles and project names,
-- with how many of them use each) after bulk writes: seed, refresh, imports.
-- Parameters: none.
REFRESH MATERIALIZED VIEW search_words
