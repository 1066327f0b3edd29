//! The deterministic generator of the standard, large and xl profiles. Every table draws
//! from its own ChaCha stream of the rng seed, so the same seed and counts give the same
//! rows, ids included, on every machine; ChaCha's output is fixed by its specification.
//!
//! Shapes (SPEC §7): bug counts per project and users' workloads follow Zipf-like
//! weights; severities 5/20/45/30 %; resolution times exponential with a mean per severity,
//! so statuses, resolved_at and SLA breaches agree with the timestamps; revenue impact is
//! zero for most bugs and log-normal for the rest; daily metrics have weekly seasonality
//! and growth.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::vocabulary::*;
use crate::model::{BugStatus, ImportSource, ProjectStatus, Severity, UserRole};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub users: usize,
    pub projects: usize,
    pub bugs: usize,
    pub days: usize,
}

/// Rows already in the database when seeding with `--append`: new names and numbers
/// continue after them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offsets {
    pub users: usize,
    pub projects: usize,
    pub bug_number: i64,
}

pub struct Generator {
    seed: u64,
    /// "now" of the generated world; every timestamp lies before it.
    pub anchor: DateTime<Utc>,
    pub counts: Counts,
    offsets: Offsets,
}

const USERS_STREAM: u64 = 1;
const PROJECTS_STREAM: u64 = 2;
const BUGS_STREAM: u64 = 3;
const METRICS_STREAM: u64 = 4;
const MONTHLY_STREAM: u64 = 5;

pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub is_active: bool,
    pub weekly_capacity_hours: Decimal,
    pub github_login: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub tags: Vec<&'static str>,
    pub github_repo: Option<String>,
    pub primary_language: &'static str,
    pub github_stars: i32,
    pub owner_id: Option<Uuid>,
    pub arr: Decimal,
    pub revenue_growth_rate: Decimal,
    pub operating_margin: Decimal,
    pub discount_rate: Decimal,
    pub terminal_growth_rate: Decimal,
    pub monthly_infra_cost: Decimal,
    pub complexity_score: i16,
    pub appeal_score: Decimal,
    pub created_at: DateTime<Utc>,
    pub last_synced_at: Option<DateTime<Utc>>,
    // shape of the project's activity, used by the other generators
    bug_weight: f64,
    base_commits: f64,
    hourly_rate: i64,
    pub tech_stack: Vec<&'static str>,
    loc_start: i64,
}

