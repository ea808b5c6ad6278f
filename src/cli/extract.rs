//! `parkstat extract FILE...`: what each input yields, as a table or JSON lines.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::config::pipeline::Pipeline;
use crate::error::{exit, UsageError};
use crate::ingest::{self, InputFile};
use crate::model::{Observation, Reject};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// One JSON object per line: `{"table": "observations", …}` or `{"table": "rejects", …}`.
    Jsonl,
    /// One CSV for a spreadsheet program: a `table` column, then the columns; text that
    /// a spreadsheet would run as a formula is written with a leading `'`.
    Csv,
}

pub fn execute(
    files: &[std::path::PathBuf],
    format: Format,
    pipeline: Option<&Path>,
) -> Result<i32> {
    let p = match pipeline {
        Some(path) => Pipeline::load(path)?,
        None => Pipeline::ad_hoc()?,
    };
    let mut code = exit::OK;
    let mut csv_out = crate::publish::csv_out::CsvOut::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for f in files {
        let Some(kind) = ingest::kind_of_path(f) else {
            return Err(UsageError(format!("{}: unknown kind of input; parkstat reads .csv, .txt, .xlsx, .xlsm, .xlsb, .xls and .ods", f.display())).into());
        };
        let input = InputFile {
            path: f.clone(),
            rel: f.to_string_lossy().replace('\\', "/"),
            kind,
            source: usize::MAX,
        };
        let mut res = ingest::ingest_one(&p, &input);
        if let Some(e) = &res.error {
            eprintln!("parkstat: {}: {e}", f.display());
            code = exit::PARTIAL;
        }
        crate::run::sort_observations(&mut res.output.observations);
        match format {
            Format::Jsonl => {
                for o in &res.output.observations {
                    writeln!(out, "{}", json_line("observations", o)?)?;
                }
                for r in &res.output.rejects {
                    writeln!(out, "{}", json_line("rejects", r)?)?;
                }
            }
            Format::Csv => {
                for o in &res.output.observations {
                    csv_out.push("observations", o)?;
                }
                for r in &res.output.rejects {
                    csv_out.push("rejects", r)?;
                }
            }
            Format::Table => print_table(
                &mut out,
                &input.rel,
                &res.output.observations,
                &res.output.rejects,
            )?,
        }
    }
    if matches!(format, Format::Csv) {
        csv_out.write(&mut out)?;
    }
    out.flush()?;
    Ok(code)
}

/// `{"table": NAME, ...row}` with the row's columns in contract order.
pub fn json_line<T: serde::Serialize>(table: &str, row: &T) -> Result<String> {
    let body = serde_json::to_string(row)?;
    let rest = body.strip_prefix('{').unwrap_or(&body);
    let sep = if rest == "}" { "" } else { "," };
    Ok(format!(
        "{{\"table\":{}{sep}{rest}",
        serde_json::to_string(table)?
    ))
}

fn print_table(
    out: &mut impl Write,
    path: &str,
    obs: &[Observation],
    rejects: &[Reject],
) -> Result<()> {
    writeln!(
        out,
        "== {path}: {} observations, {} rejects",
        obs.len(),
        rejects.len()
    )?;
    for o in obs {
        let period = match (o.month_from, o.month_to) {
            (Some(a), Some(b)) if a == b => format!("{}年{}月", o.year, b),
            (Some(a), Some(b)) => format!("{}年{}-{}月", o.year, a, b),
            (None, Some(b)) => format!("{}年{}月末", o.year, b),
            _ => format!("{}年", o.year),
        };
        let value = o
            .value
            .map(|v| format!("{v}"))
            .unwrap_or_else(|| "-".into());
        let yoy = o.yoy_pct.map(|v| format!(" yoy {v}%")).unwrap_or_default();
        let pp = o.yoy_pp.map(|v| format!(" {v}pp")).unwrap_or_default();
        let share = o
            .share_pct
            .map(|v| format!(" share {v}%"))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<14} {:<8} {:<6} {:<16} {:<10} {:>18} {:<6}{yoy}{pp}{share}  [{}{}]",
            o.locator,
            o.entity_name,
            o.scope.as_str(),
            o.indicator_name,
            format!("{} {}", o.period_kind.as_str(), period),
            value,
            o.unit,
            o.value_raw,
            o.unit_raw
        )?;
    }
    for r in rejects {
        writeln!(out, "{:<14} REJECT {}: {}", r.locator, r.reason, r.raw)?;
    }
    Ok(())
}
