-- Rebuilds the search dictionary only if the searched text (bug documents, project
-- names) changed since it was built (the nightly refresh changes scores, never text).
-- Parameters: none. Returns whether it rebuilt.
SELECT ctodb.refresh_search_words(true) AS rebuilt
