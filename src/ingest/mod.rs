//! Ingest: find the inputs, read each file once, in parallel, into observations and rejects.

pub mod cache;
pub mod correction;
pub mod csv_table;
pub mod decode;
pub mod discover;
pub mod sheet;
pub mod text;

use std::path::PathBuf;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::dictionary::Dictionaries;
use crate::config::pipeline::{hex, Entities, EntityDef, Pipeline};
use crate::model::{Observation, Reject, SourceKind};
use crate::normalize::figure::SourceRef;

/// One input file found by discovery.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// Relative to the pipeline root, `/`-separated: the `source_path` of its rows.
    pub rel: String,
    pub kind: SourceKind,
    /// Index of the `[[sources]]` entry that matched it.
    pub source: usize,
}

/// What one file yields.
#[derive(Debug, Default)]
pub struct FileOutput {
    pub observations: Vec<Observation>,
    pub rejects: Vec<Reject>,
    /// Things worth telling about the file that are not rows (a hidden sheet skipped).
    pub notes: Vec<String>,
}

/// Everything a reader needs to know about the file it reads.
pub struct SourceContext<'a> {
    pub src: SourceRef,
    pub dicts: &'a Dictionaries,
    pub entities: &'a Entities,
    /// The entity the source entry assigns, when rows do not name one.
    pub entity: Option<EntityDef>,
    /// The year when an input does not say (the source's, else the pipeline's).
    pub year: Option<i32>,
    /// The year the source entry states: it wins over what a report's title says.
    pub forced_year: Option<i32>,
    /// Layout facts the pipeline states for sheets.
    pub sheet: crate::config::pipeline::SheetOverrides,
    pub limits: crate::config::pipeline::Limits,
}

impl<'a> SourceContext<'a> {
    /// A context for reading one file on its own, with a pipeline's dictionaries and
    /// entities but no source entry (`extract`, tests, benchmarks).
    pub fn standalone(p: &'a Pipeline, kind: SourceKind, path: &str) -> SourceContext<'a> {
        SourceContext {
            src: SourceRef::new(kind, path.to_string(), String::new()),
            dicts: &p.dictionaries,
            entities: &p.entities,
            entity: None,
            year: p.year,
            forced_year: None,
            sheet: Default::default(),
            limits: p.limits,
        }
    }
}

/// The result of reading one input.
#[derive(Debug)]
pub struct FileResult {
    pub input: InputFile,
    pub sha256: String,
    pub bytes: u64,
    pub encoding: Option<String>,
    pub output: FileOutput,
    /// Why the file as a whole could not be read; its rows are then absent.
    pub error: Option<String>,
    /// Taken from the cache, not parsed.
    pub cached: bool,
    /// For a cached input: its rows in the cache's frame (`output.observations` is
    /// then empty); they stay columns from the cache to the published table.
    pub cached_rows: Option<std::ops::Range<usize>>,
    /// Modification time of the file (ns since the epoch; 0 unknown).
    pub mtime: i64,
    /// A parsed input's rows as columns (`normalize::frame::columns`), built on the
    /// thread that parsed it so a run never holds every input's rows at once;
    /// `output.observations` is then empty.
    pub frame: Option<Framed>,
}

/// A parsed input's rows as columns: rows `rows` of `frame`, a frame the inputs of
/// one run of ingest share once it is joined (`normalize::frame::join_run`).
#[derive(Debug, Clone)]
pub struct Framed {
    pub frame: std::sync::Arc<polars::prelude::DataFrame>,
    pub rows: std::ops::Range<usize>,
}

impl Framed {
    /// A frame of one input's rows.
    pub fn whole(df: polars::prelude::DataFrame) -> Framed {
        let rows = 0..df.height();
        Framed {
            frame: std::sync::Arc::new(df),
            rows,
        }
    }

