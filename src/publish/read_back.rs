//! A published run read back: its manifest and tables, for `diff` and `report`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{DataFrame, ParquetReader, SerReader};

use super::manifest::RunManifest;
use super::run_dir::{current_run, list_runs};
use crate::model::Table;

/// The directory of a retained run: `RUN` names one under `runs/`, or is `current`.
pub fn run_path(out_dir: &Path, run: &str) -> Result<PathBuf> {
    let id = if run == "current" {
        current_run(out_dir).with_context(|| {
            format!(
                "{} has no current run: run the pipeline first",
                out_dir.display()
            )
        })?
    } else {
        run.to_string()
    };
    let dir = out_dir.join("runs").join(&id);
    if !dir.join("run.json").is_file() {
        bail!(
            "no run `{id}` under {}: retained runs are {}",
            out_dir.join("runs").display(),
            match list_runs(out_dir) {
                r if r.is_empty() => "none".to_string(),
                r => r.join(", "),
            }
        );
    }
    Ok(dir)
}

pub fn manifest(run_dir: &Path) -> Result<RunManifest> {
    let path = run_dir.join("run.json");
    let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a parkstat run.json", path.display()))
}

fn read_file(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("reading {}", path.display()))
}

/// The files of a table: `<NAME>.parquet`, or every `<NAME>/year=*/*.parquet` in order.
pub fn table_files(run_dir: &Path, name: &str) -> Vec<PathBuf> {
    let single = run_dir.join(format!("{name}.parquet"));
    if single.is_file() {
        return vec![single];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(run_dir.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|part| {
            std::fs::read_dir(part.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files
}

/// A table's rows as one frame, every partition stacked in order.
pub fn frame(run_dir: &Path, name: &str) -> Result<DataFrame> {
    let files = table_files(run_dir, name);
    if files.is_empty() {
        bail!("{} holds no `{name}` table", run_dir.display());
    }
    let mut df = read_file(&files[0])?;
    for f in &files[1..] {
        df.vstack_mut(&read_file(f)?)
            .with_context(|| format!("{} does not match the other parts", f.display()))?;
    }
    Ok(df)
}

/// The rows of a facts frame read from `run_dir`, borrowing its strings.
pub fn fact_rows<'a>(run_dir: &Path, df: &'a DataFrame) -> Result<Vec<crate::model::FactRef<'a>>> {
    crate::model::FactRef::rows(df).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `facts` table",
            run_dir.join(crate::model::Fact::NAME).display()
        )
    })
}

pub fn table<T: Table>(run_dir: &Path) -> Result<Vec<T>> {
    let df = frame(run_dir, T::NAME)?;
    let path = run_dir.join(T::NAME);
    T::from_frame(&df).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `{}` table",
            path.display(),
            T::NAME
        )
    })
}

/// The changes from the facts of `old_run` to `new` (the report's "since the last run").
pub fn fact_changes(old_run: &Path, new: &DataFrame) -> Result<Vec<crate::diff::FactChange>> {
    let old = frame(old_run, crate::model::Fact::NAME)?;
    crate::diff::diff_frames(&old, new).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `facts` table",
            old_run.display()
        )
    })
}
