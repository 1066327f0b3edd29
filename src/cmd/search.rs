//! `ctodb search TEXT`: typo correction against the dictionary of words in the data,
//! then trigram word similarity on names and titles and full text on descriptions.

use anyhow::Result;

use super::{Context, Outcome};
use crate::cli::SearchArgs;
use crate::db::{self, DbError};
use crate::output::{Frame, Report, Value};
use crate::queries::{fetch_frame, search};
use crate::sql;
use crate::ui;

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
    let client = db.client().await?;
    let correctable: Vec<String> = typed.iter().filter(|w| w.len() <= MAX_CORRECTED_WORD).cloned().collect();
    let mut corrected = Vec::new();
    let mut unknown = Vec::new();
    // how many bugs hold the rarest word (every word, at most), and how many there are
    let mut rarest: Option<(i64, i64)> = None;
    if !correctable.is_empty() {
        let helper = sql::SEARCH_CORRECT_WORDS.name;
        for row in db::query(&**client, &sql::SEARCH_CORRECT_WORDS, &[&correctable]).await? {
            let word: String = db::get(&row, helper, "corrected")?;
            if db::get::<bool>(&row, helper, "known")? {
                let holding: Option<i64> = db::get(&row, helper, "ndoc")?;
                let bugs: i64 = db::get(&row, helper, "bugs")?;
                if let Some(holding) = holding {
                    rarest = Some(rarest.map_or((holding, bugs), |(fewest, _)| (fewest.min(holding), bugs)));
                }
            } else {
                unknown.push(word.clone());
            }
            corrected.push(word);
        }
    }
    if corrected != correctable {
        ui::info(&format!(
            "searching for \"{}\" (corrected from \"{}\")",
            corrected.join(" "),
            correctable.join(" ")
        ));
    }
    // A word no bug or project holds would only empty the full-text AND: left out while
    // others remain (alone, it still goes to title similarity, which may find a partial word).
    if !unknown.is_empty() && unknown.len() < corrected.len() {
        ui::info(&format!("no bug or project mentions \"{}\"; searching without it", unknown.join("\", \"")));
        corrected.retain(|word| !unknown.contains(word));
    }
    let query = corrected.join(" ");
    let limit = i64::from(args.limit);
    let mut frame: Option<Frame> = None;
    if !args.bugs {
        frame = Some(fetch_frame(&**client, &sql::SEARCH_PROJECTS, &[&query, &limit], "results").await?);
    }
    if !args.projects {
        let common = rarest.is_some_and(|(holding, bugs)| search::scans(holding, bugs));
        let bugs = search_bugs(&client, &query, &corrected, limit, common).await?;
        frame = Some(match frame {
            Some(mut all) => {
                all.rows.extend(bugs.rows);
                all
            }
            None => bugs,
        });
    }
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

/// Full text first (ranked, cheap at scale): the bugs holding every word. When they are
/// fewer than asked, those holding some of the words fill up (ranked the same way), and
/// then titles similar to the text (partial words, spellings the dictionary did not
/// correct). The id column the SQL returns for that is dropped here.
async fn search_bugs(
    client: &tokio_postgres::Client,
    query: &str,
    words: &[String],
    limit: i64,
    common: bool,
) -> Result<Frame> {
    let mut found = if common {
        let scan = format!("BEGIN; {}", search::SCAN_DOCUMENTS);
        client.batch_execute(&scan).await.map_err(|err| DbError::query("search/scan documents", err))?;
        let found = fetch_frame(client, &sql::SEARCH_BUGS_FULLTEXT, &[&query, &limit], "results").await;
        client.batch_execute("COMMIT").await.map_err(|err| DbError::query("search/scan documents", err))?;
        found?
    } else {
        fetch_frame(client, &sql::SEARCH_BUGS_FULLTEXT, &[&query, &limit], "results").await?
    };
    let id = found.column_index("id").unwrap_or(found.columns.len() - 1);
    let reference = found.column_index("ref").unwrap_or(1);
    if words.len() > 1 && (found.rows.len() as i64) < limit {
        let missing = limit - found.rows.len() as i64;
        let numbers: Vec<i64> = found
            .rows
            .iter()
            .filter_map(|row| match &row[reference] {
                Value::Text(number) => number.parse().ok(),
                _ => None,
            })
            .collect();
        // one text, so that the server folds the query to a constant once
        let any_word = words.join(" or ");
        let more =
            fetch_frame(client, &sql::SEARCH_BUGS_ANY_WORD, &[&any_word, &missing, &numbers], "results")
                .await?;
        found.rows.extend(more.rows);
    }
    let missing = limit - found.rows.len() as i64;
    if missing > 0 {
        let ids: Vec<uuid::Uuid> = found
            .rows
            .iter()
            .filter_map(|row| match row[id] {
                Value::Uuid(id) => Some(id),
                _ => None,
            })
            .collect();
        let more = fetch_frame(client, &sql::SEARCH_BUGS_TITLE, &[&query, &missing, &ids], "results").await?;
        found.rows.extend(more.rows);
    }
    found.columns.remove(id);
    for row in &mut found.rows {
        row.remove(id);
    }
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
