//! Lines of a report, folded for matching while keeping where each character was written.

use unicode_normalization::UnicodeNormalization;

/// One line: `text` is NFKC-folded with ASCII lower-cased; every character of
/// it knows the 1-based column of the original character it came from.
#[derive(Debug, Clone)]
pub struct NormLine {
    /// 1-based line number in the original text.
    pub number: usize,
    pub text: String,
    /// Folding changed no character but ASCII case: byte offsets of `text` are byte
    /// offsets of `orig` (most lines of a report, CJK and ASCII only).
    plain: bool,
    /// For other lines, built when first asked (most lines never are): one
    /// `(byte offset in text, original 1-based column, byte offset in orig)` per char of `text`.
    cols: std::sync::OnceLock<Vec<(u32, u32, u32)>>,
    /// The original line, without its line ending.
    pub orig: String,
}

/// Folds one character, calling `emit` with each character it folds to.
fn fold_char(c: char, mut emit: impl FnMut(char)) {
    if c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c) {
        emit(c.to_ascii_lowercase());
    } else if let Some(a) = fullwidth_ascii(c) {
        emit(a.to_ascii_lowercase());
    } else {
        for n in std::iter::once(c).nfkc() {
            emit(n.to_ascii_lowercase());
        }
    }
}

impl NormLine {
    pub fn new(number: usize, orig: &str) -> NormLine {
        let plain = orig
            .chars()
            .all(|c| c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c));
        let text = if plain {
            orig.to_ascii_lowercase()
        } else {
            let mut text = String::with_capacity(orig.len());
            for c in orig.chars() {
                fold_char(c, |n| text.push(n));
            }
            text
        };
        NormLine {
            number,
            text,
            plain,
            cols: std::sync::OnceLock::new(),
            orig: orig.to_string(),
        }
    }

    fn cols(&self) -> &[(u32, u32, u32)] {
        self.cols.get_or_init(|| {
            let mut cols = Vec::with_capacity(self.text.len());
            let mut at = 0u32;
            for (i, (o, c)) in self.orig.char_indices().enumerate() {
                fold_char(c, |n| {
                    cols.push((at, i as u32 + 1, o as u32));
                    at += n.len_utf8() as u32;
                });
            }
            cols
        })
    }

    /// The entry of the character holding byte `offset` of `text`.
    fn entry(&self, offset: usize) -> Option<(u32, u32, u32)> {
        let cols = self.cols();
        match cols.binary_search_by_key(&(offset as u32), |c| c.0) {
            Ok(i) => cols.get(i).copied(),
            Err(i) => cols.get(i.saturating_sub(1)).copied(),
        }
    }

    /// Original 1-based column of the character at byte `offset` of `text`.
    pub fn col_at(&self, offset: usize) -> u32 {
        if self.plain {
            // The characters starting at or before `offset`.
            let upto = self.text.len().min(offset.saturating_add(1));
            let n = self.text.as_bytes()[..upto]
                .iter()
                .filter(|&&b| (b as i8) >= -0x40)
                .count();
            return n.max(1) as u32;
        }
        self.entry(offset).map_or(1, |e| e.1)
    }

    /// The original text between two byte offsets of `text`: from the original
    /// character of `start` through that of the last byte before `end`.
    pub fn orig_slice(&self, start: usize, end: usize) -> String {
        if start >= end {
            return String::new();
        }
        let o = &self.orig;
        let (a, last) = if self.plain {
            (start.min(o.len()), (end - 1).min(o.len()))
        } else {
            match (self.entry(start), self.entry(end - 1)) {
                (Some(a), Some(b)) => (a.2 as usize, b.2 as usize),
                _ => return String::new(),
            }
        };
        let floor = |mut i: usize| {
            while !o.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (a, last) = (floor(a), floor(last));
        let b = last + o[last..].chars().next().map_or(0, char::len_utf8);
        o[a..b.max(a)].to_string()
    }

    /// `L<line>:<first col>-<last col>` for a byte span of `text`.
    pub fn locator(&self, start: usize, end: usize) -> String {
        let a = self.col_at(start);
        let b = self.col_at(end.saturating_sub(1).max(start));
        format!("L{}:{}-{}", self.number, a, b)
    }
}

/// The ASCII character a full-width form (U+FF01–U+FF5E, and the ideographic space)
/// folds to under NFKC, without running the normalizer: most non-ASCII characters
/// of a report besides hanzi are these.
fn fullwidth_ascii(c: char) -> Option<char> {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
        '\u{3000}' => Some(' '),
        _ => None,
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
    fn plain_lines_map_columns_like_folded_ones() {
        // The same text through the fast path (CJK and ASCII only) and the folding one.
        let plain = NormLine::new(1, "园区产值12.5亿元,增长3%");
        let folded = NormLine::new(1, "园区产值12.5亿元,增长3%\u{3000}");
        assert!(plain.plain && !folded.plain);
        assert_eq!(plain.col_at(plain.text.len()), 15);
        for i in 0..plain.text.len() {
            assert_eq!(plain.col_at(i), folded.col_at(i), "offset {i}");
        }
        for (a, b) in [(0, 3), (12, 16), (5, 20), (0, plain.text.len())] {
            assert_eq!(plain.orig_slice(a, b), folded.orig_slice(a, b), "{a}..{b}");
            assert_eq!(plain.locator(a, b), folded.locator(a, b));
        }
    }

    #[test]
    fn fullwidth_forms_fold_as_nfkc_does() {
        for c in ('\u{ff01}'..='\u{ff5e}').chain(['\u{3000}']) {
            let nfkc: String = std::iter::once(c).nfkc().collect();
            assert_eq!(fullwidth_ascii(c).map(String::from), Some(nfkc), "{c}");
        }
    }

    #[test]
    fn crlf_lines() {
        let ls = lines("a\r\nb\n");
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[0].text, "a");
        assert_eq!(ls[1].number, 2);
    }
}
