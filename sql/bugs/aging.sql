-- Answers: how long the open bugs have waited (ctodb report aging): for each severity,
-- then for all of them, the open bugs by age from created_at to the as-of instant in
-- days [0, 1), [1, 7), [7, 30), [30, 90) and 90 or more (a bug created after the as-of
-- instant counts as under a day, so the counts add up to the overview's open bugs); the
-- oldest open bug (earliest created_at, then lowest number) and its age in whole days;
-- how many are past their SLA due instant, and their share of the open bugs rounded
-- half away from zero to 4 places (NULL without open bugs).
-- Parameters: $1 as-of instant.
-- Index: bugs_page_created_idx (status, severity, created_at DESC, bug_number) gives the
-- open bugs in two ranges; due_at comes from their rows.
WITH open_bugs AS (
    SELECT severity, bug_number, created_at,
           greatest($1 - created_at, interval '0') AS age,
           due_at < $1 AS past_sla
    FROM bugs
    WHERE status IN ('pending', 'in_progress')
)
SELECT CASE WHEN grouping(s.severity) = 1 THEN 'all' ELSE s.severity::text END AS severity,
       count(b.bug_number) AS open_bugs,
       count(*) FILTER (WHERE b.age < interval '1 day') AS under_1_day,
       count(*) FILTER (WHERE b.age >= interval '1 day' AND b.age < interval '7 days') AS days_1_to_7,
       count(*) FILTER (WHERE b.age >= interval '7 days' AND b.age < interval '30 days') AS days_7_to_30,
       count(*) FILTER (WHERE b.age >= interval '30 days' AND b.age < interval '90 days') AS days_30_to_90,
       count(*) FILTER (WHERE b.age >= interval '90 days') AS over_90_days,
       (array_agg(b.bug_number ORDER BY b.created_at, b.bug_number))[1] AS oldest_bug,
       floor(extract(epoch FROM max(b.age)) / 86400)::integer AS oldest_age_days,
       count(*) FILTER (WHERE b.past_sla) AS past_sla,
       ctodb_round_ratio(count(*) FILTER (WHERE b.past_sla), count(b.bug_number), 4)::numeric(6,4) AS past_sla_share
FROM unnest(enum_range(NULL::bug_severity)) AS s(severity)
LEFT JOIN open_bugs b ON b.severity = s.severity
GROUP BY ROLLUP (s.severity)
ORDER BY grouping(s.severity), s.severity
