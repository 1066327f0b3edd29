//! Line numbers of CSV records, from their byte offsets. The csv crate's own count is
//! wrong in two common cases: with CRLF line endings each record is reported at the line
//! before its own (BurntSushi/rust-csv#395), and the first record after a blank line at the
//! blank line (#208). So the file is read through `Counting`, which notes where every '\n'
//! is, and a record's line is one more than the newlines before its first byte, found by
//! stepping over the line breaks and blank lines at the offset the crate reports.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// The offsets of the newlines read but not yet passed, and how many were passed.
#[derive(Debug, Default)]
pub struct Lines {
    ahead: VecDeque<u64>,
    passed: u64,
    /// the whole input as far as it was read: to look at the byte at an offset
    window: VecDeque<(u64, u8)>,
}

/// A reader that records newline offsets into shared `Lines` as bytes pass through.
pub struct Counting<R> {
    inner: R,
    offset: u64,
    lines: Arc<Mutex<Lines>>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> (Counting<R>, Arc<Mutex<Lines>>) {
        let lines = Arc::new(Mutex::new(Lines::default()));
        (Counting { inner, offset: 0, lines: lines.clone() }, lines)
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        for (i, byte) in buf[..n].iter().enumerate() {
            if matches!(byte, b'\n' | b'\r') {
                let at = self.offset + i as u64;
                lines.window.push_back((at, *byte));
                if *byte == b'\n' {
                    lines.ahead.push_back(at);
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl Lines {
    /// The line (from 1) of the record the csv crate places at `byte`: line breaks and
    /// blank lines right at `byte` belong before the record.
    pub fn line_of(&mut self, byte: u64) -> u64 {
        let mut start = byte;
        // the line-break bytes (\r, \n) noted at or after `start`, in order
        while let Some(&(at, _)) = self.window.front() {
            if at < start {
                self.window.pop_front();
            } else if at == start {
                self.window.pop_front();
                start += 1;
            } else {
                break;
            }
        }
        while self.ahead.front().is_some_and(|&at| at < start) {
            self.ahead.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, first field) of every record of `text`, as the import reads them.
    fn lines(text: &str) -> Vec<(u64, String)> {
        let (counting, lines) = Counting::new(text.as_bytes());
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(counting);
        let mut record = csv::ByteRecord::new();
        let mut seen = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let byte = record.position().unwrap().byte();
            let line = lines.lock().unwrap().line_of(byte);
            seen.push((line, String::from_utf8_lossy(&record[0]).into_owned()));
        }
        seen
    }

    #[test]
    fn records_are_numbered_by_the_lines_they_start_on() {
        let expected =
            vec![(1, "a".to_string()), (2, "b".into()), (4, "c".into()), (5, "d\ne".into()), (9, "f".into())];
        // LF, CRLF, blank lines of either, a quoted field over two lines
        assert_eq!(lines("a\nb\n\nc\n\"d\ne\"\n\n\nf\n"), expected);
        assert_eq!(lines("a\r\nb\r\n\r\nc\r\n\"d\ne\"\r\n\r\n\r\nf\r\n"), expected);
        assert_eq!(lines("a\r\nb\n\r\nc\n\"d\ne\"\r\n\n\r\nf"), expected);
    }
}
