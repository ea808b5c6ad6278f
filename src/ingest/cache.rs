//! Per-input cache: what each file yielded, kept under `out/<pipeline>/cache/` and
//! reused while the file's content, the parsers and the config that reads it are
//! the same. A rerun after one corrected figure then parses one file.
//!
//! A few files, not one per input (thousands of small files cost more in the file
//! system than they save): each `observations-<generation>.parquet` segment holds
//! cached observations with their tolerances, entry after entry, and `index.json`
//! names the segments and maps each key to its rows (segment and offset), rejects,
//! notes and errors. A run that parsed a few inputs appends one segment with their
//! rows instead of rewriting every cached row; once the segments hold many rows no
//! entry uses, or many segments, the next store writes one segment of the live rows.
//! Segments are written first and `index.json` replaced by rename after them, so the
//! index always points at whole files. Anything unreadable or inconsistent is a
//! miss: the input is parsed again, never trusted, never fatal.

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

/// What an input's rows depend on besides its bytes and path: this build's parsing
/// code and the pipeline's configuration (its file, with the sources, entities and
/// year, and its dictionaries). Inputs of the same bytes and paths under the same
/// basis give the same rows (`publish::parts::provenance`).
pub fn rows_basis(p: &Pipeline) -> String {
    hex(&Sha256::new()
        .chain_update(PARSER_HASH.as_bytes())
        .chain_update([0])
        .chain_update(p.config_hash.as_bytes())
        .finalize())
}

/// One input's result, without its observations.
#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    sha256: String,
    bytes: u64,
    encoding: Option<String>,
    error: Option<String>,
    notes: Vec<String>,
    rejects: Vec<Reject>,
    /// Rows of this entry: `len` rows from `offset` in segment `segment`.
    segment: usize,
    offset: usize,
    len: usize,
}

/// One Parquet file of cached rows.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct Segment {
    file: String,
    rows: usize,
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct Index {
    parser: String,
    /// In the order the cache's frame stacks them.
    segments: Vec<Segment>,
    entries: BTreeMap<String, Entry>,
    /// What each input file's metadata said when it was last read, by path.
    #[serde(default)]
    seen: BTreeMap<String, Seen>,
}

/// A file's metadata when its content had `sha256`. While a file's metadata is the
/// same, its content is taken to be the same without reading it, as make and git do:
/// any write changes the change time (`ctime`, which no tool sets back), a replaced
/// file has another inode. Only metadata settled before it was read is trusted: a write
/// within `RACY_NS` of the reading may share its timestamps with the next one.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
pub struct Seen {
    sha256: String,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
    dev: u64,
    /// No later than the metadata was read (ns since the epoch).
    at_ns: i64,
}

/// How long after its last write a file's metadata is trusted (longer than any file
/// system's timestamp resolution: FAT's is 2 s).
const RACY_NS: i64 = 3_000_000_000;

