-- Answers: the state of search's ranked index (RUM) once made where the server can make
-- it: present, built, unavailable (the server lacks the rum extension) or needs superuser
-- (the server has it, and CREATE EXTENSION rum needs a superuser). ctodb migrate runs it
-- after the migrations, every time, so a database gains the index once the extension
-- appears. Parameters: none. Builds bug_search_rum_idx (minutes at ten million bugs).
SELECT ctodb.ensure_ranked_search_index() AS state
