//! Per-input cache: what one file yielded, kept under `out/<pipeline>/cache/` and
//! reused while the file's content, the parsers and the config that reads it are
//! the same. A rerun after one corrected figure then parses one file.
//!
//! An entry is `<key>.obs.parquet` (the observations, with their tolerance) and
//! `<key>.json` (everything else), written through temporary files and renamed;
//! the JSON goes last, so an entry without it is not an entry. Anything unreadable
//! is a miss: the file is parsed again, never trusted and never fatal.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, DataFrame, NamedFrom, ParquetCompression, ParquetReader, ParquetWriter, SerReader,
    Series,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FileOutput;
use crate::config::pipeline::{hex, Pipeline};
use crate::model::{Observation, Reject, Table};

/// Fingerprint of the parsing code of this build (build.rs).
const PARSER_HASH: &str = env!("PARKSTAT_PARSER_HASH");

/// The cache of one pipeline.
pub struct Cache {
    dir: PathBuf,
    /// False with `--full`: entries are written but none is read.
    reuse: bool,
    /// Per source entry: hash of everything in the config that changes how its files read.
    source_config: Vec<String>,
}

/// The part of an entry that is not observations.
#[derive(Serialize, Deserialize)]
struct Meta {
    parser: String,
    sha256: String,
    bytes: u64,
    encoding: Option<String>,
    error: Option<String>,
    notes: Vec<String>,
    rejects: Vec<Reject>,
    observations: usize,
}

/// A cached result: what `ingest_one` would have produced.
pub struct Hit {
    pub encoding: Option<String>,
    pub error: Option<String>,
    pub output: FileOutput,
}

impl Cache {
    pub fn new(p: &Pipeline, reuse: bool) -> Cache {
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
            .map(|s| hex(&base.clone().chain_update(format!("{s:?}").as_bytes()).finalize()))
            .chain(std::iter::once(hex(&base.clone().finalize())))
            .collect();
        Cache {
            dir: p.out_dir.join("cache"),
            reuse,
            source_config,
        }
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

    fn paths(&self, key: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{key}.obs.parquet")),
            self.dir.join(format!("{key}.json")),
        )
    }

    /// The entry for `key`, if there is a whole and readable one.
    pub fn get(&self, key: &str, sha256: &str) -> Option<Hit> {
        if !self.reuse {
            return None;
        }
        let (obs_path, meta_path) = self.paths(key);
        let meta: Meta = serde_json::from_slice(&std::fs::read(&meta_path).ok()?).ok()?;
        if meta.parser != PARSER_HASH || meta.sha256 != sha256 {
            return None;
        }
        let df = ParquetReader::new(File::open(&obs_path).ok()?).finish().ok()?;
        let mut observations = Observation::from_frame(&df).ok()?;
        let tolerance = df.column("tolerance").ok()?.f64().ok()?;
        if observations.len() != meta.observations || tolerance.len() != observations.len() {
            return None;
        }
        for (o, t) in observations.iter_mut().zip(tolerance.iter()) {
            o.tolerance = t?;
        }
        Some(Hit {
            encoding: meta.encoding,
            error: meta.error,
            output: FileOutput {
                observations,
                rejects: meta.rejects,
                notes: meta.notes,
            },
        })
    }

    /// Stores one input's result; a failure to store only costs a parse next time.
    pub fn put(&self, key: &str, sha256: &str, bytes: u64, encoding: Option<&str>, error: Option<&str>, out: &FileOutput) {
        let _ = self.try_put(key, sha256, bytes, encoding, error, out);
    }

    fn try_put(
        &self,
        key: &str,
        sha256: &str,
        bytes: u64,
        encoding: Option<&str>,
        error: Option<&str>,
        out: &FileOutput,
    ) -> Option<()> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let (obs_path, meta_path) = self.paths(key);
        let mut df: DataFrame = Observation::to_frame(&out.observations).ok()?;
        let tol: Vec<f64> = out.observations.iter().map(|o| o.tolerance).collect();
        df.with_column(Column::from(Series::new("tolerance".into(), tol)))
            .ok()?;
        let tmp = obs_path.with_extension("tmp");
        ParquetWriter::new(BufWriter::new(File::create(&tmp).ok()?))
            .with_compression(ParquetCompression::Uncompressed)
            .finish(&mut df)
            .ok()?;
        std::fs::rename(&tmp, &obs_path).ok()?;
        let meta = Meta {
            parser: PARSER_HASH.to_string(),
            sha256: sha256.to_string(),
            bytes,
            encoding: encoding.map(str::to_string),
            error: error.map(str::to_string),
            notes: out.notes.clone(),
            rejects: out.rejects.clone(),
            observations: out.observations.len(),
        };
        let tmp = meta_path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&meta).ok()?).ok()?;
        std::fs::rename(&tmp, &meta_path).ok()
    }

    /// Deletes the entries no input of this run used, so the cache holds one run's worth.
    pub fn retain(&self, used: &std::collections::HashSet<String>) {
        let Ok(rd) = std::fs::read_dir(&self.dir) else { return };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let key = name.split('.').next().unwrap_or("");
            if !used.contains(key) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
