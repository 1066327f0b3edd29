//! Reading an import CSV: the header mapped to the kind's columns, each record checked
//! cell by cell into a staged row. Records stream through; nothing but the problems is
//! kept, so memory does not grow with the file.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use csv::{ByteRecord, Reader, ReaderBuilder};
use sha2::{Digest, Sha256};

use super::cell::{self, Cell, References};
use super::fields::{classify, Header, ImportKind};
use super::lines::{Counting, Lines};
use super::Problem;
use crate::model::ImportSource;

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub ignore_unknown: bool,
}

/// What the header row says.
#[derive(Debug)]
pub struct Layout {
    pub kind: ImportKind,
    /// the file's header names, as written
    pub names: Vec<String>,
    /// for each column of the file, the field it sets (None: computed or ignored)
    pub columns: Vec<Option<usize>>,
    /// the fields the file sets, in the kind's order
    pub present: Vec<usize>,
    /// computed columns the file carries (ignored)
    pub computed: Vec<String>,
    /// unknown columns ignored under --ignore-unknown
    pub ignored: Vec<String>,
}

impl Layout {
    pub fn has(&self, name: &str) -> bool {
        self.present.iter().any(|i| self.kind.fields()[*i].name == name)
    }

    /// Whether the columns can match rows: a key of the kind, or for bugs (which may
    /// leave their source out, csv) an external id or a project and title to derive one.
    fn has_key(&self) -> bool {
        let kind = self.kind;
        kind.keys().iter().any(|key| key.iter().all(|column| self.has(column)))
            || (kind == ImportKind::Bugs
                && (self.has("external_id") || (self.has("project_id") && self.has("title"))))
    }
}

/// A CSV file being read, record by record, with each record's line.
pub struct CsvFile {
    reader: Reader<BufReader<Counting<crate::ui::ProgressRead<File>>>>,
    lines: Arc<Mutex<Lines>>,
}

impl CsvFile {
    /// The next record and the line it starts on.
    pub fn next(&mut self, record: &mut ByteRecord) -> csv::Result<Option<u64>> {
        if !self.reader.read_byte_record(record)? {
            return Ok(None);
        }
        Ok(Some(self.line_of(record.position().map_or(0, csv::Position::byte))))
    }

    /// The line of a byte offset the csv crate reports (a record's, an error's).
    pub fn line_of(&self, byte: u64) -> u64 {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).line_of(byte)
    }
}

pub fn open(path: &Path, options: CsvOptions) -> std::io::Result<CsvFile> {
    let file = crate::ui::ProgressRead::new(File::open(path)?, path, "reading");
    let (counting, lines) = Counting::new(file);
    let reader = ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, counting));
    Ok(CsvFile { reader, lines })
}

/// The header row: every column known, computed or (with --ignore-unknown) ignored, and
/// no column twice. `Err` is the problem, on line 1.
pub fn layout(kind: ImportKind, header: &ByteRecord, options: CsvOptions) -> Result<Layout, Problem> {
    let mut layout = Layout {
        kind,
        names: Vec::new(),
        columns: Vec::new(),
        present: Vec::new(),
        computed: Vec::new(),
        ignored: Vec::new(),
    };
    let mut unknown = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(Problem::at(1, format!("column {}", i + 1), "the header is not valid UTF-8"));
        };
        let name = name.trim_start_matches('\u{feff}').trim().to_string();
        match classify(kind, &name) {
            Header::Field(field) => {
                if let Some(first) = layout.columns.iter().position(|c| *c == Some(field)) {
                    return Err(Problem::at(
                        1,
                        name.clone(),
                        format!(
                            "names the same column as {:?} (column {}); keep one of them",
                            layout.names[first],
                            first + 1
                        ),
                    ));
                }
                layout.columns.push(Some(field));
                layout.present.push(field);
            }
            Header::Computed => {
                layout.columns.push(None);
                layout.computed.push(name.clone());
            }
            Header::Unknown => {
                layout.columns.push(None);
                if name.is_empty() {
                    unknown.push(format!("column {} (no name)", i + 1));
                } else {
                    unknown.push(name.clone());
                }
            }
        }
        layout.names.push(name);
    }
    // a file of another kind (`ctodb users -f csv` given as projects) is refused even
    // with --ignore-unknown, which would import its few matching columns as projects
    if let Some(problem) = another_kind(kind, &layout.names) {
        return Err(problem);
    }
    if !unknown.is_empty() {
        if !options.ignore_unknown {
            return Err(unknown_columns(kind, &layout.names, &unknown));
        }
        layout.ignored = unknown;
    }
    layout.present.sort_unstable();
    if !layout.has_key() {
        return Err(no_key(kind));
    }
    Ok(layout)
}

