//! Tables → Parquet files: zstd, statistics on, one row group order fixed by the caller.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{ParquetCompression, ParquetWriter, StatisticsOptions};
use sha2::{Digest, Sha256};

use crate::config::pipeline::hex;
use crate::model::{Table, YearPartitioned};

/// What was written for one table.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableFile {
    pub rows: usize,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// For a partitioned table (`path` is then its directory): one entry per file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<TableFile>,
}

/// Hive's name for the partition of a null value: an empty table's one (empty) file
/// keeps the schema under it, and DuckDB and pyarrow read it as no rows.
const EMPTY_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

fn write_frame(path: &Path, df: &mut polars::prelude::DataFrame) -> Result<(u64, String)> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(BufWriter::new(file))
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(df)
        .with_context(|| format!("writing {}", path.display()))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading back {}", path.display()))?;
    Ok((bytes.len() as u64, hex(&Sha256::digest(&bytes))))
}

/// Writes `rows` (sorted by key) as `<dir>/<NAME>/year=<Y>/part-0.parquet`, one file a year.
pub fn write_partitioned<T: YearPartitioned>(dir: &Path, rows: &[T]) -> Result<TableFile> {
    let mut by_year: std::collections::BTreeMap<Option<i32>, Vec<&T>> = Default::default();
    for r in rows {
        by_year.entry(Some(r.year())).or_default().push(r);
    }
    if by_year.is_empty() {
        by_year.insert(None, Vec::new());
    }
    let mut parts = Vec::new();
    let mut whole = Sha256::new();
    for (year, part) in &by_year {
        let sub = format!(
            "year={}",
            year.map_or(EMPTY_PARTITION.to_string(), |y| y.to_string())
        );
        let folder = dir.join(T::NAME).join(&sub);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let mut df =
            T::to_frame_refs(part).with_context(|| format!("building table {}", T::NAME))?;
        let rel = format!("{}/{sub}/part-0.parquet", T::NAME);
        let (bytes, sha256) = write_frame(&dir.join(&rel), &mut df)?;
        whole.update(rel.as_bytes());
        whole.update(sha256.as_bytes());
        parts.push(TableFile {
            rows: part.len(),
            path: rel,
            bytes,
            sha256,
            partitions: vec![],
        });
    }
    Ok(TableFile {
        rows: rows.len(),
        path: T::NAME.to_string(),
        bytes: parts.iter().map(|p| p.bytes).sum(),
        sha256: hex(&whole.finalize()),
        partitions: parts,
    })
}

/// Writes `rows` (already sorted by key) as `<dir>/<NAME>.parquet`.
pub fn write_table<T: Table>(dir: &Path, rows: &[T]) -> Result<TableFile> {
    let name = format!("{}.parquet", T::NAME);
    let path = dir.join(&name);
    let mut df = T::to_frame(rows).with_context(|| format!("building table {}", T::NAME))?;
    let (bytes, sha256) = write_frame(&path, &mut df)?;
    Ok(TableFile {
        rows: rows.len(),
        path: name,
        bytes,
        sha256,
        partitions: vec![],
    })
}
