//! One cell of an imported row: read from text, checked against its column's type and
//! range (the schema's CHECK constraints, so that the server never has to refuse a row
//! whose line we could have named), and bound to the staging table by binary COPY.

use std::collections::HashMap;
use std::error::Error;
use std::str::FromStr;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use postgres_types::{to_sql_checked, IsNull, ToSql, Type};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::fields::{Bound, EnumType, Field, FieldType};
use crate::model::{BugStatus, ImportSource, ProjectStatus, Severity, UserRole};

/// A checked value, ready for COPY.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Uuid(Uuid),
    Text(String),
    Decimal(Decimal),
    SmallInt(i16),
    Int(i32),
    BigInt(i64),
    Bool(bool),
    Timestamp(DateTime<Utc>),
    Date(NaiveDate),
    List(Vec<String>),
    Severity(Severity),
    BugStatus(BugStatus),
    ProjectStatus(ProjectStatus),
    UserRole(UserRole),
    ImportSource(ImportSource),
}

impl ToSql for Cell {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Uuid(v) => v.to_sql(ty, out),
            Cell::Text(v) => v.to_sql(ty, out),
            Cell::Decimal(v) => v.to_sql(ty, out),
            Cell::SmallInt(v) => v.to_sql(ty, out),
            Cell::Int(v) => v.to_sql(ty, out),
            Cell::BigInt(v) => v.to_sql(ty, out),
            Cell::Bool(v) => v.to_sql(ty, out),
            Cell::Timestamp(v) => v.to_sql(ty, out),
            Cell::Date(v) => v.to_sql(ty, out),
            Cell::List(v) => v.to_sql(ty, out),
            Cell::Severity(v) => v.to_sql(ty, out),
            Cell::BugStatus(v) => v.to_sql(ty, out),
            Cell::ProjectStatus(v) => v.to_sql(ty, out),
            Cell::UserRole(v) => v.to_sql(ty, out),
            Cell::ImportSource(v) => v.to_sql(ty, out),
        }
    }

    /// The staging table's column types come from the same catalog as the cells
    /// (`fields::sql_type`), so every pairing is one the inner value accepts.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The projects and people a file may refer to, loaded before the rows are read.
#[derive(Debug, Default)]
pub struct References {
    /// project name → id
    pub projects: HashMap<String, Uuid>,
    /// lower-cased project name → id, None when two names differ only in case
    pub projects_folded: HashMap<String, Option<Uuid>>,
    pub project_ids: std::collections::HashSet<Uuid>,
    /// e-mail → id
    pub users: HashMap<String, Uuid>,
    pub user_ids: std::collections::HashSet<Uuid>,
}

impl References {
    pub fn add_project(&mut self, id: Uuid, name: String) {
        let folded = name.to_lowercase();
        self.projects_folded.entry(folded).and_modify(|seen| *seen = None).or_insert(Some(id));
        self.projects.insert(name, id);
        self.project_ids.insert(id);
    }

    pub fn add_user(&mut self, id: Uuid, email: String) {
        self.users.insert(email, id);
        self.user_ids.insert(id);
    }
}

