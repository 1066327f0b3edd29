//! What an import may write: for each kind, the stored columns a file can set, the names
//! ctodb's own listings give them, the columns those listings compute (recognised and
//! ignored), and the natural keys rows are matched by. Every SQL identifier an import
//! uses comes from these tables, never from a file.

use crate::model::{BugStatus, ImportSource, ProjectStatus, Severity, UserRole};

/// What an import writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    Projects,
    Bugs,
    Users,
    /// daily project metrics (project_metrics): one row per project and day
    Metrics,
}

impl ImportKind {
    pub fn table(self) -> &'static str {
        match self {
            ImportKind::Projects => "projects",
            ImportKind::Bugs => "bugs",
            ImportKind::Users => "users",
            ImportKind::Metrics => "project_metrics",
        }
    }

    /// One row of this kind, as a person says it.
    pub fn noun(self) -> &'static str {
        match self {
            ImportKind::Projects => "project",
            ImportKind::Bugs => "bug",
            ImportKind::Users => "user",
            ImportKind::Metrics => "daily metrics row",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            ImportKind::Projects => PROJECT_FIELDS,
            ImportKind::Bugs => BUG_FIELDS,
            ImportKind::Users => USER_FIELDS,
            ImportKind::Metrics => METRIC_FIELDS,
        }
    }

    /// Columns of ctodb's listings (and of a rejects file) that are computed, not stored:
    /// a file may carry them; they are named once in a note and otherwise ignored.
    pub fn computed(self) -> &'static [&'static str] {
        match self {
            ImportKind::Projects => &[
                "revenue_projection_12m",
                "dcf_valuation",
                "valuation",
                "roi_score",
                "roi",
                "health_score",
                "health",
                "open_bugs",
                "critical_open",
                "breached",
                "updated_at",
                "line",
                "reason",
            ],
            ImportKind::Bugs => &[
                "priority_score",
                "priority",
                "due_at",
                "sla_state",
                "hours_left",
                "hours_overdue",
                "updated_at",
                "line",
                "reason",
            ],
            ImportKind::Users => &["updated_at", "line", "reason"],
            ImportKind::Metrics => &["created_at", "line", "reason"],
        }
    }

    /// Unique columns other than the primary key: a row may not take a value another
    /// row of the table already holds.
    pub fn unique(self) -> &'static [&'static str] {
        match self {
            ImportKind::Projects => &["name", "github_repo"],
            ImportKind::Bugs => &["bug_number"],
            ImportKind::Users => &["email", "github_login"],
            // (project_id, metric_date) is the key rows are matched by
            ImportKind::Metrics => &[],
        }
    }

    /// The columns a new row cannot do without (the rest have defaults).
    pub fn required_for_insert(self) -> &'static [&'static str] {
        match self {
            ImportKind::Projects => &["name"],
            ImportKind::Bugs => &["project_id", "title"],
            ImportKind::Users => &["email", "name"],
            ImportKind::Metrics => &["project_id", "metric_date"],
        }
    }

    /// The columns rows are matched by, in order: the first that finds a row wins.
    pub fn keys(self) -> &'static [&'static [&'static str]] {
        match self {
            ImportKind::Projects => &[&["id"], &["name"], &["github_repo"]],
            ImportKind::Bugs => &[&["id"], &["bug_number"], &["source", "external_id"]],
            ImportKind::Users => &[&["id"], &["email"]],
            ImportKind::Metrics => &[&["id"], &["project_id", "metric_date"]],
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|field| field.name == name)
    }
}

/// One stored column a file can set.
#[derive(Debug)]
pub struct Field {
    /// the schema's column name (also the staging table's)
    pub name: &'static str,
    /// other headers that mean this column (ctodb's listings name some differently)
    pub aliases: &'static [&'static str],
    pub ty: FieldType,
    /// whether an empty cell (NULL) is a value the column can hold
    pub nullable: bool,
}

/// How a cell is read and checked.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    Uuid,
    /// text of at most this many characters
    Text {
        max_chars: usize,
    },
    /// a long text (descriptions) of at most this many bytes
    LongText {
        max_bytes: usize,
    },
    Email,
    /// `owner/name`
    GithubRepo,
    Decimal {
        precision: u32,
        scale: u32,
        min: Bound,
        max: Bound,
    },
    SmallInt {
        min: i64,
        max: i64,
    },
    Int {
        min: i64,
        max: i64,
    },
    BigInt {
        min: i64,
    },
    Bool,
    Timestamp,
    /// a calendar date (2026-11-30)
    Date,
    /// items separated by `;` (how ctodb's CSV writes lists)
    List,
    Enum(EnumType),
    /// a project, by name or id, stored as its id
    ProjectRef,
    /// a person, by e-mail or id, stored as their id
    UserRef,
}

#[derive(Debug, Clone, Copy)]
pub enum EnumType {
    Severity,
    BugStatus,
    ProjectStatus,
    UserRole,
    ImportSource,
}

