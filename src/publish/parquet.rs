//! Tables → Parquet files: zstd, statistics on, one row group order fixed by the caller.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{ParquetCompression, ParquetWriter, StatisticsOptions};
use sha2::{Digest, Sha256};

use crate::config::pipeline::hex;
use crate::model::Table;

/// What was written for one table.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableFile {
    pub rows: usize,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Writes `rows` (already sorted by key) as `<dir>/<NAME>.parquet`.
pub fn write_table<T: Table>(dir: &Path, rows: &[T]) -> Result<TableFile> {
    let name = format!("{}.parquet", T::NAME);
    let path = dir.join(&name);
    let mut df = T::to_frame(rows).with_context(|| format!("building table {}", T::NAME))?;
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(BufWriter::new(file))
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .finish(&mut df)
        .with_context(|| format!("writing {}", path.display()))?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading back {}", path.display()))?;
    Ok(TableFile {
        rows: rows.len(),
        path: name,
        bytes: bytes.len() as u64,
        sha256: hex(&Sha256::digest(&bytes)),
    })
}