/// Reads one cell. `Err` is the reason, for a message that already names the column.
pub fn parse(field: &Field, raw: &str, refs: &References) -> Result<Cell, String> {
    // the `'` ctodb's own CSV puts in front of a formula comes off (spreadsheet.rs)
    let raw = crate::spreadsheet::restore(raw);
    let text = match field.ty {
        FieldType::LongText { .. } => raw,
        _ => raw.trim(),
    };
    if text.contains('\0') {
        return Err("contains a NUL character, which PostgreSQL text cannot hold".into());
    }
    if text.trim().is_empty() {
        return match field.ty {
            FieldType::List => Ok(Cell::List(Vec::new())),
            _ if field.nullable => Ok(Cell::Null),
            FieldType::Decimal { .. } | FieldType::SmallInt { .. } | FieldType::Int { .. } => {
                Err("is empty; this column needs a number (write 0 for none)".into())
            }
            _ => Err("is empty; this column needs a value".into()),
        };
    }
    match field.ty {
        FieldType::Uuid => {
            Uuid::parse_str(text).map(Cell::Uuid).map_err(|_| format!("{text:?} is not a UUID"))
        }
        FieldType::Text { max_chars } => {
            let chars = text.chars().count();
            if chars > max_chars {
                return Err(format!("is {chars} characters long; at most {max_chars}"));
            }
            Ok(Cell::Text(text.to_string()))
        }
        FieldType::LongText { max_bytes } => {
            if text.len() > max_bytes {
                return Err(format!("is {} bytes long; at most {max_bytes}", text.len()));
            }
            Ok(Cell::Text(text.to_string()))
        }
        FieldType::Email => email(text).map(Cell::Text),
        FieldType::GithubRepo => github_repo(text).map(Cell::Text),
        FieldType::Decimal { precision, scale, min, max } => {
            decimal(text, precision, scale, min, max).map(Cell::Decimal)
        }
        FieldType::SmallInt { min, max } => {
            integer(text, min, max).map(|n| Cell::SmallInt(i16::try_from(n).unwrap_or(i16::MAX)))
        }
        FieldType::Int { min, max } => {
            integer(text, min, max).map(|n| Cell::Int(i32::try_from(n).unwrap_or(i32::MAX)))
        }
        FieldType::BigInt { min } => integer(text, min, i64::MAX).map(Cell::BigInt),
        FieldType::Bool => boolean(text).map(Cell::Bool),
        FieldType::Timestamp => timestamp(text).map(Cell::Timestamp),
        FieldType::Date => date(text).map(Cell::Date),
        FieldType::List => list(text).map(Cell::List),
        FieldType::Enum(kind) => enumeration(kind, text),
        FieldType::ProjectRef => project(text, refs).map(Cell::Uuid),
        FieldType::UserRef => user(text, refs).map(Cell::Uuid),
    }
}

fn email(text: &str) -> Result<String, String> {
    let email = text.to_lowercase();
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && !email.chars().any(char::is_whitespace)
    });
    if valid {
        Ok(email)
    } else {
        Err(format!("{text:?} is not an e-mail address"))
    }
}

/// `owner/name`; a GitHub address (`https://github.com/owner/name(.git)`) is taken too.
pub fn github_repo(text: &str) -> Result<String, String> {
    let repo = text
        .strip_prefix("https://github.com/")
        .or_else(|| text.strip_prefix("http://github.com/"))
        .or_else(|| text.strip_prefix("github.com/"))
        .unwrap_or(text);
    let repo = repo.trim_end_matches('/');
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let part_ok = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    match repo.split_once('/') {
        Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(repo.to_string()),
        _ => Err(format!("{text:?} is not a GitHub repository (owner/name)")),
    }
}

fn decimal(text: &str, precision: u32, scale: u32, min: Bound, max: Bound) -> Result<Decimal, String> {
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    let value = if plain { Decimal::from_str_exact(text).ok() } else { None };
    let Some(value) = value else {
        let hint = if text.contains(',') { " (write it without thousands separators)" } else { "" };
        return Err(format!("{text:?} is not a decimal number{hint}"));
    };
    let normalised = value.normalize();
    if normalised.scale() > scale {
        return Err(format!("{text} has {} decimal places; at most {scale}", normalised.scale()));
    }
    let limit = Decimal::from(10i64.pow(precision - scale));
    if normalised.abs() >= limit {
        return Err(format!("{text} is too large; it must be below {limit}"));
    }
    check_bounds(text, normalised, min, max)?;
    Ok(normalised)
}

fn check_bounds(text: &str, value: Decimal, min: Bound, max: Bound) -> Result<(), String> {
    match min {
        Bound::Inclusive(low) if value < Decimal::from(low) => {
            return Err(format!("{text} is below {low}; it must be {low} or more"));
        }
        Bound::Exclusive(low) if value <= Decimal::from(low) => {
            return Err(format!("{text} is not above {low}; it must be more than {low}"));
        }
        _ => {}
    }
    match max {
        Bound::Inclusive(high) if value > Decimal::from(high) => {
            Err(format!("{text} is above {high}; it must be {high} or less"))
        }
        Bound::Exclusive(high) if value >= Decimal::from(high) => {
            Err(format!("{text} is not below {high}; it must be less than {high}"))
        }
        _ => Ok(()),
    }
}

