//! Tables → Parquet files: zstd level 1, statistics on, one row group order fixed by the caller.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{
    ChunkCompareEq, DataFrame, ParquetCompression, ParquetWriter, StatisticsOptions,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

use crate::config::pipeline::hex;
use crate::model::Table;

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

/// zstd's fastest level: the pages it compresses are already dictionary- and run-length
/// encoded, so level 3 (the default) made the medium bench's tables no smaller (15.92 MB
/// against 15.73 MB at level 1) and publish 20-45 ms slower.
fn level_1() -> polars_parquet::write::ZstdLevel {
    polars_parquet::write::ZstdLevel::try_new(1).expect("1 is within zstd's levels")
}

fn write_frame(path: &Path, df: &mut DataFrame) -> Result<(u64, String)> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(BufWriter::new(file))
        .with_compression(ParquetCompression::Zstd(Some(level_1())))
        .with_statistics(StatisticsOptions::default())
        .finish(df)
        .with_context(|| format!("writing {}", path.display()))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading back {}", path.display()))?;
    Ok((bytes.len() as u64, hex(&Sha256::digest(&bytes))))
}

/// Writes a large table's frame (sorted by key, with an i32 `year`) Hive-partitioned as
/// `<dir>/<name>/year=<Y>/part-0.parquet`, one file a year, rows in their order, so BI
/// tools read only the years they query.
pub fn write_partitioned_frame(dir: &Path, name: &str, df: DataFrame) -> Result<TableFile> {
    let year = df
        .column("year")
        .and_then(|c| c.i32().cloned())
        .with_context(|| format!("table {name} has no year column"))?;
    let years: BTreeSet<i32> = year.iter().flatten().collect();
    let mut parts = Vec::new();
    let mut whole = Sha256::new();
    let mut one = |sub: String, mut part: DataFrame| -> Result<()> {
        let folder = dir.join(name).join(&sub);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let rel = format!("{name}/{sub}/part-0.parquet");
        let (bytes, sha256) = write_frame(&dir.join(&rel), &mut part)?;
        whole.update(rel.as_bytes());
        whole.update(sha256.as_bytes());
        parts.push(TableFile {
            rows: part.height(),
            path: rel,
            bytes,
            sha256,
            partitions: vec![],
        });
        Ok(())
    };
    if years.is_empty() {
        one(format!("year={EMPTY_PARTITION}"), df.clear())?;
    }
    let single = years.len() == 1 && year.null_count() == 0;
    for y in years {
        let part = if single {
            df.clone()
        } else {
            df.filter(&year.equal(y))
                .with_context(|| format!("splitting table {name} by year"))?
        };
        one(format!("year={y}"), part)?;
    }
    Ok(TableFile {
        rows: df.height(),
        path: name.to_string(),
        bytes: parts.iter().map(|p| p.bytes).sum(),
        sha256: hex(&whole.finalize()),
        partitions: parts,
    })
}

/// Writes `rows` (already sorted by key) as `<dir>/<NAME>.parquet`.
pub fn write_table<T: Table>(dir: &Path, rows: &[T]) -> Result<TableFile> {
    let df = T::to_frame(rows).with_context(|| format!("building table {}", T::NAME))?;
    write_frame_table(dir, T::NAME, df)
}

/// Writes a table's frame (already sorted by key) as `<dir>/<name>.parquet`.
pub fn write_frame_table(dir: &Path, name: &str, mut df: DataFrame) -> Result<TableFile> {
    let file = format!("{name}.parquet");
    let (bytes, sha256) = write_frame(&dir.join(&file), &mut df)?;
    Ok(TableFile {
        rows: df.height(),
        path: file,
        bytes,
        sha256,
        partitions: vec![],
    })
}
