//! `parkstat diff [RUN_A] [RUN_B]`: facts added, removed and changed between two retained runs.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::cli::extract::{json_line, Format};
use crate::config::pipeline::Pipeline;
use crate::diff::FactChange;
use crate::error::{exit, UsageError};
use crate::publish::read_back;
use crate::publish::run_dir::list_runs;

pub fn execute(pipeline: &Path, a: Option<&str>, b: Option<&str>, format: Format) -> Result<i32> {
    let p = Pipeline::load(pipeline)?;
    let runs = list_runs(&p.out_dir);
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a.to_string(), b.to_string()),
        (Some(a), None) => (a.to_string(), "current".to_string()),
        (None, _) if runs.len() >= 2 => (runs[runs.len() - 2].clone(), runs[runs.len() - 1].clone()),
        (None, _) => {
            return Err(UsageError(format!(
                "diff needs two retained runs of pipeline `{}` and {} has {}: run it again, or name the runs",
                p.name,
                p.out_dir.join("runs").display(),
                runs.len()
            ))
            .into())
        }
    };
    let dir_a = read_back::run_path(&p.out_dir, &a)?;
    let dir_b = read_back::run_path(&p.out_dir, &b)?;
    let (old, new) = (
        read_back::stored_facts(&dir_a)?,
        read_back::stored_facts(&dir_b)?,
    );
    let changes = read_back::fact_changes(&old, &new.rows(None)?, new.row_groups())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Jsonl => {
            for c in &changes {
                writeln!(out, "{}", json_line("fact_changes", c)?)?;
            }
        }
        Format::Csv => {
            let mut csv = crate::publish::csv_out::CsvOut::new();
            for c in &changes {
                csv.push("fact_changes", c)?;
            }
            csv.write(&mut out)?;
        }
        Format::Table => print_table(&mut out, &dir_a, &dir_b, &changes)?,
    }
    out.flush()?;
    Ok(exit::OK)
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
}

fn print_table(out: &mut impl Write, a: &Path, b: &Path, changes: &[FactChange]) -> Result<()> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let count = |k: &str| changes.iter().filter(|c| c.change == k).count();
    writeln!(
        out,
        "== facts {} → {}: {} added, {} removed, {} changed",
        name(a),
        name(b),
        count("added"),
        count("removed"),
        count("changed")
    )?;
    for c in changes {
        let period = match (c.month_from, c.month_to) {
            (Some(x), Some(y)) if x == y => format!("{}年{}月", c.year, y),
            (Some(x), Some(y)) => format!("{}年{}-{}月", c.year, x, y),
            (None, Some(y)) => format!("{}年{}月末", c.year, y),
            _ => format!("{}年", c.year),
        };
        writeln!(
            out,
            "{:<8} {:<14} {:<16} {:<14} {:>16} → {:<16} {} {}{}",
            c.change,
            c.entity_name,
            c.indicator_name,
            period,
            num(c.old_value),
            num(c.new_value),
            c.unit,
            c.fields,
            if c.corrected { " (corrected)" } else { "" }
        )?;
    }
    Ok(())
}
