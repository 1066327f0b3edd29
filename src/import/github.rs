//! `ctodb import github`: repositories and issues as GitHub's REST API returns them and
//! `gh api --paginate` saves them (one JSON array, or one array per page back to back).
//! Files are read on a blocking thread, one element at a time, and handed over a bounded
//! channel, so memory stays flat whatever the file's size. Repositories become projects
//! (keyed by `full_name` in github_repo), issues with a bug or severity label become bugs
//! (keyed by their address, source github); pull requests are skipped.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::cell::Cell;
use super::fields::ImportKind;
use super::github_sync::{self, Fields, Upstream};
use super::stage::{self, Plan};
use super::Summary;
use crate::db;
use crate::model::{ImportSource, ProjectStatus, Severity};
use crate::sql;

/// A repository, the fields ctodb keeps.
#[derive(Debug, Deserialize)]
pub struct Repo {
    pub full_name: String,
    pub name: String,
    pub description: Option<String>,
    pub language: Option<String>,
    #[serde(default)]
    pub stargazers_count: i64,
    #[serde(default)]
    pub archived: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// An issue (or a pull request, which the issues endpoint also returns).
#[derive(Debug, Deserialize)]
pub struct Issue {
    pub html_url: String,
    /// `https://api.github.com/repos/OWNER/NAME`
    pub repository_url: String,
    pub title: String,
    pub body: Option<String>,
    #[serde(default)]
    pub labels: Vec<Label>,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// why it was closed (`completed`, `not_planned`, `duplicate`) or reopened
    #[serde(default)]
    pub state_reason: Option<String>,
    pub assignee: Option<Account>,
    pub user: Option<Account>,
    pub pull_request: Option<IgnoredAny>,
}

/// A label: an object with a name (the API), or a bare name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Label {
    Object { name: String },
    Name(String),
}