impl Seen {
    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata, at_ns: i64, sha256: &str) -> Option<Seen> {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.checked_mul(1_000_000_000)?.checked_add(n);
        Some(Seen {
            sha256: sha256.to_string(),
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec())?,
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec())?,
            ino: meta.ino(),
            dev: meta.dev(),
            at_ns,
        })
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata, _: i64, _: &str) -> Option<Seen> {
        None
    }

    /// The same file, unchanged since this was recorded, and settled when it was.
    fn vouches_for(&self, now: &Seen) -> bool {
        (self.size, self.mtime_ns, self.ctime_ns, self.ino, self.dev)
            == (now.size, now.mtime_ns, now.ctime_ns, now.ino, now.dev)
            && self.mtime_ns < self.at_ns - RACY_NS
            && self.ctime_ns < self.at_ns - RACY_NS
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// At most this many segments: a store beyond it writes one segment of the live rows.
const MAX_SEGMENTS: usize = 8;
/// A store that would leave more than this share of the segments' rows unused by any
/// entry writes one segment of the live rows instead (a load reads them all).
const MAX_DEAD_SHARE: f64 = 0.25;

/// The cache of one pipeline, loaded once per run.
pub struct Cache {
    dir: PathBuf,
    /// Per source entry: hash of everything in the config that changes how its files read.
    source_config: Vec<String>,
    index: Index,
    /// Every segment's rows, stacked in the index's order.
    frame: Option<DataFrame>,
    /// Where each segment starts in `frame`.
    starts: Vec<usize>,
    /// When this run began: every file's metadata is read after it.
    started_ns: i64,
    /// The metadata of the files this run read or vouched for, for the next run.
    seen: std::sync::Mutex<BTreeMap<String, Seen>>,
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
            dir: dir_of(p),
            source_config,
            index: Index::default(),
            frame: None,
            starts: Vec::new(),
            started_ns: now_ns(),
            seen: Default::default(),
        };
        if reuse {
            if let Some((index, frame)) = cache.read() {
                cache.starts = starts(&index.segments);
                cache.index = index;
                cache.frame = Some(frame);
            }
        }
        cache
    }

    /// Whether the pipeline has a cache to load (whole or not).
    pub fn present(p: &Pipeline) -> bool {
        dir_of(p).join(INDEX).is_file()
    }

    fn read(&self) -> Option<(Index, DataFrame)> {
        let index: Index =
            serde_json::from_slice(&std::fs::read(self.dir.join(INDEX)).ok()?).ok()?;
        if index.parser != PARSER_HASH || index.segments.is_empty() {
            return None;
        }
        // Its slices join freshly parsed rows: anything of another shape is a miss.
        let shape = crate::normalize::frame::cached_schema().ok()?;
        let mut frame: Option<DataFrame> = None;
        for seg in &index.segments {
            if seg.file.contains('/') || seg.file.contains('\\') {
                return None;
            }
            let part = ParquetReader::new(File::open(self.dir.join(&seg.file)).ok()?)
                .finish()
                .ok()?;
            let whole = part.height() == seg.rows
                && **part.schema() == shape
                && crate::normalize::frame::sound(&part);
            if !whole {
                return None;
            }
            match &mut frame {
                None => frame = Some(part),
                Some(f) => {
                    f.vstack_mut_owned(part).ok()?;
                }
            }
        }
        let entries_fit = index.entries.values().all(|e| {
            index
                .segments
                .get(e.segment)
                .and_then(|s| e.offset.checked_add(e.len).map(|end| end <= s.rows))
                .unwrap_or(false)
        });
        if !entries_fit {
            return None;
        }
        Some((index, frame?))
    }

    /// The cached rows, as read (`FileResult::cached_rows` index them).
    pub fn frame(&self) -> Option<&DataFrame> {
        self.frame.as_ref()
    }

    /// The key of one input: its content at its path, read by one source entry. The
    /// path is part of it because the rows carry it (`source_path`): the same bytes
    /// under two names, or a file renamed, are rows of their own.
    pub fn key(&self, source: usize, rel: &str, sha256: &str) -> String {
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
            .chain_update([0])
            .chain_update(rel.as_bytes())
            .finalize()[..16])
    }

    /// The content hash of the file at `path` as recorded, if its metadata (`meta`)
    /// vouches that it has not changed since (`Seen`).
    pub fn known_sha256(&self, path: &std::path::Path, meta: &std::fs::Metadata) -> Option<String> {
        let old = self.index.seen.get(path.to_str()?)?;
        let now = Seen::of(meta, 0, "")?;
        old.vouches_for(&now).then(|| old.sha256.clone())
    }

    /// Records what `path`'s metadata said when its content had `sha256`.
    pub fn saw(&self, path: &std::path::Path, meta: &std::fs::Metadata, sha256: &str) {
        if let (Some(p), Some(s)) = (path.to_str(), Seen::of(meta, self.started_ns, sha256)) {
            if let Ok(mut seen) = self.seen.lock() {
                seen.insert(p.to_string(), s);
            }
        }
    }

    /// What the input with this key yielded, if the cache holds it whole.
    pub fn get(&self, key: &str, rel: &str, sha256: &str) -> Option<Hit> {
        let e = self.index.entries.get(key)?;
        let frame = self.frame.as_ref()?;
        let start = self.starts.get(e.segment)?.checked_add(e.offset)?;
        let end = start.checked_add(e.len)?;
        if e.sha256 != sha256 || end > frame.height() {
            return None;
        }
        // Rows of another input mean an index that does not fit its file.
        let holds = |name: &str, want: &str| {
            frame
                .column(name)
                .ok()
                .and_then(|c| c.str().ok())
                .is_some_and(|ca| all_equal(&ca.slice(start as i64, e.len), want))
        };
        if !holds("source_sha256", sha256) || !holds("source_path", rel) {
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
            rows: start..end,
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
            .map(|r| (self.key(r.input.source, &r.input.rel, &r.sha256), r))
            .collect();
        let unchanged = keyed.iter().all(|(_, r)| r.cached)
            && keyed.len() == self.index.entries.len()
            && keyed
                .iter()
                .all(|(k, _)| self.index.entries.contains_key(k));
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        if unchanged && self.frame.is_some() {
            if seen == self.index.seen {
                return None;
            }
            // Only metadata changed (a file touched, or settled): the index alone.
            let mut index = self.index.clone();
            index.seen = seen;
            let dir = self.dir.clone();
            return Some(crate::side::spawn(move || {
                let _ = write_index(&dir, &index);
            }));
        }
        let (mut index, rows) = self
            .appended(results)
            .unwrap_or_else(|| self.rewritten(results));
        index.seen = seen;
        let df = match rows {
            Rows::All => frame.select(crate::normalize::frame::cached_columns()),
            Rows::Parsed(ranges) => {
                let parts: Vec<DataFrame> = ranges
                    .iter()
                    .map(|r| frame.slice(r.start as i64, r.len()))
                    .collect();
                if parts.is_empty() {
                    frame
                        .clear()
                        .select(crate::normalize::frame::cached_columns())
                } else {
                    crate::model::stack(parts)
                        .and_then(|df| df.select(crate::normalize::frame::cached_columns()))
                }
            }
        }
        .ok()?;
        let new_rows = index.segments.last().map_or(0, |s| s.rows);
        if df.height() != new_rows {
            return None;
        }
        let dir = self.dir.clone();
        Some(crate::side::spawn(move || {
            let _ = write(dir, index, df);
        }))
    }

    /// The index of a store that keeps the segments and adds one of the rows parsed
    /// this run, and where those rows are in the run's frame; none when the cache
    /// should be written whole (nothing to keep, too many segments or unused rows).
    fn appended(&self, results: &[FileResult]) -> Option<(Index, Rows)> {
        self.frame.as_ref()?;
        let old = &self.index.segments;
        // Rows each old segment still serves, and whether any entry still uses it.
        let mut live = vec![0usize; old.len()];
        let mut used = vec![false; old.len()];
        let mut kept: BTreeMap<String, Entry> = BTreeMap::new();
        let mut fresh: Vec<(String, Entry)> = Vec::new();
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        let (mut at, mut new_rows) = (0usize, 0usize);
        for r in results {
            let n = r.rows();
            if !r.sha256.is_empty() {
                let key = self.key(r.input.source, &r.input.rel, &r.sha256);
                match (r.cached, self.index.entries.get(&key)) {
                    (true, Some(e)) => {
                        if !kept.contains_key(&key) {
                            *live.get_mut(e.segment)? += e.len;
                            used[e.segment] = true;
                        }
                        kept.insert(key, e.clone());
                    }
                    (true, None) => return None,
                    (false, _) => {
                        fresh.push((key, entry(r, usize::MAX, new_rows, n)));
                        ranges.push(at..at + n);
                        new_rows += n;
                    }
                }
            }
            at += n;
        }
        // Segments no entry uses any more are dropped; the others keep their order.
        let mut renumber = vec![None; old.len()];
        let mut segments = Vec::new();
        for (i, s) in old.iter().enumerate() {
            if used[i] {
                renumber[i] = Some(segments.len());
                segments.push(s.clone());
            }
        }
        // Saturating: entries of a damaged index may overlap and count rows twice.
        let dead = segments
            .iter()
            .map(|s| s.rows)
            .sum::<usize>()
            .saturating_sub(live.iter().sum());
        let total = segments.iter().map(|s| s.rows).sum::<usize>() + new_rows;
        if segments.len() + 1 > MAX_SEGMENTS || dead as f64 > MAX_DEAD_SHARE * total as f64 {
            return None;
        }
        let mut entries = BTreeMap::new();
        for (k, mut e) in kept {
            e.segment = renumber[e.segment]?;
            entries.insert(k, e);
        }
        let last = segments.len();
        for (k, mut e) in fresh {
            e.segment = last;
            entries.insert(k, e);
        }
        segments.push(Segment {
            file: String::new(),
            rows: new_rows,
        });
        let index = Index {
            parser: PARSER_HASH.to_string(),
            segments,
            entries,
            seen: BTreeMap::new(),
        };
        Some((index, Rows::Parsed(ranges)))
    }

    /// The index of a store that writes every row of this run as one segment.
    fn rewritten(&self, results: &[FileResult]) -> (Index, Rows) {
        let mut entries = BTreeMap::new();
        let mut rows = 0;
        for r in results {
            let n = r.rows();
            if !r.sha256.is_empty() {
                entries.insert(
                    self.key(r.input.source, &r.input.rel, &r.sha256),
                    entry(r, 0, rows, n),
                );
            }
            rows += n;
        }
        let index = Index {
            parser: PARSER_HASH.to_string(),
            segments: vec![Segment {
                file: String::new(),
                rows,
            }],
            entries,
            seen: BTreeMap::new(),
        };
        (index, Rows::All)
    }
}

