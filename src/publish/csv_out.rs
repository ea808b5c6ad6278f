//! CSV for people who open it in a spreadsheet program: every text field that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return at its
//! start) is written with a leading `'`, so a scraped `=HYPERLINK(…)` stays text.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

/// A text field made safe to open in Excel, LibreOffice or WPS.
pub fn defuse(field: &str) -> std::borrow::Cow<'_, str> {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{field}").into(),
        _ => field.into(),
    }
}

/// Rows of one or more tables as one CSV: a `table` column, then the union of the
/// columns in first-seen order. Numbers are written as numbers; text is defused.
pub struct CsvOut {
    columns: Vec<String>,
    rows: Vec<(String, serde_json::Map<String, serde_json::Value>)>,
}

impl CsvOut {
    pub fn new() -> CsvOut {
        CsvOut {
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn push<T: Serialize>(&mut self, table: &str, row: &T) -> Result<()> {
        let serde_json::Value::Object(map) = serde_json::to_value(row)? else {
            anyhow::bail!("a table row is not a record");
        };
        for k in map.keys() {
            if !self.columns.iter().any(|c| c == k) {
                self.columns.push(k.clone());
            }
        }
        self.rows.push((table.to_string(), map));
        Ok(())
    }

    pub fn write(&self, out: impl Write) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(std::iter::once("table").chain(self.columns.iter().map(String::as_str)))?;
        for (table, row) in &self.rows {
            let mut rec = vec![table.clone()];
            for c in &self.columns {
                rec.push(match row.get(c) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => defuse(s).into_owned(),
                    Some(v) => v.to_string(),
                });
            }
            w.write_record(&rec)?;
        }
        w.flush()?;
        Ok(())
    }
}

impl Default for CsvOut {
    fn default() -> Self {
        CsvOut::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_the_rest_untouched() {
        assert_eq!(
            defuse("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(defuse("+1+2"), "'+1+2");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("\tx"), "'\tx");
        assert_eq!(defuse("营业收入"), "营业收入");
        assert_eq!(defuse(""), "");
    }
}