    /// The input's rows as a frame (its columns shared, not copied).
    pub fn slice(&self) -> polars::prelude::DataFrame {
        self.frame.slice(self.rows.start as i64, self.rows.len())
    }
}

impl FileResult {
    /// How many observations the input yielded, parsed or cached.
    pub fn rows(&self) -> usize {
        match (&self.cached_rows, &self.frame) {
            (Some(r), _) => r.len(),
            (None, Some(f)) => f.rows.len(),
            (None, None) => self.output.observations.len(),
        }
    }
}

/// Inputs read one after another by one thread, their frames then joined.
const RUN: usize = 16;

/// Reads every input in parallel; one file's failure never stops the others.
pub fn ingest_all(
    p: &Pipeline,
    inputs: &[InputFile],
    progress: &crate::progress::Progress,
    cache: Option<&cache::Cache>,
) -> Vec<FileResult> {
    progress.files(inputs.len());
    // Rayon splits a slice into a few long runs; the last run of one thread then kept
    // the other idle for 50 ms at the end of a 2,400-workbook ingest. Runs of a few
    // files let an idle thread take the remaining ones; each run's frames are joined
    // as it ends, so the small frames of its inputs do not all live until the end.
    inputs
        .par_chunks(RUN)
        .flat_map_iter(|run| {
            let mut results: Vec<FileResult> = run
                .iter()
                .map(|i| {
                    let mut r = ingest_cached(p, i, cache);
                    crate::normalize::frame::columns(&mut r);
                    progress.file_done();
                    r
                })
                .collect();
            crate::normalize::frame::join_run(&mut results);
            results
        })
        .collect()
}

/// Reads one input, or takes what it yielded last time from the cache.
fn ingest_cached(p: &Pipeline, input: &InputFile, cache: Option<&cache::Cache>) -> FileResult {
    let Some(cache) = cache else {
        return ingest_one(p, input);
    };
    // Metadata that vouches for the content recorded last time spares reading and
    // hashing the file (`cache::Seen`); otherwise it is read and hashed.
    let meta = std::fs::metadata(&input.path).ok();
    let hit = |sha256: String, bytes: u64| {
        let key = cache.key(input.source, &input.rel, &sha256);
        let hit = cache.get(&key, &input.rel, &sha256)?;
        if let Some(m) = &meta {
            cache.saw(&input.path, m, &sha256);
        }
        Some(FileResult {
            input: input.clone(),
            sha256,
            bytes,
            encoding: hit.encoding,
            output: hit.output,
            error: hit.error,
            cached: true,
            cached_rows: Some(hit.rows),
            mtime: meta.as_ref().map_or(0, mtime_ns),
            frame: None,
        })
    };
    if let Some(m) = &meta {
        if let Some(r) = cache
            .known_sha256(&input.path, m)
            .and_then(|s| hit(s, m.len()))
        {
            return r;
        }
    }
    let Ok(bytes) = std::fs::read(&input.path) else {
        return ingest_one(p, input);
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    if let Some(r) = hit(sha256.clone(), bytes.len() as u64) {
        return r;
    }
    if let Some(m) = &meta {
        cache.saw(&input.path, m, &sha256);
    }
    parse(p, input, bytes, sha256)
}

thread_local! {
    /// Set while a reader runs on this thread: its panics become that file's error.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic inside a reader is reported as the file's one-line error, not as a
/// backtrace on stderr; every other panic keeps the default report.
fn quiet_reader_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !READING.with(|r| r.get()) {
                default(info);
            }
        }));
    });
}

/// The input-size limit, before anything is decoded.
fn within_limits(bytes: &[u8], l: &crate::config::pipeline::Limits) -> Result<(), String> {
    let mb = bytes.len() as u64 / 1_000_000;
    if mb > l.max_input_mb {
        return Err(format!(
            "{mb} MB is over the input limit of {} MB; raise [limits] max_input_mb if it is meant",
            l.max_input_mb
        ));
    }
    Ok(())
}

/// The line-length limit of decoded text: a 100 MB line is no report.
fn lines_within(text: &str, l: &crate::config::pipeline::Limits) -> Result<(), String> {
    let max = l.max_line_kb.saturating_mul(1000) as usize;
    match text.split('\n').enumerate().find(|(_, line)| line.len() > max) {
        Some((i, line)) => Err(format!(
            "line {} is {} KB long, over the limit of {} KB; raise [limits] max_line_kb if it is meant",
            i + 1,
            line.len() / 1000,
            l.max_line_kb
        )),
        None => Ok(()),
    }
}

fn mtime_of(path: &std::path::Path) -> i64 {
    std::fs::metadata(path).map_or(0, |m| mtime_ns(&m))
}

