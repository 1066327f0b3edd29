//! How `ctodb search` turns the words typed into what it asks the server, and how the
//! full-text search of bugs scans (shared with the worst case `ctodb doctor` measures).

/// From this share of the bugs expected to match, the full-text search reads the whole
/// narrow relation of documents in parallel instead of gathering the matches by the
/// index: measured at xl, the bitmap of two words each in a third of the bugs (115,000
/// matches) took 185-210 ms, the scan 140 ms; any of two common words (175,000 matches)
/// 250-500 ms against 140-190 ms; for 30,000 matches the two are even (3 %), and below
/// that the index wins.
pub const COMMON_WORD_SHARE: f64 = 0.03;

/// The planner prices a bitmap of common words as cheaper than it is; inside a
/// transaction this setting makes it scan instead. A fixed setting, never user input.
pub const SCAN_DOCUMENTS: &str = "SET LOCAL enable_bitmapscan = off";

/// How one word of a query is searched, as search/correct_words classifies it.
#[derive(Debug, Clone, PartialEq)]
pub enum WordKind {
    /// A word of the data; `holding` documents hold it (None for a project-name word).
    Whole { holding: Option<i64> },
    /// An English stop word ("the", "of"): full text drops it, and title similarity would
    /// find it in half the titles.
    Stop,
    /// Not a word of the data but the beginning of some ("dashb"): searched as a prefix;
    /// `holding` documents hold the words it begins, at most.
    Prefix { holding: i64 },
    /// Neither: no bug or project holds it.
    Unknown,
}

/// One (corrected) word of a query and how it is searched.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    /// letters and digits only (cmd/search splits on everything else)
    pub text: String,
    pub kind: WordKind,
}

/// The words of a query, ready to be bound to the search helpers.
#[derive(Debug)]
pub struct SearchTerms {
    words: Vec<QueryWord>,
    /// words no bug or project holds, left out because others remain
    pub dropped: Vec<String>,
    bugs: i64,
}

impl SearchTerms {
    /// A word no bug or project holds would only empty the full-text AND: it is left out
    /// while a word of the data, whole or partial, remains. Alone, such words still go to
    /// title similarity.
    pub fn new(words: Vec<QueryWord>, bugs: i64) -> SearchTerms {
        let searchable =
            words.iter().any(|w| matches!(w.kind, WordKind::Whole { .. } | WordKind::Prefix { .. }));
        let (kept, dropped): (Vec<QueryWord>, Vec<QueryWord>) =
            words.into_iter().partition(|w| !searchable || w.kind != WordKind::Unknown);
        SearchTerms { words: kept, dropped: dropped.into_iter().map(|w| w.text).collect(), bugs }
    }

    fn joined(&self, keep: impl Fn(&WordKind) -> bool, suffix: &str, separator: &str) -> String {
        let chosen: Vec<String> =
            self.words.iter().filter(|w| keep(&w.kind)).map(|w| format!("{}{suffix}", w.text)).collect();
        chosen.join(separator)
    }

    /// Every word kept, as typed (corrected): what projects are matched against.
    pub fn text(&self) -> String {
        self.joined(|_| true, "", " ")
    }

    /// The words that are not prefixes, for websearch_to_tsquery (every one required).
    pub fn all_whole(&self) -> String {
        self.joined(|k| !matches!(k, WordKind::Prefix { .. }), "", " ")
    }

    /// The partial words as to_tsquery prefixes, every one required ("dashb:* & paym:*").
    pub fn all_prefixes(&self) -> String {
        self.joined(|k| matches!(k, WordKind::Prefix { .. }), ":*", " & ")
    }

    /// The words of the data, any one of them (websearch_to_tsquery: "login or timeout").
    pub fn any_whole(&self) -> String {
        self.joined(|k| matches!(k, WordKind::Whole { .. }), "", " or ")
    }

    /// The partial words as prefixes, any one of them ("dashb:* | paym:*").
    pub fn any_prefix(&self) -> String {
        self.joined(|k| matches!(k, WordKind::Prefix { .. }), ":*", " | ")
    }

    /// What titles are compared with: every word but the stop words (empty: no fill-up).
    pub fn title_text(&self) -> String {
        self.joined(|k| *k != WordKind::Stop, "", " ")
    }

