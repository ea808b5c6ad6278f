//! Corrections (`data/corrections/*.csv`): an analyst's fixed figure, with why and who.
//!
//! The file is a tidy CSV (entity, indicator, year, period, value, unit,
//! yoy_pct) read by the CSV reader, plus `reason` and `author`, which every
//! row must fill: a correction nobody can explain is rejected, not applied.

use super::{csv_table, FileOutput, SourceContext};
use crate::config::dictionary::ColumnRole;

pub fn read(text: &str, ctx: &SourceContext) -> Result<FileOutput, String> {
    let layout = &ctx.dicts.layout;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let col = |role: ColumnRole| headers.iter().position(|h| layout.role_of(h) == Some(role));
    let (Some(reason), Some(author)) = (col(ColumnRole::Reason), col(ColumnRole::Author)) else {
        return Err(format!(
            "line 1: a corrections file needs `reason` and `author` columns (headers: {}); add them",
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    };
    let mut unexplained = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let Ok(rec) = rec else { continue };
        let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
        let empty = |c: usize| rec.get(c).is_none_or(|v| v.trim().is_empty());
        if rec.iter().any(|v| !v.trim().is_empty()) && (empty(reason) || empty(author)) {
            unexplained.push((line, rec.iter().collect::<Vec<_>>().join(",")));
        }
    }
    let mut out = csv_table::read(text, ctx)?;
    if unexplained.is_empty() {
        return Ok(out);
    }
    // Rows without reason or author: their figures become rejects instead.
    let bad = |loc: &str| {
        let line = loc
            .strip_prefix('L')
            .and_then(|l| l.split(':').next())
            .unwrap_or("");
        unexplained.iter().any(|(l, _)| l.to_string() == line)
    };
    out.observations.retain(|o| !bad(&o.locator));
    out.rejects.retain(|r| !bad(&r.locator));
    for (line, raw) in unexplained {
        out.rejects.push(ctx.src.reject(
            format!("L{line}"),
            raw,
            "a correction without a reason or an author is not applied: fill both".to_string(),
        ));
    }
    Ok(out)
}
