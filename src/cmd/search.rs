//! `ctodb search TEXT`: typo correction against the dictionary of words in the data,
//! then trigram word similarity on names and titles and full text on descriptions.

use anyhow::Result;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use super::{Context, Outcome};
use crate::cli::SearchArgs;
use crate::db::{self, DbError};
use crate::frame::{Frame, Report, Value};
use crate::queries::fetch_frame;
use crate::queries::search::{self, QueryWord, SearchTerms, WordKind};
use crate::sql;
use crate::ui;

/// A partial word this short or longer is searched as a prefix of the words it begins; a
/// single letter begins too many.
const MIN_PREFIX: usize = 2;

/// Longer words are not corrected: nobody misspells a hash, and levenshtein has a limit.
const MAX_CORRECTED_WORD: usize = 64;

/// Lower-case words of letters and digits; everything else separates them. Quotes, `%`,
/// `_` and backslashes therefore never reach the SQL as syntax (and it is bound anyway).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

pub async fn run(ctx: &Context, args: SearchArgs) -> Result<Outcome> {
    let typed = words(&args.text);
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let correctable: Vec<String> = typed.iter().filter(|w| w.len() <= MAX_CORRECTED_WORD).cloned().collect();
    let (corrected, bugs, newest) = correct(&client, &correctable).await?;
    // only the words really replaced, each as typed and as searched
    let replaced: Vec<String> = correctable
        .iter()
        .zip(&corrected)
        .filter(|(typed, word)| **typed != word.text)
        .map(|(typed, word)| format!("\"{}\" instead of \"{typed}\"", word.text))
        .collect();
    if !replaced.is_empty() {
        ui::info(&format!("searching for {}", replaced.join(", ")));
    }
    let partial: Vec<&str> = corrected
        .iter()
        .filter(|w| matches!(w.kind, WordKind::Prefix { .. }))
        .map(|w| w.text.as_str())
        .collect();
    if !partial.is_empty() {
        ui::info(&format!("searching for words that begin with \"{}\"", partial.join("\", \"")));
    }
    let terms = SearchTerms::new(corrected, bugs, newest);
    if !terms.dropped.is_empty() {
        ui::info(&format!(
            "no bug or project mentions \"{}\"; searching without it",
            terms.dropped.join("\", \"")
        ));
    }
    if terms.only_stop_words() {
        ui::info("only common English words (stop words): no bug is searched for them");
    }
    let query = terms.text();
    let limit = i64::from(args.limit);
    let mut frame: Option<Frame> = None;
    if !args.bugs {
        frame = Some(fetch_frame(&client, &sql::SEARCH_PROJECTS, &[&query, &limit], "results").await?);
    }
    if !args.projects {
        let bugs = search_bugs(&client, &terms, limit).await?;
        frame = Some(match frame {
            Some(mut all) => {
                all.rows.extend(bugs.rows);
                all
            }
            None => bugs,
        });
    }
    db::end_read(client).await?;
    let Some(mut frame) = frame else { anyhow::bail!("--projects and --bugs cannot be given together") };
    if query.is_empty() {
        frame.rows.clear();
    }
    // best first across both kinds
    let score = frame.column_index("score").unwrap_or(0);
    frame.rows.sort_by(|a, b| match (&b[score], &a[score]) {
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    });
    let frame = frame.when_empty(format!("nothing matches \"{}\"", args.text));
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// The words corrected against the data's own words, each with what it is (a stop word, a
/// whole word, a prefix, unknown), how many bugs the search documents cover, and the
/// newest bug's number.
async fn correct(client: &Transaction<'_>, correctable: &[String]) -> Result<(Vec<QueryWord>, i64, i64)> {
    let mut corrected = Vec::new();
    let (mut bugs, mut newest) = (0, 0);
    if correctable.is_empty() {
        return Ok((corrected, bugs, newest));
    }
    let helper = sql::SEARCH_CORRECT_WORDS.name;
    for row in db::query(client, &sql::SEARCH_CORRECT_WORDS, &[&correctable]).await? {
        let text: String = db::get(&row, helper, "corrected")?;
        bugs = db::get(&row, helper, "bugs")?;
        newest = db::get(&row, helper, "newest")?;
        let partial: Option<i64> = db::get(&row, helper, "prefix_ndoc")?;
        let kind = if db::get::<bool>(&row, helper, "stop")? {
            WordKind::Stop
        } else if db::get::<bool>(&row, helper, "known")? {
            WordKind::Whole { holding: db::get(&row, helper, "ndoc")? }
        } else if let Some(holding) = partial.filter(|_| text.chars().count() >= MIN_PREFIX) {
            WordKind::Prefix { holding }
        } else {
            WordKind::Unknown
        };
        corrected.push(QueryWord { text, kind });
    }
    Ok((corrected, bugs, newest))
}

/// Full text first (ranked, cheap at scale): the bugs holding every word, partial words
/// as prefixes. When they are fewer than asked, those holding some of the words fill up
/// (ranked the same way), and then titles similar to the words that are not stop words
/// (spellings the dictionary did not correct). The id column the SQL returns for that is
/// dropped here.
async fn search_bugs(client: &Transaction<'_>, terms: &SearchTerms, limit: i64) -> Result<Frame> {
    // each a single text, so that the server folds the query to a constant once
    let (all_whole, all_prefixes) = (terms.all_whole(), terms.all_prefixes());
    let params: [&(dyn ToSql + Sync); 3] = [&all_whole, &limit, &all_prefixes];
    let window = terms.window_all();
    let helper = &sql::SEARCH_BUGS_FULLTEXT;
    let mut found =
        fetch_windowed(client, helper, &params, terms.scans(), window, limit, "every word together").await?;
    let id = found.column_index("id").unwrap_or(found.columns.len() - 1);
    let reference = found.column_index("ref").unwrap_or(1);
    if terms.has_alternatives() && (found.rows.len() as i64) < limit {
        let missing = limit - found.rows.len() as i64;
        let numbers: Vec<i64> = found
            .rows
            .iter()
            .filter_map(|row| match &row[reference] {
                Value::Text(number) => number.parse().ok(),
                _ => None,
            })
            .collect();
        let (any_whole, any_prefix) = (terms.any_whole(), terms.any_prefix());
        let params: [&(dyn ToSql + Sync); 4] = [&any_whole, &missing, &numbers, &any_prefix];
        let (helper, window) = (&sql::SEARCH_BUGS_ANY_WORD, terms.window_any());
        let more =
            fetch_windowed(client, helper, &params, terms.scans_any(), window, missing, "any of the words")
                .await?;
        found.rows.extend(more.rows);
    }
    let missing = limit - found.rows.len() as i64;
    let title_text = terms.title_text();
    if missing > 0 && !title_text.is_empty() {
        let ids: Vec<uuid::Uuid> = found
            .rows
            .iter()
            .filter_map(|row| match row[id] {
                Value::Uuid(id) => Some(id),
                _ => None,
            })
            .collect();
        let more =
            fetch_frame(client, &sql::SEARCH_BUGS_TITLE, &[&title_text, &missing, &ids], "results").await?;
        found.rows.extend(more.rows);
    }
    found.columns.remove(id);
    for row in &mut found.rows {
        row.remove(id);
    }
    Ok(found)
}

/// Runs a full-text helper whose last parameter is the number its search starts above:
/// among the newest bugs of `window` first (read in order), and among every bug when those
/// held fewer than `wanted` (scanning the documents when `scans`: common words); says on
/// stderr when the newest bugs were enough.
async fn fetch_windowed(
    client: &Transaction<'_>,
    helper: &sql::Helper,
    params: &[&(dyn ToSql + Sync)],
    scans: bool,
    mut window: Option<search::Window>,
    wanted: i64,
    holding: &str,
) -> Result<Frame> {
    loop {
        let floor = window.map_or(0, |w| w.floor);
        let mut all = params.to_vec();
        all.push(&floor);
        let found = fetch_scanning(client, scans || window.is_some(), helper, &all).await?;
        match window {
            Some(_) if (found.rows.len() as i64) < wanted => window = None,
            _ => {
                say_window(window, holding);
                return Ok(found);
            }
        }
    }
}

/// Says on stderr that the words were too common for every match to be ranked, and which
/// bugs were (when the newest bugs held enough matches; otherwise every bug was searched).
fn say_window(window: Option<search::Window>, holding: &str) {
    if let Some(window) = window {
        let count = |n: i64| crate::output::group_thousands(&rust_decimal::Decimal::from(n), 0);
        ui::info(&format!(
            "{holding} may be in up to {} bugs: the newest {} bugs were searched (for at most about {} \
             matches); a rarer word reaches older bugs",
            count(window.matches),
            count(window.bugs),
            count(search::MAX_RANKED_MATCHES as i64)
        ));
    }
}

/// Runs a full-text helper, made to scan the documents when `scan` (common words: see
/// queries/search.rs) by a setting the transaction holds for that statement alone.
async fn fetch_scanning(
    client: &Transaction<'_>,
    scan: bool,
    helper: &sql::Helper,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Frame> {
    if !scan {
        return fetch_frame(client, helper, params, "results").await;
    }
    let setting = |sql| async move {
        client.batch_execute(sql).await.map_err(|err| DbError::query("search/scan documents", err))
    };
    setting(search::SCAN_DOCUMENTS).await?;
    let found = fetch_frame(client, helper, params, "results").await?;
    setting(search::SCAN_DONE).await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn punctuation_only_separates_words() {
        assert_eq!(words("Lgoin  'timout'%_\\"), vec!["lgoin", "timout"]);
        assert!(words("%_\\'\"").is_empty());
        assert!(words("").is_empty());
    }
}
