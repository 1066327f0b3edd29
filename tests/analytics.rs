//! `ctodb refresh`, `report trends`, `quickstart` and the formula version, against the
//! database. The formulas themselves are pinned by the unit tests in src/analytics.

use serde_json::{json, Value};

use crate::common::{ctodb_command, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn json_of(db: &TestDb, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--as-of", AS_OF, "-f", "json"]);
    serde_json::from_str(&db.run(&all)).expect("valid JSON")
}

#[test]
fn refresh_scores_the_demo_as_documented_and_a_second_run_changes_nothing() {
    let db = TestDb::new("refresh_demo");
    db.run(&["seed", "--as-of", AS_OF]);
    let first = db.run_status(&["refresh", "--as-of", AS_OF]);
    assert_eq!(
        first.trim(),
        "warning: the valuation of project \"Echo Voice Lab\" is undefined: its discount rate does not exceed its terminal growth rate\n\
         refreshed at 2026-11-25T12:00:00Z: 7 bug priorities (0 closed bugs zeroed), 5 projects, 0 monthly rows, 1 portfolio snapshot changed"
    );

    let projects = json_of(&db, &["projects", "--all", "--sort", "name"]);
    let values: Vec<Vec<Value>> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            ["name", "revenue_projection_12m", "dcf_valuation", "roi_score", "health_score"]
                .iter()
                .map(|k| p[*k].clone())
                .collect()
        })
        .collect();
    // Atlas: arr 1.2M, g 25%, margin 30%, infra 8,000, r 12%, tg 3% -> dcf 8,697,556.12;
    //   annual cost 96,000 + engineering Sep+Oct 2 x 38,400 = 172,800; roi = dcf / 172,800 x 9 / 4;
    //   health 100 - 2 critical x 15 - 1 breached x 5 = 65
    // Beacon: dcf 2,068,834.59; cost 42,000 + 2 x 17,600 = 77,200; roi x 7 / 3; health 100 - 5
    // Comet: margin 5% cannot cover 72,000 of infra: dcf -499,150.08; cost 120,000; health 100
    // Drift: dcf 3,289,019.19; cost 24,000 + 2 x 3,600 = 31,200; roi x 3 / 2; health 100 - 5
    // Echo: r 3% = tg 3%: no valuation, no ROI; paused for 14 days: health 100 - 20
    assert_eq!(
        values,
        vec![
            vec![
                json!("Atlas Payments"),
                json!("1500000.00"),
                json!("8697556.12"),
                json!(113.2494),
                json!(65)
            ],
            vec![
                json!("Beacon Analytics"),
                json!("630000.00"),
                json!("2068834.59"),
                json!(62.5295),
                json!(95)
            ],
            vec![json!("Comet Mobile"), json!("330000.00"), json!("-499150.08"), json!(-4.9915), json!(100)],
            vec![
                json!("Drift Legacy CRM"),
                json!("816000.00"),
                json!("3289019.19"),
                json!(158.1259),
                json!(95)
            ],
            vec![json!("Echo Voice Lab"), json!("0.00"), json!(null), json!(null), json!(80)],
        ]
    );

    let bugs = json_of(&db, &["bugs"]);
    let scores: Vec<(i64, f64)> = bugs
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["bug"].as_i64().unwrap(), b["priority"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        scores,
        vec![
            (11, 79.0), // medium 15 + revenue min(30, 45) 30 + blocker 20 + age 4 days 4 + breached 10
            (1, 75.0),  // critical 40 + 5,000/1,000 5 + blocker 20 + age 0 + breached 10
            (2, 47.5),  // critical 40 + 2.5 + at risk 5
            (4, 41.0),  // high 30 + age 1 + breached 10
            (5, 22.15), // medium 15 + 0.15 + age 2 + at risk 5
            (7, 15.0),  // low 5 + age 10
            (12, 7.0),  // low 5 + age 2
        ]
    );
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE status NOT IN ('pending', 'in_progress') AND priority_score <> 0"), 0);
    assert_eq!(db.count("SELECT count(*) FROM portfolio_metrics WHERE snapshot_date = '2026-11-25'"), 1);
    assert_eq!(
        db.count("SELECT (open_bugs * 100 + critical_open_bugs * 10 + sla_breaches)::bigint FROM portfolio_metrics"),
        7 * 100 + 2 * 10 + 3
    );
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), 4, "refresh is not history");

    let fingerprint = |db: &TestDb| -> String {
        db.client()
            .query_one(
                "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
                     SELECT id::text || updated_at::text AS x FROM bugs
                     UNION ALL SELECT id::text || updated_at::text FROM projects
                     UNION ALL SELECT id::text || updated_at::text FROM monthly_metrics
                     UNION ALL SELECT id::text || created_at::text FROM portfolio_metrics) rows",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let before = fingerprint(&db);
    let second = db.run_status(&["refresh", "--as-of", AS_OF]);
    assert!(
        second.contains("0 bug priorities (0 closed bugs zeroed), 0 projects, 0 monthly rows, 0 portfolio snapshot changed"),
        "{second}"
    );
    assert_eq!(fingerprint(&db), before);
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), 4);
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'refresh'"), 2);
}

