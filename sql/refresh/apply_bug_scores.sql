-- Writes the computed priority scores where they changed, and 0 for every bug that is
-- not open (only open bugs score), through the function that keeps the recomputation out
-- of bug_history (migration least_privilege_holds).
-- Parameters: $1 bug ids, $2 their scores (the same order).
SELECT scored, zeroed FROM ctodb.apply_bug_scores($1::uuid[], $2::numeric[])