    /// Whether bugs holding some of the words may fill up: two words of the data or more.
    pub fn has_alternatives(&self) -> bool {
        self.words
            .iter()
            .filter(|w| matches!(w.kind, WordKind::Whole { .. } | WordKind::Prefix { .. }))
            .count()
            > 1
    }

    /// Whether every word is a stop word (nothing to search bugs for).
    pub fn only_stop_words(&self) -> bool {
        !self.words.is_empty() && self.words.iter().all(|w| w.kind == WordKind::Stop)
    }

    /// The share of the bugs holding each word of the data (a partial word: the words it
    /// begins, at most all bugs).
    fn shares(&self) -> impl Iterator<Item = f64> + '_ {
        let bugs = self.bugs.max(1) as f64;
        self.words.iter().filter_map(move |w| match w.kind {
            WordKind::Whole { holding } => holding.map(|h| h as f64 / bugs),
            WordKind::Prefix { holding } => Some((holding as f64 / bugs).min(1.0)),
            _ => None,
        })
    }

    /// Whether the search for every word should scan the documents: the matches expected
    /// (the product of the words' shares, as if they were independent, as the planner
    /// assumes too) are COMMON_WORD_SHARE of the bugs or more.
    pub fn scans(&self) -> bool {
        let mut shares = self.shares().peekable();
        shares.peek().is_some() && shares.product::<f64>() >= COMMON_WORD_SHARE
    }

    /// Whether the search for any of the words should: one common word is enough.
    pub fn scans_any(&self) -> bool {
        self.shares().any(|share| share >= COMMON_WORD_SHARE)
    }
}

#[cfg(test)]
mod tests {
    use super::{QueryWord, SearchTerms, WordKind};

    fn word(text: &str, kind: WordKind) -> QueryWord {
        QueryWord { text: text.to_string(), kind }
    }

    #[test]
    fn unknown_words_go_while_words_of_the_data_remain() {
        let terms = SearchTerms::new(
            vec![
                word("login", WordKind::Whole { holding: Some(145_000) }),
                word("qqq", WordKind::Unknown),
                word("the", WordKind::Stop),
                word("dashb", WordKind::Prefix { holding: 40_000 }),
            ],
            1_000_000,
        );
        assert_eq!(terms.dropped, vec!["qqq"]);
        assert_eq!(terms.text(), "login the dashb");
        assert_eq!(terms.all_whole(), "login the");
        assert_eq!(terms.all_prefixes(), "dashb:*");
        assert_eq!(terms.any_whole(), "login");
        assert_eq!(terms.any_prefix(), "dashb:*");
        assert_eq!(terms.title_text(), "login dashb");
        assert!(terms.has_alternatives());
        assert!(!terms.scans(), "login and dashb together: 14.5 % of 4 %, 0.58 %");
        assert!(terms.scans_any(), "login alone is 14.5 %");

        // alone, unknown words stay (for title similarity); stop words are not searchable
        let alone =
            SearchTerms::new(vec![word("qqq", WordKind::Unknown), word("of", WordKind::Stop)], 1_000_000);
        assert!(alone.dropped.is_empty());
        assert_eq!(alone.all_whole(), "qqq of");
        assert_eq!(alone.title_text(), "qqq");
        assert!(!alone.has_alternatives());
        assert!(!alone.scans());
        assert!(!alone.scans_any());
        assert!(!alone.only_stop_words());

        let stop = SearchTerms::new(vec![word("the", WordKind::Stop), word("a", WordKind::Stop)], 10);
        assert!(stop.only_stop_words());
        assert_eq!(stop.title_text(), "");

        // a rare whole word decides: the AND holds no more bugs than it
        let rare = SearchTerms::new(
            vec![
                word("show", WordKind::Whole { holding: Some(380_000) }),
                word("quokka", WordKind::Whole { holding: Some(12) }),
                word("lo", WordKind::Prefix { holding: 2_000_000 }),
            ],
            1_000_000,
        );
        assert!(!rare.scans());
        assert!(rare.scans_any());
        let common = SearchTerms::new(
            vec![
                word("show", WordKind::Whole { holding: Some(380_000) }),
                word("custom", WordKind::Whole { holding: Some(355_000) }),
            ],
            1_000_000,
        );
        assert!(common.scans(), "13.5 % expected");
        assert_eq!(rare.all_prefixes(), "lo:*");
        assert_eq!(rare.any_prefix(), "lo:*");
    }
}
