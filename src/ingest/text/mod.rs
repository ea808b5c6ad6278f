//! Report text → observations: decode, fold, isolate the body, split sentences,
//! find figures and link each to its indicator, scope, period and growth.

pub mod attribute;
pub mod body;
pub mod lines;
pub mod periods;
pub mod spots;

use super::{FileOutput, SourceContext};
use crate::config::pipeline::EntityDef;
use crate::model::Scope;
use attribute::DocContext;
use periods::{time_spans, TimeRole};

static HEADING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^\s*(?:[一二三四五六七八九十]+、|\(\s*[一二三四五六七八九十]+\s*\)|\d+[、.])",
    )
    .expect("static pattern")
});

/// Sentences of a line: byte spans ending after `。`, `!` or `?`, or at the line end.
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | '!' | '?') {
            out.push((start, i + c.len_utf8()));
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out.into_iter()
        .map(|(a, b)| {
            let lead = text[a..b].len() - text[a..b].trim_start().len();
            (a + lead, b)
        })
        .filter(|(a, b)| a < b)
        .collect()
}

/// Reads one report text. `file_name` is a last resort for the year.
pub fn read(text: &str, file_name: &str, ctx: &SourceContext) -> Result<FileOutput, String> {
    let rules = &ctx.dicts.text;
    let all = lines::lines(text);
    let body = body::isolate(&all, rules);
    let titles: Vec<&str> = body.titles.iter().map(|&i| all[i].text.as_str()).collect();
    let body_lines: Vec<&str> = (body.start..body.end)
        .map(|i| all[i].text.as_str())
        .collect();
    let first_body = body.titles.first().copied().unwrap_or(body.start);
    let chrome: Vec<&str> = all[..first_body]
        .iter()
        .chain(all[body.end..].iter().take(0))
        .map(|l| l.text.as_str())
        .collect();
    // A source's own year wins; else the report's title, dates or file name; else the pipeline's year.
    let year = ctx
        .forced_year
        .or_else(|| periods::document_year(&titles, &body_lines, &chrome, file_name))
        .or(ctx.year);

    // The latest month the body reports, for 截至目前 and 今年以来.
    // Sentences worth reading, with their time phrases (found once, used twice).
    let mut work: Vec<(usize, usize, usize, Vec<periods::TimeSpan>)> = Vec::new();
    for (li, line) in all.iter().enumerate().take(body.end).skip(body.start) {
        for (a, b) in sentences(&line.text) {
            let s = &line.text[a..b];
            // Most sentences of a report hold no number and name no period.
            let numeric = s
                .chars()
                .any(|c| c.is_ascii_digit() || crate::normalize::cn_number::is_cn_numeral_char(c));
            if numeric
                || ["半年", "季度", "以来", "全年"]
                    .iter()
                    .any(|w| s.contains(w))
            {
                work.push((li, a, b, time_spans(s)));
            }
        }
    }
    let mut month: Option<u8> = None;
    for (_, _, _, spans) in &work {
        for t in spans {
            if let TimeRole::Context(p) = &t.role {
                if p.kind != crate::model::PeriodKind::AsOf {
                    month = month.max(p.month_to);
                }
            }
        }
    }
    let month = month
        .or_else(|| periods::latest_date_month(&body_lines))
        .or_else(|| periods::latest_date_month(&chrome));

    let ad_hoc;
    let entity: &EntityDef = match &ctx.entity {
        Some(e) => e,
        None => match titles
            .iter()
            .find_map(|t| ctx.entities.named_in(t))
            .or_else(|| ctx.entities.named_in(file_name))
        {
            Some(e) => e,
            None if ctx.entities.open => {
                let stem = std::path::Path::new(file_name)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ad_hoc = EntityDef {
                    id: stem.clone(),
                    name: stem,
                    scope: Scope::Park,
                    aliases: vec![],
                    parent: None,
                };
                &ad_hoc
            }
            None => {
                return Err("no park named: neither the title nor the file name names an [[entities]] entry; set `entity` on the text source".into());
            }
        },
    };
    let mut parents = Vec::new();
    let mut cur = entity.parent.as_deref();
    while let Some(id) = cur {
        match ctx.entities.get(id) {
            Some(p) if !parents.iter().any(|x: &&EntityDef| x.id == p.id) => {
                parents.push(p);
                cur = p.parent.as_deref();
            }
            _ => break,
        }
    }
    let doc = DocContext {
        year,
        paragraph: std::cell::Cell::new(None),
        month,
        entity,
        parents,
    };
    let mut out = FileOutput::default();
    let mut next = work.into_iter().peekable();
    for (li, line) in all.iter().enumerate().take(body.end).skip(body.start) {
        // A section heading (一、 (二) 3.) ends the period that governed the lines before it.
        if HEADING.is_match(&line.text) {
            doc.paragraph.set(None);
        }
        while let Some((_, a, b, times)) = next.next_if(|w| w.0 == li) {
            attribute::sentence(line, a, &line.text[a..b], times, &doc, ctx, &mut out);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences() {
        let s = "1至8月,园区完成产值5亿元。同比增长12%!  其中";
        let v: Vec<&str> = sentences(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(
            v,
            vec!["1至8月,园区完成产值5亿元。", "同比增长12%!", "其中"]
        );
    }
}
