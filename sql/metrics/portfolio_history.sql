-- Answers: the portfolio's daily totals up to the as-of date, oldest first (report
-- portfolio --chart: valuation and ARR over time).
-- Parameters: $1 as-of instant. Index: portfolio_metrics_snapshot_date_key.
SELECT h.snapshot_date, h.total_arr, h.total_valuation
FROM (
    SELECT p.snapshot_date, p.total_arr, p.total_valuation
    FROM portfolio_metrics p
    WHERE p.snapshot_date <= ($1::timestamptz AT TIME ZONE 'UTC')::date
    ORDER BY p.snapshot_date DESC
    LIMIT 730
) h
ORDER BY h.snapshot_date