impl EnumType {
    /// Every valid label, comma-separated, for the error message.
    pub fn labels(self) -> String {
        match self {
            EnumType::Severity => Severity::labels(),
            EnumType::BugStatus => BugStatus::labels(),
            EnumType::ProjectStatus => ProjectStatus::labels(),
            EnumType::UserRole => UserRole::labels(),
            EnumType::ImportSource => ImportSource::labels(),
        }
    }
}

/// One end of a numeric range.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    None,
    /// the value may equal it
    Inclusive(i64),
    /// the value must differ from it
    Exclusive(i64),
}

/// A project name, a bug title, a person's name: one line of text.
const NAME: FieldType = FieldType::Text { max_chars: 1_000 };
/// Descriptions: PostgreSQL's full-text vector of a bug (title and description) must stay
/// under 1 MB, and a GitHub issue body is at most 65,536 characters.
const DESCRIPTION: FieldType = FieldType::LongText { max_bytes: 256 * 1024 };
const SHORT: FieldType = FieldType::Text { max_chars: 200 };

const fn money(precision: u32) -> FieldType {
    FieldType::Decimal { precision, scale: 2, min: Bound::Inclusive(0), max: Bound::None }
}

const fn rate(min: Bound, max: Bound) -> FieldType {
    FieldType::Decimal { precision: 6, scale: 4, min, max }
}

const fn field(name: &'static str, ty: FieldType, nullable: bool) -> Field {
    Field { name, aliases: &[], ty, nullable }
}

const fn alias(name: &'static str, aliases: &'static [&'static str], ty: FieldType, nullable: bool) -> Field {
    Field { name, aliases, ty, nullable }
}

pub static USER_FIELDS: &[Field] = &[
    field("id", FieldType::Uuid, true),
    field("email", FieldType::Email, false),
    field("name", NAME, false),
    field("role", FieldType::Enum(EnumType::UserRole), false),
    alias("is_active", &["active"], FieldType::Bool, false),
    alias(
        "weekly_capacity_hours",
        &["capacity", "capacity_hours"],
        FieldType::Decimal { precision: 5, scale: 2, min: Bound::Inclusive(0), max: Bound::Inclusive(168) },
        false,
    ),
    alias("github_login", &["github"], SHORT, true),
    field("created_at", FieldType::Timestamp, false),
];

pub static PROJECT_FIELDS: &[Field] = &[
    field("id", FieldType::Uuid, true),
    alias("name", &["project"], NAME, false),
    field("description", DESCRIPTION, true),
    field("status", FieldType::Enum(EnumType::ProjectStatus), false),
    field("tags", FieldType::List, false),
    alias("github_repo", &["repo", "repository"], FieldType::GithubRepo, true),
    alias("primary_language", &["language"], SHORT, true),
    alias("github_stars", &["stars"], FieldType::Int { min: 0, max: i32::MAX as i64 }, false),
    alias("owner_id", &["owner", "owner_email"], FieldType::UserRef, true),
    field("arr", money(14), false),
    field("revenue_growth_rate", rate(Bound::Inclusive(-1), Bound::None), false),
    field("operating_margin", rate(Bound::None, Bound::Inclusive(1)), false),
    field("discount_rate", rate(Bound::Exclusive(-1), Bound::None), false),
    field("terminal_growth_rate", rate(Bound::Exclusive(-1), Bound::None), false),
    alias("monthly_infra_cost", &["infra_cost"], money(12), false),
    field("complexity_score", FieldType::SmallInt { min: 1, max: 5 }, false),
    field(
        "appeal_score",
        FieldType::Decimal { precision: 4, scale: 2, min: Bound::Inclusive(0), max: Bound::Inclusive(10) },
        false,
    ),
    field("created_at", FieldType::Timestamp, false),
    field("last_synced_at", FieldType::Timestamp, true),
];

pub static BUG_FIELDS: &[Field] = &[
    field("id", FieldType::Uuid, true),
    alias("bug_number", &["bug", "number"], FieldType::BigInt { min: 1 }, true),
    alias("project_id", &["project"], FieldType::ProjectRef, false),
    field("title", NAME, false),
    field("description", DESCRIPTION, true),
    field("severity", FieldType::Enum(EnumType::Severity), false),
    field("status", FieldType::Enum(EnumType::BugStatus), false),
    alias("is_blocker", &["blocker"], FieldType::Bool, false),
    alias("revenue_impact_daily", &["revenue_impact"], money(12), false),
    // empty: the severity's default SLA (the bugs_defaults trigger)
    field("sla_hours", FieldType::Int { min: 1, max: i32::MAX as i64 }, true),
    alias("reporter_id", &["reporter"], FieldType::UserRef, true),
    alias("assignee_id", &["assignee"], FieldType::UserRef, true),
    field("labels", FieldType::List, false),
    field("source", FieldType::Enum(EnumType::ImportSource), false),
    field("external_id", FieldType::Text { max_chars: 2_000 }, true),
    field("created_at", FieldType::Timestamp, false),
    field("resolved_at", FieldType::Timestamp, true),
];

/// Daily project metrics, as a repository's tooling counts them.
pub static METRIC_FIELDS: &[Field] = &[
    field("id", FieldType::Uuid, true),
    alias("project_id", &["project"], FieldType::ProjectRef, false),
    alias("metric_date", &["date", "day"], FieldType::Date, false),
    field("commits", FieldType::Int { min: 0, max: i32::MAX as i64 }, false),
    field("lines_added", FieldType::Int { min: 0, max: i32::MAX as i64 }, false),
    field("lines_deleted", FieldType::Int { min: 0, max: i32::MAX as i64 }, false),
    alias("loc_total", &["loc", "lines_of_code"], FieldType::BigInt { min: 0 }, false),
    field("contributors", FieldType::Int { min: 0, max: i32::MAX as i64 }, false),
    alias(
        "open_pull_requests",
        &["open_prs", "pull_requests"],
        FieldType::Int { min: 0, max: i32::MAX as i64 },
        false,
    ),
    field("tech_stack", FieldType::List, false),
    field("health_score", FieldType::SmallInt { min: 0, max: 100 }, true),
];

/// The SQL type of a field's staging column.
pub fn sql_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Uuid | FieldType::ProjectRef | FieldType::UserRef => "uuid",
        FieldType::Text { .. } | FieldType::LongText { .. } | FieldType::Email | FieldType::GithubRepo => {
            "text"
        }
        FieldType::Decimal { .. } => "numeric",
        FieldType::SmallInt { .. } => "smallint",
        FieldType::Int { .. } => "integer",
        FieldType::BigInt { .. } => "bigint",
        FieldType::Bool => "boolean",
        FieldType::Timestamp => "timestamptz",
        FieldType::Date => "date",
        FieldType::List => "text[]",
        FieldType::Enum(EnumType::Severity) => "bug_severity",
        FieldType::Enum(EnumType::BugStatus) => "bug_status",
        FieldType::Enum(EnumType::ProjectStatus) => "project_status",
        FieldType::Enum(EnumType::UserRole) => "user_role",
        FieldType::Enum(EnumType::ImportSource) => "import_source",
    }
}