/// The kind whose columns the header names more of than `kind`'s, as a problem naming it.
fn another_kind(kind: ImportKind, names: &[String]) -> Option<Problem> {
    let fits = |k: ImportKind| names.iter().filter(|n| !matches!(classify(k, n), Header::Unknown)).count();
    let ours = fits(kind);
    let (theirs, other) = [ImportKind::Projects, ImportKind::Bugs, ImportKind::Users, ImportKind::Metrics]
        .into_iter()
        .filter(|k| *k != kind)
        .map(|k| (fits(k), k))
        .max_by_key(|(n, _)| *n)?;
    (theirs > ours).then(|| {
        Problem::at(
            1,
            String::new(),
            format!(
                "looks like a {} file ({theirs} of its {} columns are {} columns, {ours} are {} columns); import \
                 it with --kind {}",
                other.table(),
                names.len(),
                other.table(),
                kind.table(),
                other.table()
            ),
        )
    })
}

/// The first header that is not a column of the kind, the others, and a guess at the
/// separator when the whole header is one name.
fn unknown_columns(kind: ImportKind, names: &[String], unknown: &[String]) -> Problem {
    let fields: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
    let others = match &unknown[1..] {
        [] => String::new(),
        more => format!(" (nor are {})", more.join(", ")),
    };
    // one header holding the others: the file uses another separator
    let separator = [(';', "';'"), ('\t', "tab"), ('|', "'|'")]
        .into_iter()
        .find(|(c, _)| names.len() == 1 && unknown[0].contains(*c))
        .map(|(_, name)| format!(" (the file looks separated by {name}: add --delimiter {name})"))
        .unwrap_or_default();
    Problem::at(
        1,
        unknown[0].clone(),
        format!(
            "is not a column of {}{others}{separator}; its columns are {}; --ignore-unknown skips unknown columns",
            kind.table(),
            fields.join(", ")
        ),
    )
}

/// A header without a column rows are matched by.
fn no_key(kind: ImportKind) -> Problem {
    let wanted = match kind {
        ImportKind::Projects => "name (or id, or github_repo)",
        ImportKind::Users => "email (or id)",
        ImportKind::Bugs => "bug (the number), external_id, or project and title",
        ImportKind::Metrics => "project and metric_date (or id)",
    };
    Problem::at(1, String::new(), format!("has no key column: a {} file needs {wanted}", kind.noun()))
}

/// The coarsest precision the record's instants are written at, in microseconds (a date
/// alone is a day, `10:57` a minute, `10:57:07` a second, `.123` a millisecond); None when
/// it holds no instant or each is written to the microsecond.
pub fn instant_unit(layout: &Layout, record: &ByteRecord) -> Option<i64> {
    let fields = layout.kind.fields();
    record
        .iter()
        .zip(&layout.columns)
        .filter_map(|(raw, field)| {
            let field = (*field)?;
            matches!(fields[field].ty, super::fields::FieldType::Timestamp).then_some(raw)
        })
        .filter_map(|raw| std::str::from_utf8(raw).ok())
        .filter(|text| !text.trim().is_empty())
        .map(written_unit)
        .max()
        .filter(|unit| *unit > 1)
}

/// The precision of one written instant, in microseconds.
fn written_unit(text: &str) -> i64 {
    let text = text.trim();
    let Some(time) = text.get(10..).map(|rest| rest.trim_start_matches(['T', 't', ' '])) else {
        return 86_400_000_000;
    };
    if time.is_empty() {
        return 86_400_000_000;
    }
    // the clock part, before a zone (Z, +hh:mm, -hh:mm)
    let clock = time.split(['Z', 'z', '+', '-']).next().unwrap_or(time);
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    match whole.matches(':').count() {
        0 => 3_600_000_000,
        1 => 60_000_000,
        _ => {
            let digits = fraction.chars().take_while(char::is_ascii_digit).count().min(6);
            10i64.pow(6 - digits as u32)
        }
    }
}

