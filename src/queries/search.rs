//! How `ctodb search` turns the words typed into what it asks the server, and how the
//! full-text search of bugs scans (shared with the worst case `ctodb doctor` measures).

/// From this share of the bugs expected to match, the full-text search reads the whole
/// narrow relation of documents in parallel instead of gathering the matches by the
/// index: measured at xl, the bitmap of two words each in a third of the bugs (115,000
/// matches) took 185-210 ms, the scan 140 ms; any of two common words (175,000 matches)
/// 250-500 ms against 140-190 ms; for 30,000 matches the two are even (3 %), and below
/// that the index wins.
pub const COMMON_WORD_SHARE: f64 = 0.03;

/// The most matches a full-text search ranks. When the words are expected in more bugs
/// than this, only the newest bugs are searched, as many as hold about this many matches:
/// ranking reads every match's document, and a word in a third of ten million bugs is
/// 3.3 million documents (1.3 s) while the best twenty of the newest matches cost a
/// fraction of that. Below it (every search of a portfolio of up to 20,000 bugs, and any
/// search of a rarer word) every match is ranked. BENCHMARKS.md, "Search at the limit".
pub const MAX_RANKED_MATCHES: f64 = 20_000.0;

/// The most bugs such a window holds: a search of the newest bugs reads each of their
/// documents (in bug number order, as they lie on disk), 100,000 in about 35 ms.
pub const MAX_WINDOW_BUGS: i64 = 100_000;

/// The planner prices a bitmap of common words as cheaper than it is; inside a
/// transaction this setting makes it scan instead. A fixed setting, never user input.
pub const SCAN_DOCUMENTS: &str = "SET LOCAL enable_bitmapscan = off";

/// Ends [`SCAN_DOCUMENTS`] for the rest of the transaction (the title search after it
/// needs its bitmap scan of the trigram index).
pub const SCAN_DONE: &str = "SET LOCAL enable_bitmapscan TO DEFAULT";

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
    /// the highest bug number of the search documents (0 when there are none)
    newest: i64,
}

/// The newest bugs a search ranks among, when its words are too common to rank every
/// match: those numbered above `floor`, about `bugs` of them, expected to hold `matches`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub floor: i64,
    pub bugs: i64,
    pub matches: i64,
}

impl SearchTerms {
    /// A word no bug or project holds would only empty the full-text AND: it is left out
    /// while a word of the data, whole or partial, remains. Alone, such words still go to
    /// title similarity.
    pub fn new(words: Vec<QueryWord>, bugs: i64, newest: i64) -> SearchTerms {
        let searchable =
            words.iter().any(|w| matches!(w.kind, WordKind::Whole { .. } | WordKind::Prefix { .. }));
        let (kept, dropped): (Vec<QueryWord>, Vec<QueryWord>) =
            words.into_iter().partition(|w| !searchable || w.kind != WordKind::Unknown);
        SearchTerms { words: kept, dropped: dropped.into_iter().map(|w| w.text).collect(), bugs, newest }
    }

    /// The window of newest bugs that holds about MAX_RANKED_MATCHES of `share` (the
    /// expected share of bugs matching), or None when every match can be ranked.
    fn window(&self, share: f64) -> Option<Window> {
        let expected = share * self.bugs as f64;
        if expected <= MAX_RANKED_MATCHES || self.bugs <= 0 {
            return None;
        }
        let bugs = ((MAX_RANKED_MATCHES / share).ceil() as i64).min(MAX_WINDOW_BUGS);
        Some(Window { floor: (self.newest - bugs).max(0), bugs, matches: expected.round() as i64 })
    }

    /// The window of the search for every word: the bugs holding every word are at most
    /// those holding its rarest (words of bug titles come together: "payment webhook" is
    /// in far more bugs than the product of their shares says).
    pub fn window_all(&self) -> Option<Window> {
        let rarest = self.shares().reduce(f64::min)?;
        self.window(rarest)
    }

    /// The window of the search for any of the words: at most the sum of their shares.
    pub fn window_any(&self) -> Option<Window> {
        let mut shares = self.shares().peekable();
        shares.peek()?;
        self.window(shares.sum::<f64>().min(1.0))
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
        let alone = SearchTerms::new(
            vec![word("qqq", WordKind::Unknown), word("of", WordKind::Stop)],
            1_000_000,
            1_000_000,
        );
        assert!(alone.dropped.is_empty());
        assert_eq!(alone.all_whole(), "qqq of");
        assert_eq!(alone.title_text(), "qqq");
        assert!(!alone.has_alternatives());
        assert!(!alone.scans());
        assert!(!alone.scans_any());
        assert!(!alone.only_stop_words());

        let stop = SearchTerms::new(vec![word("the", WordKind::Stop), word("a", WordKind::Stop)], 10, 10);
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
            1_000_000,
        );
        assert!(common.scans(), "13.5 % expected");
        assert_eq!(rare.all_prefixes(), "lo:*");
        assert_eq!(rare.any_prefix(), "lo:*");
    }

    #[test]
    fn words_in_too_many_bugs_are_ranked_among_the_newest() {
        let show = |bugs: i64, newest: i64| {
            SearchTerms::new(
                vec![
                    word("show", WordKind::Whole { holding: Some(bugs * 38 / 100) }),
                    word("custom", WordKind::Whole { holding: Some(bugs * 355 / 1000) }),
                ],
                bugs,
                newest,
            )
        };
        // both words: at most custom's 35.5 % of a million, 355,000; the newest 56,339
        // hold 20,000 of those
        let xl = show(1_000_000, 1_000_500);
        assert_eq!(
            xl.window_all(),
            Some(super::Window { floor: 1_000_500 - 56_339, bugs: 56_339, matches: 355_000 })
        );
        // either word: at most 38 % + 35.5 % = 73.5 %: the newest 27,211
        let any = xl.window_any().unwrap();
        assert_eq!((any.bugs, any.matches), (27_211, 735_000));
        // a portfolio of 50,000 bugs: at most 17,750 hold both, every one ranked; either
        // word is in up to 36,750: windowed
        assert_eq!(show(50_000, 50_000).window_all(), None);
        assert_eq!(show(50_000, 50_000).window_any().map(|w| w.bugs), Some(27_211));
        // more bugs in the window than numbers below the newest: the floor stays at 0
        let gappy = show(1_000_000, 50_000);
        assert_eq!(gappy.window_all().map(|w| w.floor), Some(0));
        // a prefix in 4 % of ten million bugs: 500,000 would hold 20,000; 100,000 are read
        let dashb = SearchTerms::new(
            vec![word("dashb", WordKind::Prefix { holding: 400_000 })],
            10_000_000,
            10_000_000,
        );
        assert_eq!(
            dashb.window_all(),
            Some(super::Window { floor: 9_900_000, bugs: 100_000, matches: 400_000 })
        );
        // a rare word: nothing to window, whatever the size
        let rare = SearchTerms::new(
            vec![word("quokka", WordKind::Whole { holding: Some(12) })],
            10_000_000,
            10_000_000,
        );
        assert_eq!(rare.window_all(), None);
        assert_eq!(rare.window_any(), None);
        // no word of the data: no search, no window
        let none = SearchTerms::new(vec![word("the", WordKind::Stop)], 10_000_000, 10_000_000);
        assert_eq!(none.window_all(), None);
    }
}
