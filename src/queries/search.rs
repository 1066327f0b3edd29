//! How the full-text search of bugs scans, shared by `ctodb search` and the worst case
//! `ctodb doctor` measures.

/// From this share of bugs holding every word of the query (the rarest word's share, an
/// upper bound), the full-text search reads the whole narrow relation of documents in
/// parallel instead of gathering the matches by the index: measured at xl, the bitmap of
/// two words each in a third of the bugs (115,000 matches) took 185-210 ms, the scan
/// 140 ms; for 30,000 matches the two are even (3 %), and below that the index wins.
pub const COMMON_WORD_SHARE: f64 = 0.03;

/// The planner prices a bitmap of common words as cheaper than it is; inside a
/// transaction this setting makes it scan instead. A fixed setting, never user input.
pub const SCAN_DOCUMENTS: &str = "SET LOCAL enable_bitmapscan = off";

/// Whether a query whose rarest word is held by `holding` of `bugs` bugs is common
/// enough to scan.
pub fn scans(holding: i64, bugs: i64) -> bool {
    holding as f64 / bugs.max(1) as f64 >= COMMON_WORD_SHARE
}

#[cfg(test)]
mod tests {
    use super::scans;

    #[test]
    fn three_percent_of_the_bugs_is_common() {
        assert!(scans(30_000, 1_000_000));
        assert!(!scans(29_999, 1_000_000));
        assert!(scans(380_437, 1_000_000));
        assert!(!scans(0, 0));
        assert!(scans(1, 0));
    }
}
