//! Tables → Parquet files: zstd level 1, statistics on, one row group order fixed by the caller.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, IdxSize, ParquetCompression, ParquetWriter, StatisticsOptions};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

use super::parts::{self, PreviousParts};
use crate::config::pipeline::hex;
use crate::model::Table;

/// What was written for one table.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TableFile {
    pub rows: usize,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// For a partitioned table (`path` is then its directory): one entry per file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<TableFile>,
    /// For a part file: the digest of its rows (`parts::digest`), by which the next
    /// run finds a part it need not write again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// For a part file of observations: where its rows came from
    /// (`parts::provenance`). A part of the next run with the same provenance has the
    /// same rows, and so this `digest`, without its rows being read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provenance: String,
    /// For a table written in row groups (`write_grouped_table`): each group's rows and
    /// digest, in file order, by which the next run reads only the groups that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub row_groups: Vec<RowGroup>,
}

/// One row group of a table written by `write_grouped_table`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowGroup {
    pub rows: usize,
    /// `parts::digest` of its rows; empty when the rows have a column it cannot digest.
    pub digest: String,
    /// Copied from the previous run's file rather than encoded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copied: bool,
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

/// A writer with the settings of every table (a copied row group must be what these
/// settings would encode), creating `path`.
fn writer(path: &Path, parallel: bool) -> Result<ParquetWriter<BufWriter<File>>> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(ParquetWriter::new(BufWriter::new(file))
        .set_parallel(parallel)
        .with_compression(ParquetCompression::Zstd(Some(level_1())))
        .with_statistics(StatisticsOptions::default()))
}

/// The size and sha256 of a file just written, read back from disk.
fn written_file(path: &Path) -> Result<(u64, String)> {
    super::run_dir::flush_soon(path);
    let bytes = std::fs::read(path).with_context(|| format!("reading back {}", path.display()))?;
    Ok((bytes.len() as u64, hex(&Sha256::digest(&bytes))))
}

fn write_frame(path: &Path, df: &mut DataFrame, parallel: bool) -> Result<(u64, String)> {
    writer(path, parallel)?
        .finish(df)
        .with_context(|| format!("writing {}", path.display()))?;
    written_file(path)
}

