//! The stored formulas against an independent exact reference: random projects and bugs
//! with exact decimal inputs (ties planted among them), `ctodb refresh`, and every stored
//! priority, revenue projection, DCF valuation, ROI and health compared with values
//! computed here in rational arithmetic straight from SPEC §6, rounded half away from
//! zero by a rounding written differently from ctodb's.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::common::TestDb;

type Q = BigRational;

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(AS_OF).unwrap().with_timezone(&Utc)
}

fn q(value: Decimal) -> Q {
    Q::new(BigInt::from(value.mantissa()), BigInt::from(10).pow(value.scale()))
}

fn qi(value: i64) -> Q {
    Q::from_integer(BigInt::from(value))
}

/// The reference rounding: split off the whole part and look at the rest; a rest of at
/// least one half goes away from zero. Returns the decimal text with `places` decimals.
fn rounded(x: &Q, places: u32) -> String {
    let scaled = x * qi(10).pow(places as i32);
    let magnitude = scaled.abs();
    let whole = magnitude.trunc();
    let rest = &magnitude - &whole;
    let mut units = whole.to_integer();
    if rest >= Q::new(BigInt::one(), BigInt::from(2)) {
        units += 1;
    }
    let digits = format!("{:0>width$}", units.to_string(), width = places as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - places as usize);
    let sign = if scaled.is_negative() && !units.is_zero() { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn money(rng: &mut ChaCha8Rng, max_cents: i64) -> Decimal {
    Decimal::new(rng.gen_range(0..=max_cents), 2)
}

fn rate(rng: &mut ChaCha8Rng, low: i64, high: i64) -> Decimal {
    Decimal::new(rng.gen_range(low..=high), 4)
}

struct Project {
    id: Uuid,
    arr: Decimal,
    growth: Decimal,
    margin: Decimal,
    discount: Decimal,
    terminal: Decimal,
    infra: Decimal,
    complexity: i16,
    appeal: Decimal,
    engineering_12m: Decimal,
    recent_commits: bool,
}

struct Bug {
    project: Uuid,
    severity: &'static str,
    status: &'static str,
    blocker: bool,
    revenue: Decimal,
    sla_hours: i64,
    created: DateTime<Utc>,
    resolved: Option<DateTime<Utc>>,
}

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const STATUSES: [&str; 6] = ["pending", "in_progress", "verified", "shipped", "closed", "deferred"];

fn is_open(status: &str) -> bool {
    status == "pending" || status == "in_progress"
}

fn default_sla(severity: &str) -> i64 {
    match severity {
        "critical" => 4,
        "high" => 24,
        "medium" => 72,
        _ => 720,
    }
}

/// SPEC §6 priority, exact.
fn priority(bug: &Bug, now: DateTime<Utc>) -> Q {
    if !is_open(bug.status) {
        return qi(0);
    }
    let severity = qi(match bug.severity {
        "critical" => 40,
        "high" => 30,
        "medium" => 15,
        _ => 5,
    });
    let revenue = (q(bug.revenue) / qi(1000)).min(qi(30));
    let blocker = qi(if bug.blocker { 20 } else { 0 });
    let age_micros = (now - bug.created).num_microseconds().unwrap();
    let age_days = Q::new(BigInt::from(age_micros), BigInt::from(86_400_000_000i64)).floor();
    let age = age_days.min(qi(10)).max(qi(0));
    let due = bug.created + Duration::hours(bug.sla_hours);
    let breached = now > due;
    let elapsed_hours = Q::new(BigInt::from(age_micros), BigInt::from(3_600_000_000i64));
    let at_risk = !breached && elapsed_hours >= Q::new(BigInt::from(3), BigInt::from(4)) * qi(bug.sla_hours);
    let sla = qi(if breached {
        10
    } else if at_risk {
        5
    } else {
        0
    });
    (severity + revenue + blocker + age + sla).min(qi(100))
}

/// SPEC §6 DCF, exact; None when r ≤ tg.
fn dcf(p: &Project) -> Option<Q> {
    let (g, m, r, tg) = (q(p.growth), q(p.margin), q(p.discount), q(p.terminal));
    if r <= tg {
        return None;
    }
    let one = qi(1);
    let fcf = |t: i32| q(p.arr) * (&one + &g).pow(t) * &m - qi(12) * q(p.infra);
    let explicit: Q = (1..=5).map(|t| fcf(t) / (&one + &r).pow(t)).sum();
    let terminal = fcf(5) * (&one + &tg) / (&r - &tg);
    Some(explicit + terminal / (&one + &r).pow(5))
}

/// A random project; `planted` picks one whose values are exact ties.
fn project(rng: &mut ChaCha8Rng, planted: Option<usize>) -> Project {
    let mut p = Project {
        id: Uuid::from_u128(rng.gen()),
        arr: money(rng, 500_000_000),
        growth: rate(rng, -5_000, 10_000),
        margin: rate(rng, -5_000, 10_000),
        discount: rate(rng, -2_000, 5_000),
        terminal: rate(rng, -2_000, 2_000),
        infra: money(rng, 5_000_000),
        complexity: rng.gen_range(1..=5),
        appeal: Decimal::new(rng.gen_range(0..=1000), 2),
        engineering_12m: Decimal::ZERO,
        recent_commits: rng.gen_bool(0.5),
    };
    let d = |s: &str| Decimal::from_str(s).unwrap();
    match planted {
        // DCF = 6 × 0.0025 = 0.015 exactly -> 0.02; ROI 0.02 × 0.03 / 4 = 0.00015 -> 0.0002
        Some(0) => {
            (p.arr, p.growth, p.margin, p.discount, p.terminal, p.infra) =
                (d("1.00"), d("0"), d("0.0025"), d("0"), d("-0.5"), d("0"));
            (p.complexity, p.appeal) = (4, d("0.03"));
        }
        // revenue projection 0.50 × 1.01 = 0.505 -> 0.51
        Some(1) => (p.arr, p.growth) = (d("0.50"), d("0.0100")),
        // negative tie: DCF = -0.015 -> -0.02
        Some(2) => {
            (p.arr, p.growth, p.margin, p.discount, p.terminal, p.infra) =
                (d("1.00"), d("0"), d("-0.0025"), d("0"), d("-0.5"), d("0"));
        }
        // r = tg: undefined
        Some(3) => (p.discount, p.terminal) = (d("0.05"), d("0.05")),
        _ => {}
    }
    p
}

#[test]
fn refresh_matches_an_exact_reference_on_random_inputs_and_ties() {
    let db = TestDb::new("exact_reference");
    let mut client = db.client();
    let now = as_of();
    let today = now.date_naive();
    let mut rng = ChaCha8Rng::seed_from_u64(20261130);
    let projects: Vec<Project> = (0..160).map(|i| project(&mut rng, (i < 4).then_some(i))).collect();

    let mut tx = client.transaction().unwrap();
    for (i, p) in projects.iter().enumerate() {
        tx.execute(
            "INSERT INTO projects (id, name, arr, revenue_growth_rate, operating_margin, discount_rate,
                                   terminal_growth_rate, monthly_infra_cost, complexity_score, appeal_score)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &p.id,
                &format!("project {i}"),
                &p.arr,
                &p.growth,
                &p.margin,
                &p.discount,
                &p.terminal,
                &p.infra,
                &p.complexity,
                &p.appeal,
            ],
        )
        .unwrap();
    }
    // engineering cost in the ROI window (the 12 calendar months before now's month):
    // month -12 and month -1 count, month -13 and the current month do not
    let month = |back: u32| -> NaiveDate {
        today.with_day(1).unwrap().checked_sub_months(chrono::Months::new(back)).unwrap()
    };
    let mut projects = projects;
    for (i, p) in projects.iter_mut().enumerate() {
        for back in [0u32, 1, 12, 13] {
            // the first planted project has no engineering cost: its ROI divides by 1
            let cost = if i == 0 { Decimal::ZERO } else { money(&mut rng, 10_000_000) };
            tx.execute(
                "INSERT INTO monthly_metrics (project_id, month, engineering_hours, engineering_cost)
                 VALUES ($1, $2, 10, $3)",
                &[&p.id, &month(back), &cost],
            )
            .unwrap();
            if back == 1 || back == 12 {
                p.engineering_12m += cost;
            }
        }
        // a commit 13 days back counts, 14 days back does not (the window is (today - 14, today])
        let (days_back, commits) = if p.recent_commits { (13, 3) } else { (14, 5) };
        tx.execute(
            "INSERT INTO project_metrics (project_id, metric_date, commits) VALUES ($1, $2, $3)",
            &[&p.id, &(today - Duration::days(days_back)), &commits],
        )
        .unwrap();
    }

    // bugs: random ones everywhere, and two projects with exactly 20 and 21 open bugs
    let mut bugs = Vec::new();
    for (i, p) in projects.iter().enumerate() {
        let count = match i {
            4 => 20,
            5 => 21,
            _ => rng.gen_range(0..6),
        };
        for _ in 0..count {
            let severity = SEVERITIES[rng.gen_range(0..4)];
            let status = if i == 4 || i == 5 { "pending" } else { STATUSES[rng.gen_range(0..6)] };
            let sla_hours = if rng.gen_bool(0.8) { default_sla(severity) } else { rng.gen_range(1..100) };
            // ages on and around the boundaries, and anywhere in 15 days
            let age_micros = match rng.gen_range(0..6) {
                0 => sla_hours * 3_600_000_000,
                1 => sla_hours * 2_700_000_000,
                2 => sla_hours * 3_600_000_000 + 1,
                3 => rng.gen_range(0..11) * 86_400_000_000,
                _ => rng.gen_range(0..15 * 86_400_000_000i64),
            };
            let created = now - Duration::microseconds(age_micros);
            // revenue in cents, often a multiple of 5 cents: x.xx5 points, a tie
            let revenue = if rng.gen_bool(0.5) {
                Decimal::new(rng.gen_range(0..2_000) * 500, 2)
            } else {
                money(&mut rng, 4_000_000)
            };
            let resolved =
                STATUSES[2..5].contains(&status).then(|| created + Duration::minutes(rng.gen_range(1..5000)));
            bugs.push(Bug {
                project: p.id,
                severity,
                status,
                blocker: rng.gen_bool(0.2),
                revenue,
                sla_hours,
                created,
                resolved,
            });
        }
    }
    let mut numbers = Vec::new();
    for (n, b) in bugs.iter().enumerate() {
        let number = n as i64 + 1;
        tx.execute(
            "INSERT INTO bugs (bug_number, project_id, title, severity, status, is_blocker,
                               revenue_impact_daily, sla_hours, created_at, resolved_at)
             VALUES ($1, $2, 'a bug', $3::text::bug_severity, $4::text::bug_status, $5, $6, $7, $8, $9)",
            &[
                &number,
                &b.project,
                &b.severity,
                &b.status,
                &b.blocker,
                &b.revenue,
                &(b.sla_hours as i32),
                &b.created,
                &b.resolved,
            ],
        )
        .unwrap();
        numbers.push(number);
    }
    tx.commit().unwrap();

    db.run_status(&["refresh", "--as-of", AS_OF]);

    // priorities
    let stored: HashMap<i64, Decimal> = client
        .query("SELECT bug_number, priority_score FROM bugs", &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut ties = 0;
    for (bug, number) in bugs.iter().zip(&numbers) {
        let exact = priority(bug, now);
        let expected = rounded(&exact, 2);
        // x.xx5 exactly: a thousandth that is not a hundredth, with 5 in the last place
        if (&exact * qi(200)).is_integer() && !(&exact * qi(100)).is_integer() {
            ties += 1;
        }
        assert_eq!(stored[number].to_string(), expected, "bug #{number}: exact {exact}");
    }
    assert!(ties > 50, "only {ties} bugs scored an exact tie");

    // valuations, ROI, health
    let open: HashMap<Uuid, (i64, i64, i64)> =
        bugs.iter().filter(|b| is_open(b.status)).fold(HashMap::new(), |mut counts, b| {
            let entry = counts.entry(b.project).or_insert((0, 0, 0));
            entry.0 += 1;
            entry.1 += i64::from(b.severity == "critical");
            entry.2 += i64::from(now > b.created + Duration::hours(b.sla_hours));
            counts
        });
    let rows = client
        .query("SELECT id, revenue_projection_12m, dcf_valuation, roi_score, health_score FROM projects", &[])
        .unwrap();
    assert_eq!(rows.len(), projects.len());
    let by_id: HashMap<Uuid, &Project> = projects.iter().map(|p| (p.id, p)).collect();
    let text = |d: Option<Decimal>| d.map(|d| d.to_string());
    for row in &rows {
        let p = by_id[&row.get::<_, Uuid>(0)];
        let projection = q(p.arr) * (qi(1) + q(p.growth));
        assert_eq!(text(row.get(1)), Some(rounded(&projection, 2)), "projection of {}", p.id);
        let expected_dcf = dcf(p).map(|v| rounded(&v, 2));
        assert_eq!(text(row.get(2)), expected_dcf, "dcf of {}", p.id);
        let expected_roi = expected_dcf.map(|dcf| {
            let cost = (qi(12) * q(p.infra) + q(p.engineering_12m)).max(qi(1));
            let roi = q(Decimal::from_str(&dcf).unwrap()) / cost * q(p.appeal) / qi(i64::from(p.complexity));
            rounded(&roi, 4)
        });
        assert_eq!(text(row.get(3)), expected_roi, "roi of {}", p.id);
        let (open_bugs, critical, breached) = open.get(&p.id).copied().unwrap_or_default();
        let health = 100
            - (15 * critical).min(45)
            - (5 * breached).min(25)
            - if p.recent_commits { 0 } else { 20 }
            - if open_bugs > 20 { 10 } else { 0 };
        assert_eq!(row.get::<_, Option<i16>>(4), Some(health.clamp(0, 100) as i16), "health of {}", p.id);
    }
    // the planted ties
    let mut planted = |i: usize, column: &str| -> Option<String> {
        let sql = format!("SELECT {column}::text FROM projects WHERE name = 'project {i}'");
        client.query_one(sql.as_str(), &[]).unwrap().get(0)
    };
    assert_eq!(planted(0, "dcf_valuation").as_deref(), Some("0.02"));
    assert_eq!(planted(0, "roi_score").as_deref(), Some("0.0002"));
    assert_eq!(planted(1, "revenue_projection_12m").as_deref(), Some("0.51"));
    assert_eq!(planted(2, "dcf_valuation").as_deref(), Some("-0.02"));
    assert_eq!(planted(3, "dcf_valuation"), None);
}

