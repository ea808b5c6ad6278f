//! Text folding shared by every matcher: full-width → half-width, no whitespace.

use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width digits, letters and punctuation → ASCII), whitespace
/// (including U+3000) removed, ASCII letters lower-cased. Used for keys, not for display.
pub fn fold(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_lowercase())
        .collect()
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