impl Label {
    fn name(&self) -> &str {
        match self {
            Label::Object { name } | Label::Name(name) => name,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Account {
    pub login: String,
}

/// Which labels mean which severity (`--severity-labels`).
#[derive(Debug, Clone)]
pub struct SeverityLabels {
    map: HashMap<String, Severity>,
}

/// Labels that make an issue a bug whatever its severity.
const BUG_LABELS: &[&str] = &["bug", "defect", "regression"];

impl SeverityLabels {
    /// The defaults, or `critical=p0,sev0;high=p1;...` (labels in any case; a severity
    /// not named keeps no labels).
    pub fn parse(spec: Option<&str>) -> Result<SeverityLabels> {
        let Some(spec) = spec else {
            let defaults: &[(&str, Severity)] = &[
                ("critical", Severity::Critical),
                ("p0", Severity::Critical),
                ("sev0", Severity::Critical),
                ("sev1", Severity::Critical),
                ("p1", Severity::High),
                ("high", Severity::High),
                ("sev2", Severity::High),
                ("p2", Severity::Medium),
                ("medium", Severity::Medium),
                ("p3", Severity::Low),
                ("low", Severity::Low),
            ];
            let map = defaults.iter().map(|(label, severity)| (label.to_string(), *severity)).collect();
            return Ok(SeverityLabels { map });
        };
        let mut map = HashMap::new();
        for part in spec.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let Some((severity, labels)) = part.split_once('=') else {
                bail!(
                    "--severity-labels: {part:?} is not SEVERITY=LABEL,LABEL (e.g. critical=p0,sev0;high=p1)"
                );
            };
            let Some(severity) = Severity::from_label(severity.trim()) else {
                bail!("--severity-labels: {:?} is not one of {}", severity.trim(), Severity::labels());
            };
            for label in labels.split(',').map(str::trim).filter(|label| !label.is_empty()) {
                map.insert(label.to_lowercase(), severity);
            }
        }
        if map.is_empty() {
            bail!("--severity-labels names no label");
        }
        Ok(SeverityLabels { map })
    }

    /// The most severe severity the labels name, and whether any label makes it a bug.
    fn classify(&self, labels: &[Label]) -> (Option<Severity>, bool) {
        let mut severity: Option<Severity> = None;
        let mut bug = false;
        for label in labels {
            let name = label.name().to_lowercase();
            if BUG_LABELS.contains(&name.as_str()) {
                bug = true;
            }
            if let Some(found) = self.map.get(&name) {
                bug = true;
                // Severity's order is the schema's: critical first
                severity = Some(severity.map_or(*found, |s| s.min(*found)));
            }
        }
        (severity, bug)
    }
}

/// What one GitHub import did, per table.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct GithubSummary {
    pub projects: Summary,
    pub bugs: Summary,
    pub skipped_pull_requests: u64,
    pub notes: Vec<String>,
}

/// Imports the repositories, then the issues, in the caller's transaction.
pub async fn import(
    tx: &Transaction<'_>,
    repos: &Path,
    issues: &[PathBuf],
    labels: &SeverityLabels,
    dry_run: bool,
) -> Result<GithubSummary> {
    let mut summary = GithubSummary { projects: projects(tx, repos, dry_run).await?, ..Default::default() };
    summary.bugs = bugs(tx, issues, labels, dry_run, &mut summary).await?;
    Ok(summary)
}

/// What the projects table holds now: by repository, (id, name, status); and every name.
async fn known_projects(
    tx: &Transaction<'_>,
) -> Result<(HashMap<String, (Uuid, String, ProjectStatus)>, HashSet<String>)> {
    let mut by_repo = HashMap::new();
    let mut names = HashSet::new();
    let helper = sql::IMPORT_PROJECTS.name;
    for row in db::query(tx, &sql::IMPORT_PROJECTS, &[]).await? {
        let name: String = db::get(&row, helper, "name")?;
        if let Some(repo) = db::get::<Option<String>>(&row, helper, "github_repo")? {
            by_repo.insert(
                repo.to_lowercase(),
                (db::get(&row, helper, "id")?, name.clone(), db::get(&row, helper, "status")?),
            );
        }
        names.insert(name);
    }
    Ok((by_repo, names))
}

const PROJECT_UPDATE: &[&str] =
    &["name", "description", "status", "primary_language", "github_stars", "created_at"];
const BUG_UPDATE: &[&str] = &[
    "project_id",
    "title",
    "description",
    "severity",
    "status",
    "labels",
    "reporter_id",
    "assignee_id",
    "created_at",
    "resolved_at",
];

async fn projects(tx: &Transaction<'_>, file: &Path, dry_run: bool) -> Result<Summary> {
    let started = Instant::now();
    let kind = ImportKind::Projects;
    let (known, mut names) = known_projects(tx).await?;
    let mut summary = Summary::default();
    let mut copy = stage::start_copy(tx, kind, indicatif::ProgressBar::hidden()).await?;
    let mut items = elements::<Repo>(file);
    let mut seen = HashSet::new();
    while let Some(repo) = items.recv().await {
        let repo = repo?;
        summary.total += 1;
        let full_name = repo.full_name.clone();
        if super::cell::github_repo(&full_name).is_err() {
            bail!("{}: repository {:?} has no owner/name full_name", file.display(), full_name);
        }
        if !seen.insert(full_name.to_lowercase()) {
            continue; // the same repository on two pages
        }
        let existing = known.get(&full_name.to_lowercase());
        let name = match existing {
            Some((_, name, _)) => name.clone(),
            None if names.contains(&repo.name) => full_name.clone(),
            None => repo.name.clone(),
        };
        names.insert(name.clone());
        let status = match (repo.archived, existing) {
            (true, _) => ProjectStatus::Deferred,
            (false, Some((_, _, status))) => *status,
            (false, None) => ProjectStatus::Active,
        };
        let mut cells = vec![Cell::Null; kind.fields().len()];
        set(kind, &mut cells, "name", Cell::Text(clip_chars(&name, 1_000)));
        set(kind, &mut cells, "description", text(repo.description.as_deref(), 256 * 1024));
        set(kind, &mut cells, "status", Cell::ProjectStatus(status));
        set(kind, &mut cells, "tags", Cell::List(Vec::new()));
        set(kind, &mut cells, "github_repo", Cell::Text(full_name));
        set(kind, &mut cells, "primary_language", text(repo.language.as_deref(), 200));
        set(
            kind,
            &mut cells,
            "github_stars",
            Cell::Int(i32::try_from(repo.stargazers_count.max(0)).unwrap_or(i32::MAX)),
        );
        set(kind, &mut cells, "created_at", repo.created_at.map_or(Cell::Null, Cell::Timestamp));
        write(&mut copy, summary.total, &cells).await?;
    }
    copy.finish().await?;
    let mut update = PROJECT_UPDATE.to_vec();
    let mut insert = PROJECT_UPDATE.to_vec();
    insert.push("github_repo");
    // a repository that does not say when it was created keeps the project's instant
    update.retain(|c| *c != "created_at");
    insert.retain(|c| *c != "created_at");
    let plan = Plan { kind, keys: vec![&["github_repo"]], update, insert };
    stage::match_rows(tx, &plan).await?;
    refuse(file, stage::problems(tx, &plan).await?)?;
    summary.read_ms = super::elapsed_ms(started);
    let merging = Instant::now();
    // merged even for a dry run, whose transaction is rolled back: the issues of a new
    // repository then find its project, and the dry run counts what the import would do
    summary.counts = super::merge(tx, &plan).await?;
    if !dry_run {
        db::execute(tx, &sql::IMPORT_GITHUB_SYNCED, &[]).await?;
    }
    stage::drop_staging(tx).await?;
    summary.merge_ms = super::elapsed_ms(merging);
    Ok(summary)
}

/// What a GitHub import of issues left out, for its notes.
#[derive(Default)]
struct Skipped {
    /// issues with no bug or severity label
    not_bugs: u64,
    /// repositories of issues that are not projects
    repositories: HashSet<String>,
    /// GitHub logins of assignees ctodb does not know
    people: HashSet<String>,
}

impl Skipped {
    fn notes(self, github: &mut GithubSummary) {
        if github.skipped_pull_requests > 0 {
            let n = github.skipped_pull_requests;
            github.notes.push(format!("skipped {n} pull request{}", if n == 1 { "" } else { "s" }));
        }
        if self.not_bugs > 0 {
            let issues = if self.not_bugs == 1 { "issue" } else { "issues" };
            github.notes.push(format!("skipped {} {issues} without a bug or severity label", self.not_bugs));
        }
        let sorted = |set: HashSet<String>| {
            let mut names: Vec<String> = set.into_iter().collect();
            names.sort();
            names.join(", ")
        };
        if !self.repositories.is_empty() {
            github.notes.push(format!(
                "skipped the issues of repositories that are not projects (import them with --repos): {}",
                sorted(self.repositories)
            ));
        }
        if !self.people.is_empty() {
            github.notes.push(format!(
                "left unassigned the bugs of GitHub users ctodb does not know (set their github_login): {}",
                sorted(self.people)
            ));
        }
    }
}

/// The users by GitHub login (lower case).
async fn github_logins(tx: &Transaction<'_>) -> Result<HashMap<String, Uuid>> {
    let mut logins = HashMap::new();
    let helper = sql::IMPORT_USERS.name;
    for row in db::query(tx, &sql::IMPORT_USERS, &[]).await? {
        if let Some(login) = db::get::<Option<String>>(&row, helper, "github_login")? {
            logins.insert(login.to_lowercase(), db::get(&row, helper, "id")?);
        }
    }
    Ok(logins)
}

/// The repository (`owner/name`) of an issue, from its repository_url.
fn repository(file: &Path, issue: &Issue) -> Result<String> {
    let repo = issue.repository_url.rsplitn(3, '/').take(2).collect::<Vec<_>>();
    match repo.as_slice() {
        [name, owner] => Ok(format!("{owner}/{name}")),
        _ => bail!(
            "{}: issue {} has no repository_url of the form …/repos/OWNER/NAME",
            file.display(),
            issue.html_url
        ),
    }
}

/// An issue as GitHub has it now (what the next sync compares with), and the bug's
/// fields it proposes.
fn read_issue(
    issue: &Issue,
    repo: &str,
    project: Uuid,
    severity: Option<Severity>,
    logins: &HashMap<String, Uuid>,
    unknown_people: &mut HashSet<String>,
) -> (Upstream, Fields) {
    let person = |account: &Option<Account>, unknown: &mut HashSet<String>| {
        let account = account.as_ref()?;
        let id = logins.get(&account.login.to_lowercase()).copied();
        if id.is_none() {
            unknown.insert(account.login.clone());
        }
        id
    };
    let title = if issue.title.trim().is_empty() { "(no title)" } else { issue.title.as_str() };
    let description = clip_text(issue.body.as_deref(), 256 * 1024);
    let severity = severity.unwrap_or(Severity::Medium);
    let labels: Vec<String> =
        issue.labels.iter().map(|l| clip_chars(l.name(), 200)).filter(|l| !l.trim().is_empty()).collect();
    let login = |account: &Option<Account>| account.as_ref().map(|a| a.login.to_lowercase());
    let now = Upstream {
        repo: repo.to_lowercase(),
        state: issue.state.clone(),
        state_reason: issue.state_reason.clone(),
        title: clip_chars(title, 1_000),
        body_sha256: github_sync::body_sha256(description.as_deref()),
        severity: severity.label().to_string(),
        labels: labels.clone(),
        reporter: login(&issue.user),
        assignee: login(&issue.assignee),
        closed_at: issue.closed_at,
    };
    let (status, resolved_at) = github_sync::initial_status(&now, issue.created_at);
    let proposed = Fields {
        project,
        title: now.title.clone(),
        description,
        severity,
        status,
        labels,
        reporter: person(&issue.user, &mut HashSet::new()),
        assignee: person(&issue.assignee, unknown_people),
        resolved_at,
    };
    (now, proposed)
}

/// A bug's staged cells.
fn bug_cells(kind: ImportKind, fields: Fields, issue: &Issue) -> Vec<Cell> {
    let mut cells = vec![Cell::Null; kind.fields().len()];
    set(kind, &mut cells, "project_id", Cell::Uuid(fields.project));
    set(kind, &mut cells, "title", Cell::Text(fields.title));
    set(kind, &mut cells, "description", fields.description.map_or(Cell::Null, Cell::Text));
    set(kind, &mut cells, "severity", Cell::Severity(fields.severity));
    set(kind, &mut cells, "status", Cell::BugStatus(fields.status));
    set(kind, &mut cells, "labels", Cell::List(fields.labels));
    set(kind, &mut cells, "reporter_id", fields.reporter.map_or(Cell::Null, Cell::Uuid));
    set(kind, &mut cells, "assignee_id", fields.assignee.map_or(Cell::Null, Cell::Uuid));
    set(kind, &mut cells, "source", Cell::ImportSource(ImportSource::Github));
    set(kind, &mut cells, "external_id", Cell::Text(issue.html_url.clone()));
    set(kind, &mut cells, "created_at", Cell::Timestamp(issue.created_at));
    set(kind, &mut cells, "resolved_at", fields.resolved_at.map_or(Cell::Null, Cell::Timestamp));
    cells
}

async fn bugs(
    tx: &Transaction<'_>,
    files: &[PathBuf],
    labels: &SeverityLabels,
    dry_run: bool,
    github: &mut GithubSummary,
) -> Result<Summary> {
    let started = Instant::now();
    let kind = ImportKind::Bugs;
    let mut summary = Summary::default();
    if files.is_empty() {
        return Ok(summary);
    }
    // the projects as they are now, those of this import's repositories included
    let (projects, _) = known_projects(tx).await?;
    let logins = github_logins(tx).await?;
    let synced = synced_bugs(tx).await?;
    crate::fault::pause_point("github:read").await;
    let mut upstream_now: Vec<(String, serde_json::Value)> = Vec::new();
    let mut copy = stage::start_copy(tx, kind, indicatif::ProgressBar::hidden()).await?;
    let mut skipped = Skipped::default();
    let mut seen = HashSet::new();
    let mut line = 0u64;
    for file in files {
        let mut items = elements::<Issue>(file);
        while let Some(issue) = items.recv().await {
            let issue = issue?;
            line += 1;
            if issue.pull_request.is_some() {
                github.skipped_pull_requests += 1;
                continue;
            }
            let (severity, is_bug) = labels.classify(&issue.labels);
            if !is_bug {
                skipped.not_bugs += 1;
                continue;
            }
            if !seen.insert(issue.html_url.clone()) {
                continue; // the same issue on two pages
            }
            let repo = repository(file, &issue)?;
            let Some((project, _, _)) = projects.get(&repo.to_lowercase()) else {
                skipped.repositories.insert(repo);
                continue;
            };
            summary.total += 1;
            let (now, proposed) = read_issue(&issue, &repo, *project, severity, &logins, &mut skipped.people);
            let fields = match synced.get(&issue.html_url) {
                Some((current, recorded)) => {
                    let before = recorded.clone().unwrap_or_else(|| github_sync::assumed(current, &now));
                    github_sync::merge(current, &before, &now, &proposed, issue.created_at)
                }
                None => proposed,
            };
            upstream_now.push((issue.html_url.clone(), serde_json::to_value(&now)?));
            write(&mut copy, line, &bug_cells(kind, fields, &issue)).await?;
        }
    }
    copy.finish().await?;
    let mut insert = BUG_UPDATE.to_vec();
    insert.extend(["source", "external_id"]);
    let plan = Plan { kind, keys: vec![&["source", "external_id"]], update: BUG_UPDATE.to_vec(), insert };
    stage::match_rows(tx, &plan).await?;
    refuse(&files[0], stage::problems(tx, &plan).await?)?;
    summary.read_ms = super::elapsed_ms(started);
    let merging = Instant::now();
    summary.counts = if dry_run { stage::count(tx, &plan).await? } else { super::merge(tx, &plan).await? };
    if !dry_run {
        let (addresses, upstream): (Vec<String>, Vec<serde_json::Value>) = upstream_now.into_iter().unzip();
        db::execute(tx, &sql::IMPORT_GITHUB_RECORD_SYNC, &[&addresses, &upstream]).await?;
    }
    summary.merge_ms = super::elapsed_ms(merging);
    skipped.notes(github);
    Ok(summary)
}

fn set(kind: ImportKind, cells: &mut [Cell], name: &str, value: Cell) {
    if let Some(i) = kind.fields().iter().position(|f| f.name == name) {
        cells[i] = value;
    }
}

async fn write(copy: &mut crate::db::copy::CopyIn, line: u64, cells: &[Cell]) -> Result<()> {
    let line = i64::try_from(line).unwrap_or(i64::MAX);
    // GitHub's instants are exact to the second as they are stored: compared exactly
    let unit: Option<i64> = None;
    let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(cells.len() + 2);
    values.push(&line);
    values.extend(cells.iter().map(|cell| cell as &(dyn ToSql + Sync)));
    values.push(&unit);
    copy.write(&values).await?;
    Ok(())
}

/// Problems the table finds in API data are not the user's to fix row by row: the
/// import stops, naming the first.
fn refuse(file: &Path, problems: Vec<super::Problem>) -> Result<()> {
    match problems.first() {
        None => Ok(()),
        Some(first) => Err(anyhow!(
            "{}: element {}{}: {}; nothing was imported",
            file.display(),
            first.line,
            first.column.as_ref().map(|c| format!(", {c}")).unwrap_or_default(),
            first.message
        )),
    }
}

/// Text cut to at most `max_bytes` at a character boundary; empty is NULL.
fn clip_text(value: Option<&str>, max_bytes: usize) -> Option<String> {
    match value.map(|v| v.replace('\0', "")) {
        Some(v) if !v.trim().is_empty() => {
            let mut end = v.len().min(max_bytes);
            while !v.is_char_boundary(end) {
                end -= 1;
            }
            Some(v[..end].to_string())
        }
        _ => None,
    }
}

fn text(value: Option<&str>, max_bytes: usize) -> Cell {
    clip_text(value, max_bytes).map_or(Cell::Null, Cell::Text)
}

/// The bugs earlier syncs brought in, by issue address: their fields now, and what
/// upstream said at the last sync when ctodb recorded it.
async fn synced_bugs(tx: &Transaction<'_>) -> Result<HashMap<String, (Fields, Option<Upstream>)>> {
    let helper = sql::IMPORT_GITHUB_BUGS.name;
    let mut synced = HashMap::new();
    for row in db::query(tx, &sql::IMPORT_GITHUB_BUGS, &[]).await? {
        let fields = Fields {
            project: db::get(&row, helper, "project_id")?,
            title: db::get(&row, helper, "title")?,
            description: db::get(&row, helper, "description")?,
            severity: db::get(&row, helper, "severity")?,
            status: db::get(&row, helper, "status")?,
            labels: db::get(&row, helper, "labels")?,
            reporter: db::get(&row, helper, "reporter_id")?,
            assignee: db::get(&row, helper, "assignee_id")?,
            resolved_at: db::get(&row, helper, "resolved_at")?,
        };
        // a record an earlier version cannot have written is read as no record
        let upstream = db::get::<Option<serde_json::Value>>(&row, helper, "upstream")?
            .and_then(|value| serde_json::from_value(value).ok());
        synced.insert(db::get(&row, helper, "external_id")?, (fields, upstream));
    }
    Ok(synced)
}

fn clip_chars(value: &str, max: usize) -> String {
    value.replace('\0', "").chars().take(max).collect()
}

/// The elements of every top-level array in `file` (one per page), in order, read on a
/// blocking thread. A file that is not such JSON gives one error naming its line and
/// column.
fn elements<T: DeserializeOwned + Send + 'static>(file: &Path) -> mpsc::Receiver<Result<T>> {
    let (sender, receiver) = mpsc::channel(256);
    let path = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let result = read_pages(&path, &sender);
        if let Err(err) = result {
            let _ = sender.blocking_send(Err(err));
        }
    });
    receiver
}