fn mtime_ns(m: &std::fs::Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Reads one input.
pub fn ingest_one(p: &Pipeline, input: &InputFile) -> FileResult {
    match std::fs::read(&input.path) {
        Ok(bytes) => {
            let sha256 = hex(&Sha256::digest(&bytes));
            parse(p, input, bytes, sha256)
        }
        Err(e) => FileResult {
            input: input.clone(),
            sha256: String::new(),
            bytes: 0,
            encoding: None,
            output: FileOutput::default(),
            error: Some(format!("cannot read: {e}")),
            cached: false,
            cached_rows: None,
            mtime: 0,
            frame: None,
        },
    }
}

/// What one input's bytes yield, as a run reads them (limits and the guard against
/// reader panics included), without a file on disk: for fuzzing and embedding.
pub fn parse_bytes(p: &Pipeline, kind: SourceKind, name: &str, bytes: Vec<u8>) -> FileResult {
    let input = InputFile {
        path: std::path::PathBuf::from(name),
        rel: name.to_string(),
        kind,
        source: usize::MAX,
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    parse(p, &input, bytes, sha256)
}

/// Parses one input's bytes.
fn parse(p: &Pipeline, input: &InputFile, bytes: Vec<u8>, sha256: String) -> FileResult {
    let mut res = FileResult {
        input: input.clone(),
        sha256,
        bytes: 0,
        encoding: None,
        output: FileOutput::default(),
        error: None,
        cached: false,
        cached_rows: None,
        mtime: 0,
        frame: None,
    };
    res.bytes = bytes.len() as u64;
    let def = p.sources.get(input.source);
    let ctx = SourceContext {
        src: SourceRef::new(input.kind, input.rel.clone(), res.sha256.clone()),
        dicts: &p.dictionaries,
        entities: &p.entities,
        entity: def
            .and_then(|d| d.entity.as_deref())
            .and_then(|id| p.entities.get(id))
            .cloned(),
        year: def.and_then(|d| d.year).or(p.year),
        forced_year: def.and_then(|d| d.year),
        sheet: def.map(|d| d.sheet_overrides()).unwrap_or_default(),
        limits: p.limits,
    };
    if let Err(e) = within_limits(&bytes, &p.limits) {
        res.error = Some(e);
        return res;
    }
    let forced = def.and_then(|d| d.encoding.as_deref());
    // A reader that panics on a malformed file (calamine does on some, found by fuzzing)
    // fails that file alone; the run goes on.
    quiet_reader_panics();
    READING.with(|r| r.set(true));
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match input.kind {
        SourceKind::Csv => decode::decode(&bytes, forced).and_then(|d| {
            res.encoding = Some(d.encoding.to_string());
            lines_within(&d.text, &ctx.limits)?;
            csv_table::read(&d.text, &ctx)
        }),
        SourceKind::Sheet => {
            let name = input
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            sheet::read(bytes, &name, &ctx)
        }
        SourceKind::Text => decode::decode(&bytes, forced).and_then(|d| {
            res.encoding = Some(d.encoding.to_string());
            let name = input
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            lines_within(&d.text, &ctx.limits)?;
            text::read(&d.text, &name, &ctx)
        }),
        SourceKind::Correction => decode::decode(&bytes, forced).and_then(|d| {
            res.encoding = Some(d.encoding.to_string());
            lines_within(&d.text, &ctx.limits)?;
            correction::read(&d.text, &ctx)
        }),
    }));
    READING.with(|r| r.set(false));
    let parsed = parsed.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!(
            "the reader failed on this file ({why}); it is malformed, or a reader bug: please report it"
        ))
    });
    match parsed {
        Ok(mut out) => {
            res.mtime = mtime_of(&input.path);
            for o in &mut out.observations {
                o.source_mtime = res.mtime;
            }
            res.output = out
        }
        Err(e) => res.error = Some(e),
    }
    res
}

/// The kind an input is read as, from its extension (for `extract`).
pub fn kind_of_path(path: &std::path::Path) -> Option<SourceKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => SourceKind::Csv,
        "txt" | "text" => SourceKind::Text,
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => SourceKind::Sheet,
        _ => return None,
    })
}