#[test]
fn bug_show_prints_the_priority_term_by_term() {
    let db = TestDb::new("refresh_breakdown");
    db.run(&["seed", "--as-of", AS_OF]);
    let shown = json_of(&db, &["bug", "show", "11"]);
    let terms: Vec<(String, f64)> = shown["priority_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["term"].as_str().unwrap().to_string(), t["points"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        terms,
        vec![
            ("severity".into(), 15.0),
            ("revenue".into(), 30.0),
            ("blocker".into(), 20.0),
            ("age".into(), 4.0),
            ("sla".into(), 10.0),
            ("priority_score".into(), 79.0),
        ]
    );
}

#[test]
fn trends_report_rates_changes_and_slope() {
    let db = TestDb::new("trends_demo");
    db.run(&["seed", "--as-of", AS_OF]);
    let report = json_of(&db, &["report", "trends", "--months", "3"]);
    let months: Vec<Vec<Value>> = report["trends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            [
                "month",
                "bugs_opened",
                "bugs_opened_mom_pct",
                "bugs_opened_rolling_3",
                "resolution_rate",
                "mttr_hours",
                "cost_per_resolved_bug",
            ]
            .iter()
            .map(|k| m[*k].clone())
            .collect()
        })
        .collect();
    // September: nothing opened (rate NULL); October: #9 and #10; November: the other 10,
    // 4 resolved (#3 20 h, #6 100 h, #8 3 h, #10 800 h): mttr 230.75, 94,000 / 4 = 23,500
    assert_eq!(
        months,
        vec![
            vec![
                json!("2026-09-01"),
                json!(0),
                json!(null),
                json!(null),
                json!(null),
                json!(null),
                json!(null)
            ],
            vec![
                json!("2026-10-01"),
                json!(2),
                json!(null),
                json!(null),
                json!(0.0),
                json!(null),
                json!(null)
            ],
            vec![
                json!("2026-11-01"),
                json!(10),
                json!(400.0),
                json!(4.0),
                json!(0.4),
                json!(230.75),
                json!("23500.00")
            ],
        ]
    );
    // slope of 0, 2, 10 over x = 0, 1, 2: Σ(x-1)(y-4) = 4 + 0 + 6 = 10; Σ(x-1)² = 2 -> 5
    assert_eq!(report["inflow"], json!([{"months": 3, "bugs_opened_slope_per_month": 5.0}]));
}

