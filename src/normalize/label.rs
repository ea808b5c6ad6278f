//! Text folding shared by every matcher: full-width → half-width, no whitespace.

use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width digits, letters and punctuation → ASCII), whitespace
/// (including U+3000) removed, ASCII letters lower-cased. Used for keys, not for display.
pub fn fold(s: &str) -> String {
    fold_common(s).unwrap_or_else(|| fold_nfkc(s))
}

fn fold_nfkc(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// The same for text of only ASCII, full-width ASCII, CJK ideographs and CJK punctuation
/// (nearly every label), a character at a time: NFKC composes nothing there. `None` for
/// any other text.
fn fold_common(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{3000}' => {}
            c if c.is_ascii() => {
                if !c.is_whitespace() {
                    out.push(c.to_ascii_lowercase());
                }
            }
            '\u{FF01}'..='\u{FF5E}' => {
                out.push(char::from((c as u32 - 0xFEE0) as u8).to_ascii_lowercase());
            }
            '\u{4E00}'..='\u{9FFF}' | '\u{3001}'..='\u{3035}' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// A row or column label as a key: folded, a leading `其中:` removed, and a
/// trailing `(unit)` split off. Returns (label, unit written in the label).
pub fn clean_label(s: &str) -> (String, Option<String>) {
    let mut t = fold(s);
    for p in ["其中:", "其中"] {
        if let Some(rest) = t.strip_prefix(p) {
            t = rest.to_string();
            break;
        }
    }
    if t.ends_with(')') {
        if let Some(open) = t.rfind('(') {
            let unit = t[open + 1..t.len() - 1].to_string();
            let label = t[..open].to_string();
            if !label.is_empty() && !unit.is_empty() {
                return (label, Some(unit));
            }
        }
    }
    (t, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_path_folds_as_nfkc_does() {
        let ranges = [0u32..0x80, 0x3000..0x3036, 0xFF01..0xFF5F, 0x4E00..0xA000];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(fold_common(&one).as_ref(), Some(&fold_nfkc(&one)), "{c:?}");
        }
        for s in [
            "　规上 工业总产值（万元）",
            "Ｙｏｙ：１２．５％",
            "其中:高新技术",
            "1至8月、同比",
        ] {
            assert_eq!(fold_common(s), Some(fold_nfkc(s)));
        }
        // Anything else takes the full NFKC path.
        assert_eq!(fold_common("㎡"), None);
        assert_eq!(fold("㎡"), "m2");
    }

    #[test]
    fn folds_width_and_space() {
        assert_eq!(fold("　规上 工业总产值"), "规上工业总产值");
        assert_eq!(fold("１２．５％"), "12.5%");
        assert_eq!(fold("台（套）"), "台(套)");
        assert_eq!(fold("YoY"), "yoy");
    }

    #[test]
    fn cleans_labels() {
        assert_eq!(
            clean_label("  其中：高新技术产业产值"),
            ("高新技术产业产值".into(), None)
        );
        assert_eq!(
            clean_label("工业用电量（万千瓦时）"),
            ("工业用电量".into(), Some("万千瓦时".into()))
        );
        assert_eq!(clean_label("营业收入"), ("营业收入".into(), None));
    }
}