#[test]
fn the_reference_rounding_is_half_away_from_zero() {
    let d = |s: &str| q(Decimal::from_str(s).unwrap());
    assert_eq!(rounded(&d("5.015"), 2), "5.02");
    assert_eq!(rounded(&d("-5.015"), 2), "-5.02");
    assert_eq!(rounded(&d("5.0149"), 2), "5.01");
    assert_eq!(rounded(&d("0.004"), 2), "0.00");
    assert_eq!(rounded(&d("-0.004"), 2), "0.00");
    assert_eq!(rounded(&d("0.00015"), 4), "0.0002");
    assert_eq!(rounded(&d("12"), 0), "12");
}

/// A CSV document as header and records.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let records = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, records)
}

/// A bug's severity, creation and resolution instants.
type Resolution = (&'static str, DateTime<Utc>, Option<DateTime<Utc>>);

fn month_of(instant: DateTime<Utc>) -> NaiveDate {
    instant.date_naive().with_day(1).unwrap()
}

#[test]
fn trends_and_engineering_match_an_exact_reference() {
    let db = TestDb::new("exact_trends");
    let mut client = db.client();
    let now = as_of();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let months: Vec<NaiveDate> = (0..5u32)
        .rev()
        .map(|back| month_of(now).checked_sub_months(chrono::Months::new(back)).unwrap())
        .collect();
    let mut tx = client.transaction().unwrap();
    let projects: Vec<Uuid> = (0..4).map(|_| Uuid::from_u128(rng.gen())).collect();
    let mut effort: HashMap<NaiveDate, (Decimal, Decimal)> = HashMap::new();
    for (i, id) in projects.iter().enumerate() {
        tx.execute("INSERT INTO projects (id, name) VALUES ($1, $2)", &[id, &format!("p{i}")]).unwrap();
        for month in &months {
            let hours = Decimal::new(rng.gen_range(0..100_000), 2);
            let cost = money(&mut rng, 5_000_000);
            tx.execute(
                "INSERT INTO monthly_metrics (project_id, month, engineering_hours, engineering_cost)
                 VALUES ($1, $2, $3, $4)",
                &[id, month, &hours, &cost],
            )
            .unwrap();
            let entry = effort.entry(*month).or_insert((Decimal::ZERO, Decimal::ZERO));
            entry.0 += hours;
            entry.1 += cost;
        }
    }
    // created over five months, resolved within 20 days
    let mut bugs: Vec<Resolution> = Vec::new();
    for _ in 0..400 {
        let severity = SEVERITIES[rng.gen_range(0..4)];
        let created = now - Duration::microseconds(rng.gen_range(0..140 * 86_400_000_000i64));
        let resolved = created + Duration::microseconds(rng.gen_range(1..20 * 86_400_000_000i64));
        let resolved = (rng.gen_bool(0.7) && resolved <= now).then_some(resolved);
        bugs.push((severity, created, resolved));
    }
    for (n, (severity, created, resolved)) in bugs.iter().enumerate() {
        let status = if resolved.is_some() { "closed" } else { "pending" };
        tx.execute(
            "INSERT INTO bugs (bug_number, project_id, title, severity, status, created_at, resolved_at)
             VALUES ($1, $2, 'a bug', $3::text::bug_severity, $4::text::bug_status, $5, $6)",
            &[&(n as i64 + 1), &projects[n % projects.len()], severity, &status, created, resolved],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    db.run_status(&["refresh", "--as-of", AS_OF]);

    // the reference: each month's exact measures, from the bugs themselves
    let seconds = |c: DateTime<Utc>, r: DateTime<Utc>| {
        Q::new(BigInt::from((r - c).num_microseconds().unwrap()), BigInt::from(1_000_000))
    };
    let ratio = |n: &Q, d: &Q| (!d.is_zero()).then(|| n / d);
    let measures: Vec<[Option<Q>; 7]> = months
        .iter()
        .map(|month| {
            let opened = qi(bugs.iter().filter(|b| month_of(b.1) == *month).count() as i64);
            let resolved_here: Vec<_> =
                bugs.iter().filter(|b| b.2.is_some_and(|r| month_of(r) == *month)).collect();
            let resolved = qi(resolved_here.len() as i64);
            let total: Q = resolved_here.iter().map(|b| seconds(b.1, b.2.unwrap())).sum();
            let (hours, cost) = effort[month];
            [
                Some(opened.clone()),
                Some(resolved.clone()),
                ratio(&resolved, &opened),
                ratio(&total, &(&resolved * qi(3600))),
                Some(q(hours)),
                Some(q(cost)),
                ratio(&q(cost), &resolved),
            ]
        })
        .collect();
    let names = [
        ("bugs_opened", 0),
        ("bugs_resolved", 0),
        ("resolution_rate", 4),
        ("mttr_hours", 2),
        ("engineering_hours", 2),
        ("engineering_cost", 2),
        ("cost_per_resolved_bug", 2),
    ];
    let (header, records) =
        csv_rows(&db.run(&["report", "trends", "--months", "5", "--as-of", AS_OF, "-f", "csv"]));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let trends: Vec<&Vec<String>> = records.iter().filter(|r| r[0] == "trends").collect();
    assert_eq!(trends.len(), 5);
    for (t, row) in trends.iter().enumerate() {
        assert_eq!(row[at("month")], months[t].to_string());
        for (k, (name, places)) in names.iter().enumerate() {
            let show = |v: Option<Q>, places: u32| v.map_or(String::new(), |v| rounded(&v, places));
            assert_eq!(row[at(name)], show(measures[t][k].clone(), *places), "{name} in {}", months[t]);
            let change = match (&measures[t][k], t.checked_sub(1).and_then(|p| measures[p][k].as_ref())) {
                (Some(now), Some(before)) if !before.is_zero() => {
                    Some((now - before) * qi(100) / before.abs())
                }
                _ => None,
            };
            assert_eq!(
                row[at(&format!("{name}_mom_pct"))],
                show(change, 2),
                "{name} change in {}",
                months[t]
            );
            let mean = (t >= 2)
                .then(|| (t - 2..=t).map(|i| measures[i][k].clone()).collect::<Option<Vec<Q>>>())
                .flatten()
                .map(|window| window.into_iter().sum::<Q>() / qi(3));
            assert_eq!(
                row[at(&format!("{name}_rolling_3"))],
                show(mean, (*places).max(2)),
                "{name} mean in {}",
                months[t]
            );
        }
    }
    // the slope of bugs opened over positions 0..4
    let ys: Vec<Q> = measures.iter().map(|m| m[0].clone().unwrap()).collect();
    let mean_y = ys.iter().cloned().sum::<Q>() / qi(5);
    let (mut covariance, mut variance) = (qi(0), qi(0));
    for (x, y) in ys.iter().enumerate() {
        let dx = qi(x as i64) - qi(2);
        covariance += &dx * (y - &mean_y);
        variance += &dx * &dx;
    }
    let inflow = records.iter().find(|r| r[0] == "inflow").unwrap();
    assert_eq!(inflow[at("bugs_opened_slope_per_month")], rounded(&(covariance / variance), 4));

    // engineering metrics over the last 3 calendar months
    let start = months[2];
    let (header, records) =
        csv_rows(&db.run(&["report", "engineering", "--months", "3", "--as-of", AS_OF, "-f", "csv"]));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let in_window: Vec<_> =
        bugs.iter().filter(|b| b.2.is_some_and(|r| r.date_naive() >= start && r <= now)).collect();
    assert_eq!(records.len(), 5, "four severities and all");
    let (hours, cost) = months[2..]
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(h, c), m| (h + effort[m].0, c + effort[m].1));
    for row in &records {
        let chosen: Vec<_> =
            in_window.iter().filter(|b| row[at("severity")] == "all" || b.0 == row[at("severity")]).collect();
        let n = qi(chosen.len() as i64);
        let total: Q = chosen.iter().map(|b| seconds(b.1, b.2.unwrap())).sum();
        let within =
            qi(chosen.iter().filter(|b| b.2.unwrap() <= b.1 + Duration::hours(default_sla(b.0))).count()
                as i64);
        let show = |v: Option<Q>, places| v.map_or(String::new(), |v| rounded(&v, places));
        assert_eq!(row[at("bugs_resolved")], chosen.len().to_string());
        assert_eq!(row[at("mean_resolution_hours")], show(ratio(&total, &(&n * qi(3600))), 2), "{row:?}");
        assert_eq!(row[at("sla_compliance")], show(ratio(&within, &n), 4), "{row:?}");
        if row[at("severity")] == "all" {
            assert_eq!(row[at("resolved_per_100_hours")], show(ratio(&(&n * qi(100)), &q(hours)), 2));
            assert_eq!(row[at("cost_per_resolved_bug")], show(ratio(&q(cost), &n), 2));
            assert_eq!(row[at("engineering_cost")], cost.to_string());
        }
    }
}