/// A header as it is compared: lower case, without spaces, `_` and `-`, so that
/// `githubRepo`, `GitHub Repo` and `github_repo` are one column.
pub fn normalise(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    Field(usize),
    Computed,
    Unknown,
}

pub fn classify(kind: ImportKind, header: &str) -> Header {
    let wanted = normalise(header);
    if wanted.is_empty() {
        return Header::Unknown;
    }
    if let Some(i) = kind.fields().iter().position(|field| {
        normalise(field.name) == wanted || field.aliases.iter().any(|alias| normalise(alias) == wanted)
    }) {
        return Header::Field(i);
    }
    if kind.computed().iter().any(|name| normalise(name) == wanted) {
        return Header::Computed;
    }
    Header::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_ignoring_case_spaces_underscores_and_dashes() {
        let repo = classify(ImportKind::Projects, "github_repo");
        assert!(matches!(repo, Header::Field(_)));
        for spelling in ["githubRepo", "GitHub Repo", "github-repo", "\u{feff}GITHUB_REPO", "repo"] {
            assert_eq!(classify(ImportKind::Projects, spelling), repo, "{spelling}");
        }
        assert_eq!(classify(ImportKind::Projects, "dcf_valuation"), Header::Computed);
        assert_eq!(classify(ImportKind::Projects, "Open Bugs"), Header::Computed);
        assert_eq!(classify(ImportKind::Projects, "colour"), Header::Unknown);
        assert_eq!(classify(ImportKind::Projects, ""), Header::Unknown);
        // the bugs listing's `bug`, `project`, `assignee`, `blocker` are stored columns
        for (header, name) in [
            ("bug", "bug_number"),
            ("project", "project_id"),
            ("assignee", "assignee_id"),
            ("blocker", "is_blocker"),
        ] {
            let Header::Field(i) = classify(ImportKind::Bugs, header) else { panic!("{header}") };
            assert_eq!(BUG_FIELDS[i].name, name);
        }
    }

    #[test]
    fn every_key_insert_and_unique_column_is_a_field() {
        for kind in [ImportKind::Projects, ImportKind::Bugs, ImportKind::Users] {
            let names = kind.keys().iter().flat_map(|key| key.iter());
            for name in names.chain(kind.unique()).chain(kind.required_for_insert()) {
                assert!(kind.field(name).is_some(), "{kind:?}: {name}");
            }
        }
        assert_eq!(EnumType::Severity.labels(), "critical, high, medium, low");
    }
}
