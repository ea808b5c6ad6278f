//! Per-input cache: what each file yielded, kept under `out/<pipeline>/cache/` and
//! reused while the file's content, the parsers and the config that reads it are
//! the same. A rerun after one corrected figure then parses one file.
//!
//! Two files, not one per input (thousands of small files cost more in the file
//! system than they save): `observations-<generation>.parquet` holds every cached
//! observation with its tolerance, entry after entry, and `index.json` maps each
//! key to its rows, rejects, notes and errors and names the Parquet generation it
//! indexes. The Parquet file is written first and `index.json` replaced by rename
//! after it, so the index always points at a whole file. Anything unreadable or
//! inconsistent is a miss: the input is parsed again, never trusted, never fatal.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use polars::prelude::{DataFrame, ParquetCompression, ParquetReader, ParquetWriter, SerReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{FileOutput, FileResult};
use crate::config::pipeline::{hex, Pipeline};
use crate::model::Reject;

/// Fingerprint of the parsing code of this build (build.rs).
const PARSER_HASH: &str = env!("PARKSTAT_PARSER_HASH");

/// One input's result, without its observations.
#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    sha256: String,
    bytes: u64,
    encoding: Option<String>,
    error: Option<String>,
    notes: Vec<String>,
    rejects: Vec<Reject>,
    /// Rows of this entry in the Parquet file.
    offset: usize,
    len: usize,
}

#[derive(Serialize, Deserialize, Default)]
struct Index {
    parser: String,
    /// File name of the Parquet generation these offsets index.
    observations: String,
    rows: usize,
    entries: BTreeMap<String, Entry>,
}

/// The cache of one pipeline, loaded once per run.
pub struct Cache {
    dir: PathBuf,
    /// Per source entry: hash of everything in the config that changes how its files read.
    source_config: Vec<String>,
    index: Index,
    frame: Option<DataFrame>,
}

/// A cached result: what parsing the input would have produced.
pub struct Hit {
    pub encoding: Option<String>,
    pub error: Option<String>,
    pub output: FileOutput,
    /// Its rows in [`Cache::frame`].
    pub rows: std::ops::Range<usize>,
}

impl Cache {
    /// Loads the cache; with `reuse` false (`--full`) it starts empty and is only written.
    pub fn load(p: &Pipeline, reuse: bool) -> Cache {
        let base = {
            let mut h = Sha256::new();
            h.update(PARSER_HASH.as_bytes());
            h.update(p.dictionaries.sources_text.as_bytes());
            h.update(format!("{:?}|{}|{:?}", p.entities.all(), p.entities.open, p.year).as_bytes());
            h
        };
        let source_config = p
            .sources
            .iter()
            .map(|s| {
                hex(&base
                    .clone()
                    .chain_update(format!("{s:?}").as_bytes())
                    .finalize())
            })
            .chain(std::iter::once(hex(&base.clone().finalize())))
            .collect();
        let mut cache = Cache {
            dir: p.out_dir.join("cache"),
            source_config,
            index: Index::default(),
            frame: None,
        };
        if reuse {
            if let Some((index, frame)) = cache.read() {
                cache.index = index;
                cache.frame = Some(frame);
            }
        }
        cache
    }

    fn read(&self) -> Option<(Index, DataFrame)> {
        let index: Index =
            serde_json::from_slice(&std::fs::read(self.dir.join("index.json")).ok()?).ok()?;
        if index.parser != PARSER_HASH || index.observations.contains('/') {
            return None;
        }
        let file = File::open(self.dir.join(&index.observations)).ok()?;
        let frame = ParquetReader::new(file).finish().ok()?;
        // Its slices join freshly parsed rows: anything of another shape is a miss.
        let shape = crate::normalize::frame::cached_schema().ok()?;
        let whole = frame.height() == index.rows
            && **frame.schema() == shape
            && crate::normalize::frame::sound(&frame);
        whole.then_some((index, frame))
    }

    /// The cached rows, as read (`FileResult::cached_rows` index them).
    pub fn frame(&self) -> Option<&DataFrame> {
        self.frame.as_ref()
    }