fn read_pages<T: DeserializeOwned>(path: &Path, sender: &mpsc::Sender<Result<T>>) -> Result<()> {
    let file = File::open(path).map_err(|err| anyhow!("cannot read {}: {err}", path.display()))?;
    let label = path.file_name().map_or_else(|| "reading".into(), |name| name.to_string_lossy().into_owned());
    let file = crate::ui::ProgressRead::new(file, path, &label);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    // a UTF-8 byte order mark, as some editors write one
    let mut bom = [0u8; 3];
    let skip = {
        use std::io::BufRead;
        let buffer = reader.fill_buf().map_err(|err| anyhow!("cannot read {}: {err}", path.display()))?;
        let n = buffer.len().min(3);
        bom[..n].copy_from_slice(&buffer[..n]);
        bom == [0xef, 0xbb, 0xbf]
    };
    if skip {
        std::io::BufRead::consume(&mut reader, 3);
    }
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut pages = 0;
    loop {
        // only white space left: the file ends here (after at least one page)
        if deserializer.end().is_ok() {
            if pages == 0 {
                bail!(
                    "{} is empty: expected a JSON array of objects, as `gh api --paginate` saves it",
                    path.display()
                );
            }
            return Ok(());
        }
        let page = Page { sender, stopped: false, _item: std::marker::PhantomData };
        match page.deserialize(&mut deserializer) {
            Ok(true) => pages += 1,
            Ok(false) => return Ok(()), // the receiver is gone: the import stopped
            Err(err) => {
                let what = if err.is_eof() {
                    "ends in the middle of a JSON value (a truncated download?)".to_string()
                } else {
                    format!("is not GitHub API JSON: {}", strip_position(&err))
                };
                bail!("{}, line {}, column {}: {what}", path.display(), err.line(), err.column());
            }
        }
    }
}

fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// One top-level array: each element sent as it is read.
struct Page<'a, T> {
    sender: &'a mpsc::Sender<Result<T>>,
    stopped: bool,
    _item: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Page<'_, T> {
    /// false when the receiver went away
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        // any: an object gets to visit_map, which reads the API's error message
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Page<'_, T> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects, as the GitHub API returns a page")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(element) = seq.next_element_seed(Element::<T>(std::marker::PhantomData))? {
            match element {
                // an array inside the array: `gh api --paginate --slurp`
                Nested::Page(values) => {
                    for value in values {
                        if self.sender.blocking_send(Ok(value)).is_err() {
                            self.stopped = true;
                        }
                    }
                }
                Nested::One(value) => {
                    if self.sender.blocking_send(Ok(value)).is_err() {
                        self.stopped = true;
                    }
                }
            }
        }
        Ok(!self.stopped)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // a single object where a page was expected: the API's error document, say
        let mut message = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "message" {
                message = map.next_value::<Option<String>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Err(serde::de::Error::custom(match message {
            Some(message) => format!("expected an array, found an object with the message {message:?}"),
            None => "expected an array of objects, found a single object".to_string(),
        }))
    }
}

enum Nested<T> {
    One(T),
    Page(Vec<T>),
}

struct Element<T>(std::marker::PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Element<T> {
    type Value = Nested<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Nested<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Element<T> {
    type Value = Nested<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Nested<T>, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Nested::One)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested<T>, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element::<T>()? {
            values.push(value);
        }
        Ok(Nested::Page(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (Result<()>, usize) {
        let (result, issues) = read_issues(bytes);
        (result, issues.len())
    }

    /// The issues a file holds, as the import reads them.
    fn read_issues(bytes: &[u8]) -> (Result<()>, Vec<Issue>) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        let (sender, mut receiver) = mpsc::channel::<Result<Issue>>(1 << 16);
        let result = read_pages(file.path(), &sender);
        drop(sender);
        let mut issues = Vec::new();
        while let Ok(issue) = receiver.try_recv() {
            issues.extend(issue.ok());
        }
        (result, issues)
    }

    #[test]
    fn pages_back_to_back_a_slurped_array_and_a_bom_read_alike() {
        let issue = r#"{"html_url": "https://github.com/o/r/issues/1", "repository_url": "https://api.github.com/repos/o/r",
            "title": "t", "state": "open", "created_at": "2026-11-01T00:00:00Z"}"#;
        for text in [
            format!("[{issue}][{issue}]"),
            format!("[[{issue}],[{issue}]]"),
            format!("\u{feff}[{issue}]\n[{issue}]\n"),
        ] {
            let (result, n) = read(text.as_bytes());
            assert!(result.is_ok(), "{text}: {result:?}");
            assert_eq!(n, 2, "{text}");
        }
        let (result, _) = read(b"[]\n[");
        assert!(result
            .unwrap_err()
            .to_string()
            .ends_with("ends in the middle of a JSON value (a truncated download?)"));
    }

    proptest::proptest! {
        /// Any bytes: issues read, or one error naming the file's line and column; never a
        /// panic.
        #[test]
        fn any_bytes_are_read_or_refused_with_a_position(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            json in r#"[\[\]{}",:0-9a-z_ ]{0,80}"#,
        ) {
            for input in [bytes.as_slice(), json.as_bytes()] {
                let (result, _) = read(input);
                if let Err(err) = result {
                    let text = err.to_string();
                    proptest::prop_assert!(text.contains(", line ") || text.contains(" is empty"), "{}", text);
                }
            }
        }

        /// Valid issues with hostile fields (quotes, backslashes, NULs, newlines, Unicode,
        /// long bodies, odd labels), on one page or on pages back to back: every issue is
        /// read, its fields exactly as upstream wrote them.
        #[test]
        fn valid_issues_with_hostile_fields_read_back_exactly(
            issues in proptest::collection::vec(
                (hostile_text(200), proptest::option::of(hostile_text(5_000)),
                 proptest::collection::vec(hostile_text(30), 0..4), proptest::bool::ANY),
                0..6,
            ),
            pages in 1usize..3,
        ) {
            let json: Vec<serde_json::Value> = issues
                .iter()
                .enumerate()
                .map(|(n, (title, body, labels, closed))| serde_json::json!({
                    "html_url": format!("https://github.com/o/r/issues/{n}"),
                    "repository_url": "https://api.github.com/repos/o/r",
                    "title": title,
                    "body": body,
                    "labels": labels.iter().map(|name| serde_json::json!({"name": name})).collect::<Vec<_>>(),
                    "state": if *closed { "closed" } else { "open" },
                    "state_reason": if *closed { Some("not_planned") } else { None },
                    "created_at": "2026-11-01T00:00:00Z",
                    "closed_at": if *closed { Some("2026-11-02T00:00:00Z") } else { None },
                }))
                .collect();
            let per_page = json.len().div_ceil(pages).max(1);
            let mut text: String = json.chunks(per_page).map(|page| serde_json::Value::Array(page.to_vec()).to_string() + "\n").collect();
            if text.is_empty() {
                text = "[]".to_string();
            }
            let (result, read) = read_issues(text.as_bytes());
            proptest::prop_assert!(result.is_ok(), "{:?}", result);
            proptest::prop_assert_eq!(read.len(), issues.len());
            for (got, (title, body, labels, closed)) in read.iter().zip(&issues) {
                proptest::prop_assert_eq!(&got.title, title);
                proptest::prop_assert_eq!(&got.body, body);
                let names: Vec<&str> = got.labels.iter().map(Label::name).collect();
                proptest::prop_assert_eq!(names, labels.iter().map(String::as_str).collect::<Vec<_>>());
                proptest::prop_assert_eq!(got.state_reason.is_some(), *closed);
            }
        }
    }

    /// Text with everything JSON must escape and more.
    fn hostile_text(max: usize) -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(&format!(
            "[a-zA-Z0-9 \"\\\\/\n\r\t\u{0}\u{1f}é漢🙂\u{2028}{{}}\\[\\],:]{{0,{max}}}"
        ))
        .expect("a valid pattern")
    }
}
