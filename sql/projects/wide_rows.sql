-- Answers: every stored column of the page's projects (ctodb projects --wide), the owner
-- by e-mail: what a spreadsheet needs to edit projects and import them back.
-- Index: users_pkey for the owners.
SELECT page.id, page.name, page.description, page.status::text AS status, page.tags,
       page.github_repo, page.primary_language, page.github_stars, owner.email AS owner,
       page.arr, page.revenue_growth_rate, page.operating_margin, page.discount_rate,
       page.terminal_growth_rate, page.monthly_infra_cost, page.complexity_score,
       page.appeal_score, page.revenue_projection_12m, page.dcf_valuation, page.roi_score,
       page.health_score, page.created_at, page.updated_at, page.last_synced_at
FROM page
LEFT JOIN users owner ON owner.id = page.owner_id
ORDER BY page.rank