pub struct Bug {
    pub id: Uuid,
    pub bug_number: i64,
    pub project_id: Uuid,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub status: BugStatus,
    pub is_blocker: bool,
    pub revenue_impact_daily: Decimal,
    pub sla_hours: i32,
    pub due_at: DateTime<Utc>,
    pub reporter_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub labels: Vec<&'static str>,
    pub source: ImportSource,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub struct DailyMetric {
    pub id: Uuid,
    pub project: usize,
    pub metric_date: NaiveDate,
    pub commits: i32,
    pub lines_added: i32,
    pub lines_deleted: i32,
    pub loc_total: i64,
    pub contributors: i32,
    pub open_pull_requests: i32,
    pub created_at: DateTime<Utc>,
}

pub struct MonthlyEngineering {
    pub id: Uuid,
    pub project_id: Uuid,
    pub month: NaiveDate,
    pub engineering_hours: Decimal,
    pub engineering_cost: Decimal,
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

fn cents(amount: f64) -> Decimal {
    Decimal::new((amount * 100.0).round() as i64, 2)
}

fn rate(basis_points: i64) -> Decimal {
    Decimal::new(basis_points, 4)
}

/// A standard normal draw (Box–Muller), for log-normal amounts.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Picks an index by cumulative weights (binary search).
fn pick(cumulative: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let target = rng.gen::<f64>() * total;
    cumulative.partition_point(|&c| c <= target).min(cumulative.len().saturating_sub(1))
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// Zipf-like weights over a random order: a few items get most of the mass.
fn zipf_weights(n: usize, exponent: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut ranks: Vec<usize> = (1..=n).collect();
    ranks.shuffle(rng);
    ranks.into_iter().map(|rank| 1.0 / (rank as f64).powf(exponent)).collect()
}

impl Generator {
    /// The bug number the generated bugs follow (0 on an empty database): with the anchor
    /// day, it tells one appended set from another.
    pub fn bug_number_offset(&self) -> i64 {
        self.offsets.bug_number
    }

    pub fn new(seed: u64, anchor: DateTime<Utc>, counts: Counts, offsets: Offsets) -> Generator {
        Generator { seed, anchor, counts, offsets }
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        // appending draws other rows than the first seed did, from the same rng seed
        let mixed = self
            .seed
            .wrapping_add((self.offsets.projects as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_add((self.offsets.users as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
        let mut rng = ChaCha8Rng::seed_from_u64(mixed);
        rng.set_stream(stream);
        rng
    }

    fn window_start(&self) -> DateTime<Utc> {
        self.anchor - Duration::days(self.counts.days as i64)
    }

    pub fn users(&self) -> Vec<User> {
        let mut rng = self.rng(USERS_STREAM);
        let mut taken = std::collections::HashSet::new();
        (0..self.counts.users)
            .map(|i| {
                let global = self.offsets.users + i;
                let role = match (global, rng.gen_range(0..100)) {
                    (0, _) => UserRole::Cto,
                    (_, 0..=7) => UserRole::Manager,
                    (_, 8..=32) => UserRole::SeniorEngineer,
                    (_, 33..=47) => UserRole::QaEngineer,
                    _ => UserRole::Engineer,
                };
                let first = *FIRST_NAMES.choose(&mut rng).unwrap_or(&"Alex");
                let last = *LAST_NAMES.choose(&mut rng).unwrap_or(&"Doe");
                let local = format!("{}.{}", first, last).to_lowercase();
                // appended users always carry their number: the first seed's names are taken
                let local = if self.offsets.users == 0 && taken.insert(local.clone()) {
                    local
                } else {
                    format!("{local}{global}")
                };
                let github_login = rng.gen_bool(0.7).then(|| local.replace('.', "-"));
                User {
                    id: uuid(&mut rng),
                    email: format!("{local}@example.com"),
                    name: format!("{first} {last}"),
                    role,
                    is_active: rng.gen_bool(0.95),
                    weekly_capacity_hours: Decimal::from(
                        *[32, 36, 40, 40, 40].choose(&mut rng).unwrap_or(&40),
                    ),
                    github_login,
                    created_at: self.anchor - Duration::days(rng.gen_range(30..1500)),
                }
            })
            .collect()
    }

    pub fn projects(&self, users: &[User]) -> Vec<Project> {
        let mut rng = self.rng(PROJECTS_STREAM);
        let owners: Vec<Uuid> = users
            .iter()
            .filter(|u| matches!(u.role, UserRole::Cto | UserRole::Manager | UserRole::SeniorEngineer))
            .map(|u| u.id)
            .collect();
        let weights = zipf_weights(self.counts.projects, 0.9, &mut rng);
        (0..self.counts.projects)
            .map(|i| {
                let name = project_name(self.offsets.projects + i);
                let status = match rng.gen_range(0..100) {
                    0..=69 => ProjectStatus::Active,
                    70..=84 => ProjectStatus::Shipped,
                    85..=94 => ProjectStatus::Deferred,
                    _ => ProjectStatus::Cancelled,
                };
                let language = *LANGUAGES.choose(&mut rng).unwrap_or(&"Rust");
                let tag_count = rng.gen_range(1..=4);
                let mut tags: Vec<&'static str> =
                    TAGS.choose_multiple(&mut rng, tag_count).copied().collect();
                tags.sort_unstable();
                let mut tech_stack = vec![language];
                let extras = rng.gen_range(1..=3);
                tech_stack.extend(STACK_EXTRAS.choose_multiple(&mut rng, extras).copied());
                let slug = name.to_lowercase().replace(' ', "-");
                let arr = if rng.gen_bool(0.1) {
                    0.0
                } else {
                    (12.0 + 1.4 * normal(&mut rng)).exp().min(500_000_000.0)
                };
                let discount = rng.gen_range(800..=2000);
                let description = format!(
                    "{name} is a {} service for {} teams, written in {language}. {}",
                    tags.first().copied().unwrap_or("core"),
                    if rng.gen_bool(0.5) { "customer-facing" } else { "internal" },
                    DESCRIPTION_DETAILS.choose(&mut rng).unwrap_or(&"")
                );
                Project {
                    id: uuid(&mut rng),
                    name,
                    description,
                    status,
                    tags,
                    github_repo: rng.gen_bool(0.85).then(|| format!("acme/{slug}")),
                    primary_language: language,
                    github_stars: ((3.0 + 1.8 * normal(&mut rng)).exp() as i32).clamp(0, 200_000),
                    owner_id: owners.choose(&mut rng).copied(),
                    arr: cents(arr),
                    revenue_growth_rate: rate(rng.gen_range(-500..=6000)),
                    operating_margin: rate(rng.gen_range(-2000..=4500)),
                    discount_rate: rate(discount),
                    // below the discount rate, except now and then (valuation undefined)
                    terminal_growth_rate: rate(if rng.gen_bool(0.01) {
                        discount
                    } else {
                        rng.gen_range(100..=400)
                    }),
                    monthly_infra_cost: cents((6.5 + 1.2 * normal(&mut rng)).exp().min(2_000_000.0)),
                    complexity_score: rng.gen_range(1..=5),
                    appeal_score: Decimal::new(rng.gen_range(0..=100), 1),
                    created_at: self.anchor
                        - Duration::days(rng.gen_range(self.counts.days as i64 + 30..1800)),
                    last_synced_at: rng
                        .gen_bool(0.8)
                        .then(|| self.anchor - Duration::hours(rng.gen_range(1..24 * 90))),
                    bug_weight: weights[i],
                    base_commits: (1.5 + 0.8 * normal(&mut rng)).exp().min(200.0),
                    hourly_rate: rng.gen_range(80..=160),
                    tech_stack,
                    loc_start: rng.gen_range(5_000..800_000),
                }
            })
            .collect()
    }

    pub fn bugs<'a>(&'a self, projects: &'a [Project], users: &'a [User]) -> impl Iterator<Item = Bug> + 'a {
        let mut rng = self.rng(BUGS_STREAM);
        let project_weights = cumulative(projects.iter().map(|p| p.bug_weight));
        // a few people carry most of the assigned work
        let assignees: Vec<&User> = users.iter().filter(|u| u.role != UserRole::Cto).collect();
        let assignee_weights = cumulative(zipf_weights(assignees.len(), 0.7, &mut rng).into_iter());
        let reporter_weights =
            cumulative(users.iter().map(|u| if u.role == UserRole::QaEngineer { 3.0 } else { 1.0 }));
        // each draw below comes in a fixed order: the same seed gives the same bugs
        (0..self.counts.bugs).map(move |i| {
            let project = &projects[pick(&project_weights, &mut rng)];
            let severity = bug_severity(&mut rng);
            let sla_hours = severity.default_sla_hours();
            let (created_at, status, resolved_at) = self.lifecycle(&mut rng, sla_hours);
            let revenue = revenue_impact(&mut rng, severity);
            let (component, title, description) = bug_text(&mut rng);
            let assigned = match status {
                BugStatus::Pending => rng.gen_bool(0.4),
                BugStatus::Deferred => rng.gen_bool(0.3),
                _ => rng.gen_bool(0.95),
            };
            let assignee_id =
                (assigned && !assignees.is_empty()).then(|| assignees[pick(&assignee_weights, &mut rng)].id);
            let reporter_id = (!users.is_empty()).then(|| users[pick(&reporter_weights, &mut rng)].id);
            let bug_number = self.offsets.bug_number + i as i64 + 1;
            let (source, external_id) = bug_source(&mut rng, project, bug_number);
            let labels = bug_labels(&mut rng, component);
            let updated_at = resolved_at.unwrap_or_else(|| {
                let since = (self.anchor - created_at).num_seconds().max(1);
                created_at + Duration::seconds(rng.gen_range(0..since))
            });
            Bug {
                id: uuid(&mut rng),
                bug_number,
                project_id: project.id,
                title,
                description,
                severity,
                status,
                is_blocker: rng.gen_bool(blocker_chance(severity)),
                revenue_impact_daily: cents(revenue),
                sla_hours,
                due_at: created_at + Duration::hours(sla_hours.into()),
                reporter_id,
                assignee_id,
                labels,
                source,
                external_id,
                created_at,
                updated_at,
                resolved_at,
            }
        })
    }

    /// When a bug was created, and its status and resolution at the anchor: more recent
    /// bugs are more frequent (inflow grows over the window), resolution times are
    /// exponential with about 70% of bugs inside their SLA, 4% are deferred.
    fn lifecycle(
        &self,
        rng: &mut ChaCha8Rng,
        sla_hours: i32,
    ) -> (DateTime<Utc>, BugStatus, Option<DateTime<Utc>>) {
        let window_hours = (self.counts.days * 24) as f64;
        let age_hours = window_hours * (1.0 - rng.gen::<f64>().sqrt());
        let created_at = self.anchor - Duration::seconds((age_hours * 3600.0) as i64 + 1);
        let mean_hours = sla_hours as f64 / 1.2;
        let resolution_hours = -mean_hours * (1.0 - rng.gen::<f64>()).ln();
        let resolved_candidate = created_at + Duration::seconds((resolution_hours * 3600.0) as i64 + 60);
        let (status, resolved_at) = if rng.gen_bool(0.04) {
            (BugStatus::Deferred, None)
        } else if resolved_candidate <= self.anchor {
            let status = match rng.gen_range(0..100) {
                0..=59 => BugStatus::Closed,
                60..=84 => BugStatus::Shipped,
                _ => BugStatus::Verified,
            };
            (status, Some(resolved_candidate))
        } else if rng.gen_bool(0.45) {
            (BugStatus::InProgress, None)
        } else {
            (BugStatus::Pending, None)
        };
        (created_at, status, resolved_at)
    }

    /// Daily metrics, day by day across all projects: ids are time-ordered in that order,
    /// so the primary-key index grows at its right edge.
    pub fn daily_metrics<'a>(&'a self, projects: &'a [Project]) -> impl Iterator<Item = DailyMetric> + 'a {
        let mut rng = self.rng(METRICS_STREAM);
        let days = self.counts.days;
        let first_day = self.anchor.date_naive() - Duration::days(days as i64 - 1);
        let mut loc: Vec<i64> = projects.iter().map(|p| p.loc_start).collect();
        (0..days).flat_map(move |day| (0..projects.len()).map(move |p| (day, p))).map(move |(day, p)| {
            let project = &projects[p];
            let date = first_day + Duration::days(day as i64);
            let weekday = match date.weekday().number_from_monday() {
                6 => 0.25,
                7 => 0.15,
                _ => 1.0,
            };
            let growth = 1.0 + 0.3 * day as f64 / days.max(1) as f64;
            // paused projects stopped committing a month ago
            let paused = matches!(project.status, ProjectStatus::Deferred | ProjectStatus::Cancelled)
                && days - day <= 30;
            let expected = if paused { 0.0 } else { project.base_commits * weekday * growth };
            let commits = (expected * rng.gen_range(0.5..1.5)).round() as i32;
            let lines_added = commits * rng.gen_range(10..150);
            let lines_deleted = (lines_added as f64 * rng.gen_range(0.1..0.8)) as i32;
            loc[p] = (loc[p] + i64::from(lines_added - lines_deleted)).max(0);
            let micros = (date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros() as u64)
                .wrapping_add(p as u64);
            DailyMetric {
                id: time_ordered_uuid(micros, &mut rng),
                project: p,
                metric_date: date,
                commits,
                lines_added,
                lines_deleted,
                loc_total: loc[p],
                contributors: if commits == 0 { 0 } else { (commits / 3 + 1).min(40) },
                open_pull_requests: rng.gen_range(0..12),
                created_at: date.and_hms_opt(23, 59, 0).unwrap_or_default().and_utc(),
            }
        })
    }

    /// Engineering hours and cost per project and month of the window (the bug counts of
    /// these rows are rolled up from the bugs afterwards, by the same SQL as refresh).
    pub fn monthly_engineering(&self, projects: &[Project]) -> Vec<MonthlyEngineering> {
        let mut rng = self.rng(MONTHLY_STREAM);
        let months = months_between(self.window_start().date_naive(), self.anchor.date_naive());
        let mut rows = Vec::with_capacity(projects.len() * months.len());
        for project in projects {
            let size = 40.0 + 400.0 * project.bug_weight;
            for &month in &months {
                let hours = (size * rng.gen_range(0.6..1.4)).round();
                rows.push(MonthlyEngineering {
                    id: uuid(&mut rng),
                    project_id: project.id,
                    month,
                    engineering_hours: Decimal::from(hours as i64),
                    engineering_cost: Decimal::from(hours as i64 * project.hourly_rate),
                });
            }
        }
        rows
    }
}

fn component_label(component: &str) -> &'static str {
    match component {
        "Checkout" | "Cart" | "Refund API" | "Payment webhook" | "Billing page" | "Subscription renewal" => {
            "payments"
        }
        "Login" | "Password reset" | "Session manager" | "Signup form" => "auth",
        "Search" => "search",
        "Mobile app" => "mobile",
        "Dashboard" | "Report builder" | "Invoice export" | "CSV import" => "reporting",
        _ => "platform",
    }
}

/// A UUID whose first 48 bits are a millisecond clock (the UUIDv7 layout), so that ids
/// made in time order sort in that order.
fn time_ordered_uuid(micros: u64, rng: &mut ChaCha8Rng) -> Uuid {
    let random: [u8; 10] = rng.gen();
    uuid::Builder::from_unix_timestamp_millis(micros / 1000, &random).into_uuid()
}

/// The first days of the months from `from`'s month to `to`'s month, inclusive.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut month = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    while month <= to {
        months.push(month);
        month = month.checked_add_months(chrono::Months::new(1)).unwrap_or(NaiveDate::MAX);
    }
    months
}

/// The name of the n-th project ever generated: an adjective and a noun, then the same
/// pairs numbered once every pair is taken.
fn project_name(n: usize) -> String {
    let combos = PROJECT_ADJECTIVES.len() * PROJECT_NOUNS.len();
    let adjective = PROJECT_ADJECTIVES[n % PROJECT_ADJECTIVES.len()];
    let noun = PROJECT_NOUNS[(n / PROJECT_ADJECTIVES.len()) % PROJECT_NOUNS.len()];
    if n < combos {
        format!("{adjective} {noun}")
    } else {
        format!("{adjective} {noun} {}", n / combos + 1)
    }
}

/// 5% critical, 20% high, 45% medium, 30% low.
fn bug_severity(rng: &mut ChaCha8Rng) -> Severity {
    match rng.gen_range(0..100) {
        0..=4 => Severity::Critical,
        5..=24 => Severity::High,
        25..=69 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// The revenue a bug puts at risk each day: more often, the more severe it is;
/// log-normal, at most 5,000,000.
fn revenue_impact(rng: &mut ChaCha8Rng, severity: Severity) -> f64 {
    let chance = match severity {
        Severity::Critical => 0.7,
        Severity::High => 0.4,
        Severity::Medium => 0.15,
        Severity::Low => 0.05,
    };
    if rng.gen_bool(chance) {
        (6.7 + 1.3 * normal(rng)).exp().min(5_000_000.0)
    } else {
        0.0
    }
}

fn blocker_chance(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 0.25,
        Severity::High => 0.08,
        Severity::Medium => 0.02,
        Severity::Low => 0.005,
    }
}

/// A bug's component, title and description.
fn bug_text(rng: &mut ChaCha8Rng) -> (&'static str, String, String) {
    let component = *COMPONENTS.choose(rng).unwrap_or(&"Checkout");
    let problem = *PROBLEMS.choose(rng).unwrap_or(&"crashes");
    let context = *CONTEXTS.choose(rng).unwrap_or(&"");
    let title = format!("{component} {problem} {context}");
    let opener = DESCRIPTION_OPENERS.choose(rng).unwrap_or(&"");
    let mut description = format!("{opener} {} {problem} {context}.", component.to_lowercase());
    for _ in 0..rng.gen_range(2..=4) {
        description.push(' ');
        description.push_str(DESCRIPTION_DETAILS.choose(rng).unwrap_or(&""));
    }
    (component, title, description)
}

/// Where a bug came from: 80% by hand, 15% GitHub (its issue's address), 5% CSV.
fn bug_source(rng: &mut ChaCha8Rng, project: &Project, bug_number: i64) -> (ImportSource, Option<String>) {
    let source = match rng.gen_range(0..100) {
        0..=79 => ImportSource::Manual,
        80..=94 => ImportSource::Github,
        _ => ImportSource::Csv,
    };
    let external_id = match source {
        ImportSource::Github => {
            Some(format!("{}#{bug_number}", project.github_repo.as_deref().unwrap_or("acme/unknown")))
        }
        ImportSource::Csv => Some(format!("csv-{bug_number}")),
        ImportSource::Manual => None,
    };
    (source, external_id)
}

fn bug_labels(rng: &mut ChaCha8Rng, component: &str) -> Vec<&'static str> {
    let mut labels = vec![component_label(component)];
    if rng.gen_bool(0.2) {
        labels.push("regression");
    }
    if rng.gen_bool(0.15) {
        labels.push("customer-reported");
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(seed: u64) -> Generator {
        let anchor = "2026-11-25T00:00:00Z".parse().unwrap();
        Generator::new(
            seed,
            anchor,
            Counts { users: 20, projects: 30, bugs: 2000, days: 60 },
            Offsets::default(),
        )
    }

    #[test]
    fn same_seed_same_rows_other_seed_other_rows() {
        let (a, b, c) = (generator(7), generator(7), generator(8));
        let ids = |g: &Generator| {
            let users = g.users();
            let projects = g.projects(&users);
            g.bugs(&projects, &users).map(|b| (b.id, b.title, b.created_at)).collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn statuses_agree_with_timestamps() {
        let g = generator(1);
        let users = g.users();
        let projects = g.projects(&users);
        for bug in g.bugs(&projects, &users) {
            let resolved = bug.status.is_resolved();
            assert_eq!(resolved, bug.resolved_at.is_some(), "{}", bug.status);
            if let Some(at) = bug.resolved_at {
                assert!(at > bug.created_at && at <= g.anchor);
            }
            assert!(bug.created_at < g.anchor);
            assert_eq!(bug.due_at, bug.created_at + Duration::hours(bug.sla_hours.into()));
        }
    }

    #[test]
    fn severity_mix_is_roughly_5_20_45_30() {
        let g = generator(3);
        let users = g.users();
        let projects = g.projects(&users);
        let bugs: Vec<Bug> = g.bugs(&projects, &users).collect();
        let share = |s| bugs.iter().filter(|b| b.severity == s).count() as f64 / bugs.len() as f64;
        assert!((share(Severity::Critical) - 0.05).abs() < 0.02);
        assert!((share(Severity::High) - 0.20).abs() < 0.03);
        assert!((share(Severity::Medium) - 0.45).abs() < 0.03);
        assert!((share(Severity::Low) - 0.30).abs() < 0.03);
    }

    #[test]
    fn months_between_includes_both_ends() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            months_between(d(2026, 10, 15), d(2026, 12, 1)),
            vec![d(2026, 10, 1), d(2026, 11, 1), d(2026, 12, 1)]
        );
    }
}