fn integer(text: &str, min: i64, max: i64) -> Result<i64, String> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let value: i64 = text.parse().map_err(|_| {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("{text} is too large; it must be between {min} and {max}")
        } else {
            format!("{text:?} is not a whole number")
        }
    })?;
    if value < min || value > max {
        return Err(if max == i64::MAX {
            format!("{text} is below {min}; it must be {min} or more")
        } else {
            format!("{text} is out of range; it must be between {min} and {max}")
        });
    }
    Ok(value)
}

fn boolean(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// RFC 3339 (`2026-11-30T09:15:00Z`, any offset, a space for the `T`); without an offset
/// the time is UTC; a date alone is its midnight UTC.
fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    let spelled = text.replacen(' ', "T", 1);
    let parsed = DateTime::parse_from_rfc3339(&spelled)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::from_str(&spelled).map(|t| t.and_utc()))
        .or_else(|_| NaiveDate::from_str(text).map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
    match parsed {
        Ok(t) if in_range(t, Utc::now()) => Ok(t),
        Ok(_) => Err(format!(
            "{text:?} is outside 2000-01-01 to tomorrow; an instant of ctodb's data lies between (a typo in the year?)"
        )),
        Err(_) => Err(format!("{text:?} is not a timestamp (RFC 3339, e.g. 2026-11-30T09:15:00Z)")),
    }
}

/// A calendar date: `2026-11-30` (or the date of an instant, as a spreadsheet may add
/// midnight), from 2000-01-01 to tomorrow.
fn date(text: &str) -> Result<NaiveDate, String> {
    let day = NaiveDate::from_str(text.get(..10).unwrap_or(text))
        .ok()
        .filter(|_| text.len() == 10 || text[10..].trim_start_matches(['T', ' ']).starts_with("00:00"))
        .ok_or_else(|| format!("{text:?} is not a date (e.g. 2026-11-30)"))?;
    let instant = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    if in_range(instant, Utc::now()) {
        Ok(day)
    } else {
        Err(format!("{text:?} is outside 2000-01-01 to tomorrow (a typo in the year?)"))
    }
}

/// An instant a bug or project can have: from 2000-01-01 to a day after `now` (clocks of
/// other systems run a little ahead).
fn in_range(t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let earliest =
        NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    earliest.is_some_and(|earliest| t >= earliest) && t <= now + chrono::Duration::days(1)
}

/// `a;b;c` (how ctodb writes lists); spaces around items are dropped.
fn list(text: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> =
        text.split(';').map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect();
    if let Some(long) = items.iter().find(|item| item.chars().count() > 200) {
        return Err(format!("has an item of {} characters; at most 200", long.chars().count()));
    }
    Ok(items)
}

/// An enum label in any case, with spaces or dashes for underscores (`In progress`).
fn enumeration(kind: EnumType, text: &str) -> Result<Cell, String> {
    let label: String =
        text.to_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    let cell = match kind {
        EnumType::Severity => Severity::from_label(&label).map(Cell::Severity),
        EnumType::BugStatus => BugStatus::from_label(&label).map(Cell::BugStatus),
        EnumType::ProjectStatus => ProjectStatus::from_label(&label).map(Cell::ProjectStatus),
        EnumType::UserRole => UserRole::from_label(&label).map(Cell::UserRole),
        EnumType::ImportSource => ImportSource::from_label(&label).map(Cell::ImportSource),
    };
    cell.ok_or_else(|| format!("{text:?} is not one of {}", kind.labels()))
}

/// A project by exact name, by name in any case when only one matches, or by id.
fn project(text: &str, refs: &References) -> Result<Uuid, String> {
    if let Some(id) = refs.projects.get(text) {
        return Ok(*id);
    }
    if let Some(Some(id)) = refs.projects_folded.get(&text.to_lowercase()) {
        return Ok(*id);
    }
    match Uuid::parse_str(text) {
        Ok(id) if refs.project_ids.contains(&id) => Ok(id),
        _ => Err(format!("no project named {text:?}")),
    }
}

