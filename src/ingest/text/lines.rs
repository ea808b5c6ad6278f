//! Lines of a report, folded for matching while keeping where each character was written.

use unicode_normalization::UnicodeNormalization;

/// One line: `text` is NFKC-folded with ASCII lower-cased; every character of
/// it knows the 1-based column of the original character it came from.
#[derive(Debug, Clone)]
pub struct NormLine {
    /// 1-based line number in the original text.
    pub number: usize,
    pub text: String,
    /// (byte offset in `text`, original 1-based char column), one per char of `text`.
    cols: Vec<(u32, u32)>,
    /// The original line, without its line ending.
    pub orig: String,
}

impl NormLine {
    pub fn new(number: usize, orig: &str) -> NormLine {
        let mut text = String::with_capacity(orig.len());
        let mut cols = Vec::with_capacity(orig.len());
        for (i, c) in orig.chars().enumerate() {
            let col = i as u32 + 1;
            if c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c) {
                cols.push((text.len() as u32, col));
                text.push(c.to_ascii_lowercase());
            } else {
                for n in std::iter::once(c).nfkc() {
                    cols.push((text.len() as u32, col));
                    text.push(n.to_ascii_lowercase());
                }
            }
        }
        NormLine {
            number,
            text,
            cols,
            orig: orig.to_string(),
        }
    }

    /// Original 1-based column of the character at byte `offset` of `text`.
    pub fn col_at(&self, offset: usize) -> u32 {
        match self.cols.binary_search_by_key(&(offset as u32), |c| c.0) {
            Ok(i) => self.cols[i].1,
            Err(i) => self.cols.get(i.saturating_sub(1)).map(|c| c.1).unwrap_or(1),
        }
    }

    /// The original text between two byte offsets of `text`.
    pub fn orig_slice(&self, start: usize, end: usize) -> String {
        if start >= end {
            return String::new();
        }
        let a = self.col_at(start) as usize - 1;
        let b = self.col_at(end.saturating_sub(1).max(start)) as usize;
        self.orig
            .chars()
            .skip(a)
            .take(b.saturating_sub(a))
            .collect()
    }

    /// `L<line>:<first col>-<last col>` for a byte span of `text`.
    pub fn locator(&self, start: usize, end: usize) -> String {
        let a = self.col_at(start);
        let b = self.col_at(end.saturating_sub(1).max(start));
        format!("L{}:{}-{}", self.number, a, b)
    }
}

/// Splits decoded text into lines (LF, CRLF or CR) and folds each.
pub fn lines(text: &str) -> Vec<NormLine> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| NormLine::new(i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_columns() {
        let l = NormLine::new(3, "增长１２．５％，");
        assert_eq!(l.text, "增长12.5%,");
        let start = l.text.find("12").unwrap();
        let end = l.text.find('%').unwrap() + 1;
        assert_eq!(l.locator(start, end), "L3:3-7");
        assert_eq!(l.orig_slice(start, end), "１２．５％");
    }

    #[test]
    fn crlf_lines() {
        let ls = lines("a\r\nb\n");
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[0].text, "a");
        assert_eq!(ls[1].number, 2);
    }
}
