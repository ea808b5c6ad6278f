//! Body isolation: the report's title and sections, without the page chrome
//! before it or the notices and other documents' snippets after it.

use super::lines::NormLine;
use crate::config::text_rules::TextRules;

/// Where the body is, as line indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Title lines: read for the year, never for figures.
    pub titles: Vec<usize>,
    /// Lines holding figures: from after the titles to `end` (exclusive).
    pub start: usize,
    pub end: usize,
}

/// How many non-empty lines from the top a title is looked for in.
const TITLE_WINDOW: usize = 12;

pub fn isolate(lines: &[NormLine], rules: &TextRules) -> Body {
    let is_chrome = |l: &NormLine| rules.chrome.is_match(&l.text);
    let is_title = |l: &NormLine| {
        let t = l.text.trim();
        !t.is_empty() && t.chars().count() <= 60 && !t.contains('。') && rules.title.is_match(t)
    };
    let end = lines
        .iter()
        .position(|l| rules.body_end.is_match(&l.text))
        .unwrap_or(lines.len());
    let non_empty: Vec<usize> = (0..end)
        .filter(|&i| !lines[i].text.trim().is_empty())
        .collect();
    let first_title = non_empty
        .iter()
        .take(TITLE_WINDOW)
        .copied()
        .find(|&i| !is_chrome(&lines[i]) && is_title(&lines[i]));
    let Some(first) = first_title else {
        let start = non_empty
            .iter()
            .copied()
            .find(|&i| !is_chrome(&lines[i]))
            .unwrap_or(end);
        return Body {
            titles: vec![],
            start,
            end,
        };
    };
    let mut titles = vec![first];
    let mut start = first + 1;
    for &i in non_empty.iter().filter(|&&i| i > first) {
        if is_title(&lines[i]) && titles.len() < 3 {
            titles.push(i);
            start = i + 1;
        } else {
            break;
        }
    }
    Body { titles, start, end }
}
