//! A published run read back: its manifest and tables, for `diff` and `report`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{ParquetReader, SerReader};

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
    serde_json::from_slice(&text).with_context(|| format!("{} is not a parkstat run.json", path.display()))
}

pub fn table<T: Table>(run_dir: &Path) -> Result<Vec<T>> {
    let path = run_dir.join(format!("{}.parquet", T::NAME));
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .with_context(|| format!("reading {}", path.display()))?;
    T::from_frame(&df).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `{}` table",
            path.display(),
            T::NAME
        )
    })
}
