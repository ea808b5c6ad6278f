//! `run.json`: what a run read, wrote, found and how long each stage took.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::parquet::TableFile;

/// One input as the run saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputRecord {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub kind: String,
    /// `ok`, or `failed` (the whole file could not be read; see `error`).
    pub status: String,
    pub encoding: Option<String>,
    pub rows: usize,
    pub rejects: usize,
    pub cached: bool,
    pub error: Option<String>,
    /// What the reader noticed that is not a row (a hidden sheet skipped).
    pub notes: Vec<String>,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    pub tool: String,
    pub version: String,
    pub run_id: String,
    pub pipeline: String,
    pub config_hash: String,
    pub started_at: String,
    pub finished_at: String,
    /// The exit code this run ends with (0 clean, 3 published with failures or errors).
    pub exit_code: i32,
    pub inputs: Vec<InputRecord>,
    pub outputs: BTreeMap<String, TableFile>,
    pub checks: BTreeMap<String, usize>,
    pub warnings: Vec<String>,
    /// Milliseconds per stage.
    pub timings_ms: BTreeMap<String, u64>,
    /// The process's peak resident memory when run.json was written (Linux; absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
}

/// Peak resident memory of this process so far, from `/proc/self/status` (`VmHWM`).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