    /// The key of one input's content read by one source entry.
    pub fn key(&self, source: usize, sha256: &str) -> String {
        let cfg = self
            .source_config
            .get(source)
            .or(self.source_config.last())
            .map(String::as_str)
            .unwrap_or("");
        hex(&Sha256::new()
            .chain_update(sha256.as_bytes())
            .chain_update([0])
            .chain_update(cfg.as_bytes())
            .finalize()[..16])
    }

    /// What the input with this key yielded, if the cache holds it whole.
    pub fn get(&self, key: &str, sha256: &str) -> Option<Hit> {
        let e = self.index.entries.get(key)?;
        let frame = self.frame.as_ref()?;
        let end = e.offset.checked_add(e.len)?;
        if e.sha256 != sha256 || end > frame.height() {
            return None;
        }
        // Rows of another input mean an index that does not fit its file.
        let part = frame.slice(e.offset as i64, e.len);
        let hashes = part.column("source_sha256").ok()?.str().ok()?;
        if !hashes.iter().all(|h| h == Some(sha256)) {
            return None;
        }
        Some(Hit {
            encoding: e.encoding.clone(),
            error: e.error.clone(),
            output: FileOutput {
                observations: Vec::new(),
                rejects: e.rejects.clone(),
                notes: e.notes.clone(),
            },
            rows: e.offset..end,
        })
    }

    /// Replaces the cache with this run's results (when they differ from what it holds).
    /// `frame` holds their rows in the same order, with tolerances (`normalize::frame`).
    /// The file is written on the returned thread, beside the stages that follow (join
    /// it before the process ends). A failure to write only costs parsing next time.
    pub fn store(
        &self,
        results: &[FileResult],
        frame: &DataFrame,
    ) -> Option<crate::side::Side<()>> {
        let keyed: Vec<(String, &FileResult)> = results
            .iter()
            .filter(|r| !r.sha256.is_empty())
            .map(|r| (self.key(r.input.source, &r.sha256), r))
            .collect();
        let unchanged = keyed.iter().all(|(_, r)| r.cached)
            && keyed.len() == self.index.entries.len()
            && keyed
                .iter()
                .all(|(k, _)| self.index.entries.contains_key(k));
        if unchanged && self.frame.is_some() {
            return None;
        }
        let mut index = Index {
            parser: PARSER_HASH.to_string(),
            ..Index::default()
        };
        for r in results {
            let n = r.rows();
            if !r.sha256.is_empty() {
                index.entries.insert(
                    self.key(r.input.source, &r.sha256),
                    Entry {
                        sha256: r.sha256.clone(),
                        bytes: r.bytes,
                        encoding: r.encoding.clone(),
                        error: r.error.clone(),
                        notes: r.output.notes.clone(),
                        rejects: r.output.rejects.clone(),
                        offset: index.rows,
                        len: n,
                    },
                );
            }
            index.rows += n;
        }
        let df = frame
            .select(crate::normalize::frame::cached_columns())
            .ok()?;
        if df.height() != index.rows {
            return None;
        }
        let dir = self.dir.clone();
        Some(crate::side::spawn(move || {
            let _ = write(dir, index, df);
        }))
    }
}

/// Writes the cache's frame under a new name, then the index that names it, then
/// removes the older files: a crash at any point leaves a readable cache or none.
fn write(dir: PathBuf, mut index: Index, mut df: DataFrame) -> Option<()> {
    std::fs::create_dir_all(&dir).ok()?;
    let generation = hex(&Sha256::digest(
        format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes(),
    ))[..16]
        .to_string();
    index.observations = format!("observations-{generation}.parquet");
    let path = dir.join(&index.observations);
    ParquetWriter::new(BufWriter::new(File::create(&path).ok()?))
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(&mut df)
        .ok()?;
    let tmp = dir.join("index.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(&index).ok()?).ok()?;
    std::fs::rename(&tmp, dir.join("index.json")).ok()?;
    // Older generations are no longer indexed.
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != index.observations && name != "index.json" {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Some(())
}