/// A person by e-mail (any case) or id.
fn user(text: &str, refs: &References) -> Result<Uuid, String> {
    if let Some(id) = refs.users.get(&text.to_lowercase()) {
        return Ok(*id);
    }
    match Uuid::parse_str(text) {
        Ok(id) if refs.user_ids.contains(&id) => Ok(id),
        _ => Err(format!("no user with the e-mail {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::fields::{ImportKind, BUG_FIELDS, PROJECT_FIELDS, USER_FIELDS};

    fn cell(kind: ImportKind, name: &str, raw: &str) -> Result<Cell, String> {
        let mut refs = References::default();
        refs.add_project(Uuid::from_u128(1), "Atlas Payments".into());
        refs.add_user(Uuid::from_u128(2), "ana@example.com".into());
        parse(kind.field(name).expect("a field"), raw, &refs)
    }

    #[test]
    fn money_takes_at_most_its_scale_and_no_negative_amount() {
        let p = ImportKind::Projects;
        assert_eq!(cell(p, "arr", " 1234.50 "), Ok(Cell::Decimal(Decimal::new(12345, 1))));
        assert_eq!(cell(p, "arr", "1234.500"), Ok(Cell::Decimal(Decimal::new(12345, 1))));
        assert_eq!(cell(p, "arr", "1234.505"), Err("1234.505 has 3 decimal places; at most 2".into()));
        assert_eq!(cell(p, "arr", "-5"), Err("-5 is below 0; it must be 0 or more".into()));
        assert_eq!(
            cell(p, "arr", "1,234.50"),
            Err("\"1,234.50\" is not a decimal number (write it without thousands separators)".into())
        );
        assert_eq!(cell(p, "arr", "1e5"), Err("\"1e5\" is not a decimal number".into()));
        assert_eq!(
            cell(p, "arr", "1000000000000"),
            Err("1000000000000 is too large; it must be below 1000000000000".into())
        );
        assert_eq!(cell(p, "arr", ""), Err("is empty; this column needs a number (write 0 for none)".into()));
    }

    #[test]
    fn rates_and_scores_stay_in_their_ranges() {
        let p = ImportKind::Projects;
        assert!(cell(p, "operating_margin", "1").is_ok());
        assert_eq!(
            cell(p, "operating_margin", "1.0001"),
            Err("1.0001 is above 1; it must be 1 or less".into())
        );
        assert_eq!(cell(p, "discount_rate", "-1"), Err("-1 is not above -1; it must be more than -1".into()));
        assert_eq!(
            cell(p, "complexity_score", "6"),
            Err("6 is out of range; it must be between 1 and 5".into())
        );
        assert_eq!(cell(p, "complexity_score", "2.5"), Err("\"2.5\" is not a whole number".into()));
        assert_eq!(
            cell(p, "github_stars", "99999999999999999999"),
            Err("99999999999999999999 is too large; it must be between 0 and 2147483647".into())
        );
        assert_eq!(cell(p, "appeal_score", "10.01"), Err("10.01 is above 10; it must be 10 or less".into()));
        assert_eq!(
            parse(&USER_FIELDS[5], "168.5", &References::default()),
            Err("168.5 is above 168; it must be 168 or less".into())
        );
    }

    #[test]
    fn enums_name_the_valid_values() {
        let b = ImportKind::Bugs;
        assert_eq!(cell(b, "status", "In Progress"), Ok(Cell::BugStatus(BugStatus::InProgress)));
        assert_eq!(
            cell(b, "severity", "urgent"),
            Err("\"urgent\" is not one of critical, high, medium, low".into())
        );
    }

    #[test]
    fn timestamps_dates_and_booleans() {
        let b = ImportKind::Bugs;
        let t = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| Cell::Timestamp(t.with_timezone(&Utc)));
        assert_eq!(
            cell(b, "created_at", "2026-11-30T10:15:00.123456Z"),
            Ok(t("2026-11-30T10:15:00.123456Z").unwrap())
        );
        assert_eq!(
            cell(b, "created_at", "2026-11-30 12:15:00+02:00"),
            Ok(t("2026-11-30T10:15:00Z").unwrap())
        );
        assert_eq!(cell(b, "created_at", "2026-11-30 10:15:00"), Ok(t("2026-11-30T10:15:00Z").unwrap()));
        assert_eq!(cell(b, "created_at", "2026-11-30"), Ok(t("2026-11-30T00:00:00Z").unwrap()));
        assert_eq!(
            cell(b, "created_at", "2026-02-30"),
            Err("\"2026-02-30\" is not a timestamp (RFC 3339, e.g. 2026-11-30T09:15:00Z)".into())
        );
        assert_eq!(cell(b, "resolved_at", ""), Ok(Cell::Null));
        for outside in ["1999-12-31T23:59:59Z", "0001-01-01", "2999-01-01T00:00:00Z"] {
            assert_eq!(
                cell(b, "created_at", outside),
                Err(format!(
                    "{outside:?} is outside 2000-01-01 to tomorrow; an instant of ctodb's data lies between (a typo in the year?)"
                ))
            );
        }
        assert_eq!(cell(b, "created_at", "2000-01-01T00:00:00Z"), Ok(t("2000-01-01T00:00:00Z").unwrap()));
        assert_eq!(cell(b, "is_blocker", "Yes"), Ok(Cell::Bool(true)));
        assert_eq!(cell(b, "is_blocker", "maybe"), Err("\"maybe\" is not true or false".into()));
    }

    #[test]
    fn references_lists_emails_and_repositories() {
        let b = ImportKind::Bugs;
        assert_eq!(cell(b, "project_id", "atlas payments"), Ok(Cell::Uuid(Uuid::from_u128(1))));
        assert_eq!(cell(b, "project_id", "Atlas Paymnts"), Err("no project named \"Atlas Paymnts\"".into()));
        assert_eq!(cell(b, "assignee_id", "Ana@Example.com"), Ok(Cell::Uuid(Uuid::from_u128(2))));
        assert_eq!(cell(b, "assignee_id", ""), Ok(Cell::Null));
        assert_eq!(
            cell(b, "labels", " ui; login ;;"),
            Ok(Cell::List(vec!["ui".to_string(), "login".to_string()]))
        );
        assert_eq!(
            parse(&USER_FIELDS[1], "Bo@Example.COM", &References::default()),
            Ok(Cell::Text("bo@example.com".into()))
        );
        assert_eq!(
            parse(&USER_FIELDS[1], "bo at example", &References::default()),
            Err("\"bo at example\" is not an e-mail address".into())
        );
        let repo = &PROJECT_FIELDS[5];
        assert_eq!(
            parse(repo, "https://github.com/acme/api.git", &References::default()),
            Ok(Cell::Text("acme/api".into()))
        );
        assert!(parse(repo, "acme", &References::default()).is_err());
        assert_eq!(
            parse(&BUG_FIELDS[3], "a\0b", &References::default()),
            Err("contains a NUL character, which PostgreSQL text cannot hold".into())
        );
    }

    proptest::proptest! {
        /// Any text in any column: a value within the column's type and range, or a
        /// reason; never a panic.
        #[test]
        fn any_text_in_any_column_is_a_checked_value_or_a_reason(text in "\\PC{0,40}|[-+0-9.,e ]{0,30}") {
            let mut refs = References::default();
            refs.add_project(Uuid::from_u128(1), "Atlas".into());
            for kind in [ImportKind::Projects, ImportKind::Bugs, ImportKind::Users] {
                for field in kind.fields() {
                    match (parse(field, &text, &refs), field.ty) {
                        (Ok(Cell::Decimal(d)), FieldType::Decimal { precision, scale, .. }) => {
                            proptest::prop_assert!(d.scale() <= scale);
                            proptest::prop_assert!(d.abs() < Decimal::from(10i64.pow(precision - scale)));
                        }
                        (Ok(Cell::Text(t)), _) => proptest::prop_assert!(!t.contains('\0')),
                        (Err(reason), _) => proptest::prop_assert!(!reason.is_empty()),
                        _ => {}
                    }
                }
            }
        }
    }
}