/// Whether every row of `ca` is `want` (none null). An input's rows mostly share one
/// view (the decoded dictionary's value): a view equal to one already matched is the
/// same bytes, so the bytes of a 64-character hash are compared once, not per row.
fn all_equal(ca: &polars::prelude::StringChunked, want: &str) -> bool {
    use polars_arrow::array::Array;
    ca.downcast_iter().all(|arr| {
        if arr.null_count() > 0 {
            return false;
        }
        let mut matched: Option<u128> = None;
        arr.views().iter().enumerate().all(|(i, v)| {
            if matched == Some(v.as_u128()) {
                return true;
            }
            let same = arr.value(i) == want;
            if same {
                matched = Some(v.as_u128());
            }
            same
        })
    })
}

/// Which of a run's rows go into the segment a store writes.
enum Rows {
    All,
    /// Those of the inputs parsed this run (their ranges in the run's frame).
    Parsed(Vec<std::ops::Range<usize>>),
}

/// The entry of one input whose rows are at `offset` in segment `segment`.
fn entry(r: &FileResult, segment: usize, offset: usize, len: usize) -> Entry {
    Entry {
        sha256: r.sha256.clone(),
        bytes: r.bytes,
        encoding: r.encoding.clone(),
        error: r.error.clone(),
        notes: r.output.notes.clone(),
        rejects: r.output.rejects.clone(),
        segment,
        offset,
        len,
    }
}