/// One record read: the staged cells (every field of the kind, in order) or what is
/// wrong with it.
pub fn row(
    layout: &Layout,
    record: &ByteRecord,
    line: u64,
    refs: &References,
) -> Result<Vec<Cell>, Vec<Problem>> {
    let fields = layout.kind.fields();
    let mut cells = vec![Cell::Null; fields.len()];
    let mut problems = Vec::new();
    if record.len() != layout.names.len() {
        let (column, message) = if record.len() < layout.names.len() {
            (
                layout.names[record.len()].clone(),
                format!(
                    "has {} fields, the header has {}; this one and those after it are missing",
                    record.len(),
                    layout.names.len()
                ),
            )
        } else {
            (
                format!("field {}", layout.names.len() + 1),
                format!("has {} fields, the header has {}", record.len(), layout.names.len()),
            )
        };
        return Err(vec![Problem::at(line, column, message)]);
    }
    for (i, raw) in record.iter().enumerate() {
        let Some(field) = layout.columns[i] else { continue };
        let name = &layout.names[i];
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(err) => {
                problems.push(Problem::at(
                    line,
                    name.clone(),
                    format!("is not valid UTF-8 (byte {} of the field)", err.valid_up_to() + 1),
                ));
                continue;
            }
        };
        match cell::parse(&fields[field], text, refs) {
            Ok(value) => cells[field] = value,
            Err(reason) => problems.push(Problem::at(line, name.clone(), reason)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if layout.kind == ImportKind::Bugs {
        bug_identity(layout, &mut cells, line)?;
    }
    Ok(cells)
}

/// A bugs row's source (csv unless the file says otherwise) and, when it has neither a
/// number nor an external id, an external id derived from its project, title and
/// creation instant, so that importing the same file twice finds the same bug.
fn bug_identity(layout: &Layout, cells: &mut [Cell], line: u64) -> Result<(), Vec<Problem>> {
    let kind = layout.kind;
    let index = |name: &str| kind.fields().iter().position(|f| f.name == name).unwrap_or_default();
    let (source, external, number) = (index("source"), index("external_id"), index("bug_number"));
    if cells[source] == Cell::Null {
        cells[source] = Cell::ImportSource(ImportSource::Csv);
    }
    if cells[external] != Cell::Null || cells[number] != Cell::Null || cells[index("id")] != Cell::Null {
        return Ok(());
    }
    let (Cell::Uuid(project), Cell::Text(title)) = (&cells[index("project_id")], &cells[index("title")])
    else {
        return Err(vec![Problem::at(
            line,
            String::new(),
            "a new bug needs a bug number, an external_id, or a project and a title".to_string(),
        )]);
    };
    let created = match &cells[index("created_at")] {
        Cell::Timestamp(t) => t.timestamp_micros().to_string(),
        _ => String::new(),
    };
    let mut hash = Sha256::new();
    for part in [project.to_string().as_str(), title.as_str(), created.as_str()] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    cells[external] = Cell::Text(format!("csv:{hex}"));
    Ok(())
}

#[cfg(test)]
mod unit_tests {
    use super::written_unit;

    #[test]
    fn an_instant_is_as_precise_as_it_is_written() {
        assert_eq!(written_unit("2024-09-28"), 86_400_000_000);
        assert_eq!(written_unit("2024-09-28 10:57"), 60_000_000);
        assert_eq!(written_unit("2024-09-28 10:57:07"), 1_000_000);
        assert_eq!(written_unit("2024-09-28T10:57:07Z"), 1_000_000);
        assert_eq!(written_unit("2024-09-28T10:57:07.5+02:00"), 100_000);
        assert_eq!(written_unit("2024-09-28T10:57:07.123-05:00"), 1_000);
        assert_eq!(written_unit("2024-09-28T10:57:07.123456Z"), 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any header and any record, bytes included: a layout and a staged row, or
        /// problems naming a line; never a panic.
        #[test]
        fn any_header_and_record_is_staged_or_refused(
            header in proptest::collection::vec("[a-zA-Z_ -]{0,12}", 0..8),
            fields in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..24), 0..10),
        ) {
            let options = CsvOptions { delimiter: b',', ignore_unknown: true };
            let header: ByteRecord = header.iter().map(|h| h.as_bytes()).collect();
            for kind in [ImportKind::Projects, ImportKind::Bugs, ImportKind::Users] {
                match layout(kind, &header, options) {
                    Ok(layout) => {
                        let record: ByteRecord = fields.iter().map(|f| f.as_slice()).collect();
                        if let Err(problems) = row(&layout, &record, 7, &References::default()) {
                            proptest::prop_assert!(problems.iter().all(|p| p.line == 7 && !p.message.is_empty()));
                        }
                    }
                    Err(problem) => proptest::prop_assert_eq!(problem.line, 1),
                }
            }
        }

        /// A valid header and rows of hostile cells (quotes, commas, newlines, carriage
        /// returns, Unicode, invalid UTF-8, huge fields), written by a CSV writer with LF or
        /// CRLF endings and read back through the real reader: each record carries the line
        /// it starts on, each cell reaches the cell rules exactly as written, and every
        /// problem names that line and the column.
        #[test]
        fn hostile_cells_reach_the_cell_rules_intact_on_their_own_line(
            rows in proptest::collection::vec(proptest::collection::vec(hostile_cell(), 3), 1..5),
            crlf in proptest::bool::ANY,
        ) {
            let names = ["name", "description", "primary_language"];
            let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
            let mut writer = csv::WriterBuilder::new().terminator(terminator).from_writer(Vec::new());
            writer.write_record(names).unwrap();
            let mut starts = Vec::new();
            for row in &rows {
                writer.flush().unwrap();
                starts.push(writer.get_ref().len());
                writer.write_record(row).unwrap();
            }
            let text = writer.into_inner().unwrap();
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, &text).unwrap();
            let options = CsvOptions { delimiter: b',', ignore_unknown: false };
            let mut csv = open(file.path(), options).unwrap();
            let mut record = ByteRecord::new();
            proptest::prop_assert_eq!(csv.next(&mut record).unwrap(), Some(1));
            let layout = layout(ImportKind::Projects, &record, options).unwrap();
            let refs = References::default();
            let fields = ImportKind::Projects.fields();
            for (row, start) in rows.iter().zip(&starts) {
                let expected_line = 1 + text[..*start].iter().filter(|b| **b == b'\n').count() as u64;
                let line = csv.next(&mut record).unwrap();
                proptest::prop_assert_eq!(line, Some(expected_line));
                let staged = super::row(&layout, &record, expected_line, &refs);
                for (i, raw) in row.iter().enumerate() {
                    let field = fields.iter().position(|f| f.name == names[i]).unwrap();
                    let expected = std::str::from_utf8(raw).map_err(|_| ()).and_then(|text| {
                        cell::parse(&fields[field], text, &refs).map_err(|_| ())
                    });
                    match (&staged, expected) {
                        (Ok(cells), Ok(value)) => proptest::prop_assert_eq!(&cells[field], &value),
                        (Err(problems), Ok(_)) => proptest::prop_assert!(
                            problems.iter().all(|p| p.column.as_deref() != Some(names[i])),
                            "{} was refused: {:?}", names[i], problems
                        ),
                        (Err(problems), Err(())) => proptest::prop_assert!(
                            problems.iter().any(|p| p.line == expected_line && p.column.as_deref() == Some(names[i])),
                            "{} was not refused on line {}: {:?}", names[i], expected_line, problems
                        ),
                        (Ok(_), Err(())) => proptest::prop_assert!(false, "{} was taken", names[i]),
                    }
                }
            }
            proptest::prop_assert_eq!(csv.next(&mut record).unwrap(), None);
        }
    }

    /// A cell a person or a tool could write.
    fn hostile_cell() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::strategy::Strategy;
        proptest::prop_oneof![
            6 => "[a-zA-Z0-9 ,\"'\n\r\t;é漢🙂\\-]{0,40}".prop_map(String::into_bytes),
            2 => proptest::collection::vec(proptest::num::u8::ANY, 0..16),
            1 => (1usize..3).prop_map(|n| vec![b'x'; n * 150_000]),
        ]
    }
}