#[test]
fn reports_agree_with_hand_written_sql_on_a_generated_set() {
    let db = TestDb::new("reports_vs_sql");
    db.run(&["seed", "--bugs", "20000", "--as-of", AS_OF]);
    db.run(&["refresh", "--as-of", AS_OF]);
    let stats = json_of(&db, &["report", "bugs"]);
    let mut client = db.client();
    for row in stats.as_array().unwrap() {
        let severity = row["severity"].as_str().unwrap();
        let expected = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'pending'),
                        count(*) FILTER (WHERE status IN ('verified', 'shipped', 'closed')),
                        count(*) FILTER (WHERE (status IN ('pending', 'in_progress') AND $2::timestamptz > created_at + sla_hours * interval '1 hour')
                                            OR resolved_at > created_at + sla_hours * interval '1 hour')
                 FROM bugs WHERE severity::text = $1",
                &[&severity, &chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap()],
            )
            .unwrap();
        assert_eq!(row["pending"].as_i64().unwrap(), expected.get::<_, i64>(0), "{severity} pending");
        assert_eq!(row["resolved"].as_i64().unwrap(), expected.get::<_, i64>(1), "{severity} resolved");
        assert_eq!(row["breached"].as_i64().unwrap(), expected.get::<_, i64>(2), "{severity} breached");
    }
    let overview = json_of(&db, &["report", "portfolio"]);
    let open_breached = db.count(&format!(
        "SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND created_at + sla_hours * interval '1 hour' < '{AS_OF}'"
    ));
    assert_eq!(overview["overview"][0]["sla_breaches"].as_i64().unwrap(), open_breached);
    // priorities: recomputed by hand in SQL for every open bug
    let mismatches = db.count(&format!(
        "SELECT count(*) FROM (
           SELECT priority_score,
                  round(least(100,
                      CASE severity WHEN 'critical' THEN 40 WHEN 'high' THEN 30 WHEN 'medium' THEN 15 ELSE 5 END
                      + least(30, revenue_impact_daily / 1000)
                      + CASE WHEN is_blocker THEN 20 ELSE 0 END
                      + least(10, greatest(0, floor(extract(epoch FROM '{AS_OF}'::timestamptz - created_at) / 86400)))
                      + CASE WHEN '{AS_OF}'::timestamptz > due_at THEN 10
                             WHEN '{AS_OF}'::timestamptz - created_at >= 0.75 * sla_hours * interval '1 hour' THEN 5
                             ELSE 0 END), 2) AS expected
           FROM bugs WHERE status IN ('pending', 'in_progress')) s
         WHERE priority_score <> expected"
    ));
    assert_eq!(mismatches, 0);
}

#[test]
fn quickstart_creates_seeds_refreshes_and_reports_once() {
    let db = TestDb::empty_name("quickstart");
    let run = || -> CliOutput {
        ctodb_command(Some(&db.url))
            .args(["quickstart", "--as-of", AS_OF, "-f", "table"])
            .output()
            .unwrap()
            .into()
    };
    let first = run();
    let out = first.ok();
    let status = first.stderr_text();
    assert!(status.contains(&format!("created database {}", db.name)), "{status}");
    assert!(status.contains("seeded demo"), "{status}");
    assert!(status.contains("refreshed at 2026-11-25T12:00:00Z"), "{status}");
    // stdout is the portfolio report alone
    assert!(out.starts_with("Portfolio\n"), "{out}");
    assert!(out.contains("Top projects by ROI"), "{out}");
    assert!(out.contains("│ Drift Legacy CRM"), "{out}");
    let second = run();
    let status = second.stderr_text();
    assert!(second.ok().starts_with("Portfolio\n"));
    assert!(status.contains("the database already has projects: not seeding"), "{status}");
    assert!(!status.contains("seeded demo"));
    assert_eq!(db.count("SELECT count(*) FROM projects"), 5);
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'seed'"), 1);
}

#[test]
fn the_version_names_the_formula_version() {
    let out: CliOutput = ctodb_command(None).arg("--version").output().unwrap().into();
    // the formula version first, then the schema and the commit (tests/polish.rs)
    assert!(out.ok().starts_with(&format!("ctodb {} (formulas: 1, schema: ", env!("CARGO_PKG_VERSION"))));
}
