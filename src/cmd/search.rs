//! `ctodb search TEXT`: typo correction against the dictionary of words in the data,
//! then trigram word similarity on names and titles and full text on descriptions.

use anyhow::Result;

use super::{fetch_frame, Context, Outcome};
use crate::cli::SearchArgs;
use crate::db;
use crate::output::{Report, Value};
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
    let corrected: Vec<String> = if correctable.is_empty() {
        Vec::new()
    } else {
        db::query(&**client, &sql::SEARCH_CORRECT_WORDS, &[&correctable])
            .await?
            .iter()
            .map(|row| row.get("corrected"))
            .collect()
    };
    let query = corrected.join(" ");
    if corrected != correctable {
        ui::info(&format!("searching for \"{query}\" (corrected from \"{}\")", correctable.join(" ")));
    }
    let limit = i64::from(args.limit);
    let mut results: Option<crate::output::Frame> = None;
    for (wanted, helper) in [(!args.bugs, &sql::SEARCH_PROJECTS), (!args.projects, &sql::SEARCH_BUGS)] {
        if !wanted {
            continue;
        }
        let frame = fetch_frame(&**client, helper, &[&query, &limit], "results").await?;
        results = Some(match results {
            None => frame,
            Some(mut all) => {
                all.rows.extend(frame.rows);
                all
            }
        });
    }
    let Some(mut frame) = results else { unreachable!("clap forbids --projects with --bugs") };
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