/// Writes a large table's frame (sorted by key, with an i32 `year`) Hive-partitioned as
/// `<dir>/<name>/year=<Y>/part-<NNNNN>.parquet`, rows in their order, so BI tools read
/// only the years they query. A year is cut into parts by entity (`parts::split`);
/// a part the previous run wrote with the same rows is linked from it (`previous`).
///
/// With a `basis` (`ingest::cache::rows_basis`; the observations), each part also
/// records its rows' provenance, and a part whose provenance the previous run recorded
/// takes that part's digest instead of reading its rows.
pub fn write_partitioned_frame(
    dir: &Path,
    name: &str,
    df: DataFrame,
    previous: Option<&PreviousParts>,
    basis: Option<&str>,
) -> Result<TableFile> {
    let year = df
        .column("year")
        .and_then(|c| c.i32().cloned())
        .with_context(|| format!("table {name} has no year column"))?;
    if year.null_count() > 0 {
        anyhow::bail!("table {name} has rows without a year: they would belong to no partition");
    }
    let years: BTreeSet<i32> = year.iter().flatten().collect();
    // Parts are cut and their digests taken in place; only a part written is copied.
    let df = crate::model::one_chunk(&df);
    let one = |sub: &str, i: usize, rows: &[usize], single: bool| -> Result<TableFile> {
        let folder = dir.join(name).join(sub);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let rel = format!("{name}/{sub}/part-{i:05}.parquet");
        let dest = dir.join(&rel);
        let provenance = basis
            .and_then(|b| parts::provenance(&df, rows, b))
            .unwrap_or_default();
        let known = previous
            .filter(|_| !provenance.is_empty())
            .and_then(|p| p.digest_of(name, &provenance));
        let digest = match known {
            Some(d) => d.to_string(),
            None => parts::digest(&df, rows).unwrap_or_default(),
        };
        let reused = previous
            .filter(|_| !digest.is_empty())
            .and_then(|p| p.reuse(name, &digest, &dest));
        let (bytes, sha256) = match reused {
            Some(r) => r,
            None => {
                let mut part = match (rows.first(), single) {
                    (Some(&first), true) => df.slice(first as i64, rows.len()),
                    (None, _) => df.clear(),
                    (Some(_), false) => {
                        let idx = rows.iter().map(|&x| x as IdxSize).collect();
                        crate::model::take_rows(&df, idx)
                            .with_context(|| format!("splitting table {name} by year"))?
                    }
                };
                // Parts are written one after another beside the other stages: each
                // file's columns are encoded in turn, on this thread alone.
                write_frame(&dest, &mut part, false)?
            }
        };
        Ok(TableFile {
            rows: rows.len(),
            path: rel,
            bytes,
            sha256,
            digest,
            provenance,
            ..Default::default()
        })
    };
    let mut files = Vec::new();
    if years.is_empty() {
        files.push(one(&format!("year={EMPTY_PARTITION}"), 0, &[], true)?);
    }
    let single = years.len() == 1;
    for y in years {
        let sub = format!("year={y}");
        let rows: Vec<usize> = if single {
            (0..df.height()).collect()
        } else {
            year.iter()
                .enumerate()
                .filter_map(|(i, v)| (v == Some(y)).then_some(i))
                .collect()
        };
        let ranges = parts::split(&df, &rows)
            .with_context(|| format!("cutting table {name}'s year {y} into parts"))?;
        for (i, r) in ranges.into_iter().enumerate() {
            files.push(one(&sub, i, &rows[r], single)?);
        }
    }
    let mut whole = Sha256::new();
    for f in &files {
        whole.update(f.path.as_bytes());
        whole.update(f.sha256.as_bytes());
    }
    Ok(TableFile {
        rows: df.height(),
        path: name.to_string(),
        bytes: files.iter().map(|p| p.bytes).sum(),
        sha256: hex(&whole.finalize()),
        partitions: files,
        ..Default::default()
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
    let (bytes, sha256) = write_frame(&dir.join(&file), &mut df, true)?;
    Ok(TableFile {
        rows: df.height(),
        path: file,
        bytes,
        sha256,
        ..Default::default()
    })
}

/// Writes a table's frame (sorted by key) as `<dir>/<name>.parquet` in row groups cut at
/// entities as parts are (`parts::split`), and records each group's digest. A run
/// compares its facts with the previous run's by these digests and reads only the groups
/// that differ; a group with the digest of one of `previous`'s is copied from it, pages
/// as they are, rather than encoded again. `digested` gets the groups once they are
/// known, before the encoding.
pub fn write_grouped_table(
    dir: &Path,
    name: &str,
    df: DataFrame,
    previous: Option<&super::read_back::StoredTable>,
    digested: impl FnOnce(&[RowGroup]),
) -> Result<TableFile> {
    let df = crate::model::one_chunk(&df);
    let all: Vec<usize> = (0..df.height()).collect();
    // An empty table has no row group.
    let ranges: Vec<std::ops::Range<usize>> = parts::split(&df, &all)
        .with_context(|| format!("cutting table {name} into row groups"))?
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    let mut groups: Vec<RowGroup> = ranges
        .iter()
        .map(|r| RowGroup {
            rows: r.len(),
            digest: parts::digest(&df, &all[r.clone()]).unwrap_or_default(),
            copied: false,
        })
        .collect();
    digested(&groups);
    let file = format!("{name}.parquet");
    let path = dir.join(&file);
    let out = writer(&path, true)?;
    let reusable = previous.and_then(|p| p.reusable());
    let written = || -> polars::prelude::PolarsResult<()> {
        let mut w = out.batched(df.schema())?;
        for (r, g) in ranges.iter().zip(&mut groups) {
            let kept = reusable
                .as_ref()
                .filter(|_| !g.digest.is_empty())
                .and_then(|p| p.pages(&g.digest));
            match kept {
                Some((rows, pages)) => {
                    w.write_row_group(rows, &pages)?;
                    g.copied = true;
                }
                // A slice of a one-chunk frame is one chunk: one row group.
                None => w.write_batch(&df.slice(r.start as i64, r.len()))?,
            }
        }
        w.finish()?;
        Ok(())
    };
    written().with_context(|| format!("writing {}", path.display()))?;
    let (bytes, sha256) = written_file(&path)?;
    Ok(TableFile {
        rows: df.height(),
        path: file,
        bytes,
        sha256,
        row_groups: groups,
        ..Default::default()
    })
}