/// The cache's folder under the pipeline's output.
fn dir_of(p: &Pipeline) -> PathBuf {
    p.out_dir.join("cache")
}

/// The index of the cache's segments and entries, in its folder.
const INDEX: &str = "index.json";

/// Replaces `index.json` by rename: a reader sees the old index or the new one.
fn write_index(dir: &std::path::Path, index: &Index) -> Option<()> {
    let tmp = dir.join("index.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(index).ok()?).ok()?;
    std::fs::rename(&tmp, dir.join(INDEX)).ok()
}

/// Where each segment starts in the stacked frame.
fn starts(segments: &[Segment]) -> Vec<usize> {
    segments
        .iter()
        .scan(0usize, |at, s| {
            let start = *at;
            *at += s.rows;
            Some(start)
        })
        .collect()
}

/// Writes the index's last segment (`df`) under a new name, then the index that names
/// it, then removes the files the index no longer names: a crash at any point leaves a
/// readable cache or none.
fn write(dir: PathBuf, mut index: Index, mut df: DataFrame) -> Option<()> {
    std::fs::create_dir_all(&dir).ok()?;
    let generation = hex(&Sha256::digest(
        format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes(),
    ))[..16]
        .to_string();
    let file = format!("observations-{generation}.parquet");
    let path = dir.join(&file);
    ParquetWriter::new(BufWriter::new(File::create(&path).ok()?))
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(&mut df)
        .ok()?;
    index.segments.last_mut()?.file = file;
    write_index(&dir, &index)?;
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != INDEX && !index.segments.iter().any(|s| s.file == name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows match by their bytes whether or not they share a view: long and inline
    /// values, a value differing only past the inline prefix, and a null.
    #[test]
    fn rows_of_an_input_are_checked_by_value() {
        use polars::prelude::*;
        let hash = "ab".repeat(32);
        let other = format!("{}cd", &hash[..62]);
        let ca = |v: Vec<Option<&str>>| StringChunked::new("h".into(), v);
        // Separate values: equal bytes at different offsets of the buffer.
        assert!(all_equal(&ca(vec![Some(&hash); 5]), &hash));
        assert!(all_equal(&ca(vec![Some("a.csv"); 3]), "a.csv"));
        assert!(all_equal(&ca(vec![]), &hash));
        assert!(!all_equal(
            &ca(vec![Some(&hash), Some(&other), Some(&hash)]),
            &hash
        ));
        assert!(!all_equal(&ca(vec![Some(&hash), None]), &hash));
        assert!(!all_equal(&ca(vec![Some("a.csv"), Some("b.csv")]), "a.csv"));
        // One view shared by every row, as a decoded dictionary gives.
        let one = ca(vec![Some(hash.as_str())]);
        let shared = one.take(&IdxCa::from_vec("i".into(), vec![0; 4])).unwrap();
        assert!(all_equal(&shared, &hash));
        assert!(!all_equal(&shared, &other));
        // Chunks: every chunk's rows are checked.
        let mut two = ca(vec![Some(&hash), Some(&hash)]);
        two.append(&ca(vec![Some(&other)])).unwrap();
        assert!(!all_equal(&two, &hash));
    }

    /// A file's recorded metadata vouches for its content only while every field is the
    /// same and only if the file was settled (not written within `RACY_NS`) when recorded.
    #[test]
    fn metadata_vouches_only_for_a_settled_unchanged_file() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.csv");
        std::fs::write(&f, "x,1\n").unwrap();
        let meta = std::fs::metadata(&f).unwrap();
        let p = Pipeline::load(std::path::Path::new("pipelines/default.toml")).unwrap();
        let mut cache = Cache::load(&p, false);
        cache.saw(&f, &meta, "h1");
        let recorded = cache.seen.lock().unwrap().clone();
        assert_eq!(recorded.len(), 1);
        cache.index.seen = recorded.clone();
        assert_eq!(cache.known_sha256(&f, &meta), None, "written just now");

        let mut settled = recorded;
        for s in settled.values_mut() {
            s.at_ns = s.ctime_ns.max(s.mtime_ns) + RACY_NS + 1;
        }
        cache.index.seen = settled.clone();
        assert_eq!(cache.known_sha256(&f, &meta).as_deref(), Some("h1"));
        assert_eq!(cache.known_sha256(&d.path().join("b.csv"), &meta), None);

        let now = Seen::of(&meta, 0, "").unwrap();
        let old = settled.into_values().next().unwrap();
        assert!(old.vouches_for(&now));
        let changes: [fn(&mut Seen); 5] = [
            |s| s.size += 1,
            |s| s.mtime_ns += 1,
            |s| s.ctime_ns += 1,
            |s| s.ino += 1,
            |s| s.dev += 1,
        ];
        for change in changes {
            let mut changed = old.clone();
            change(&mut changed);
            assert!(!changed.vouches_for(&now), "{changed:?}");
        }
    }
}
