//! A large table's year partition as part files, and the parts a rerun need not encode.
//!
//! A partition is cut into parts at entities chosen by their id alone, so which part a
//! row lands in does not depend on how many rows other entities have: a corrected input
//! changes only the parts of its own entities. Each part's rows get a digest; a part
//! whose digest the previous run recorded is linked from that run instead of encoded
//! again, after its file is checked against the sha256 that run wrote down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, DataType, PolarsResult};
use polars_arrow::array::Array;
use sha2::{Digest, Sha256};

use super::parquet::TableFile;
use crate::config::pipeline::hex;

/// One entity in this many (on average) begins a new part. The medium bench's 300
/// parks give about ten parts a year; a country's 2,700 zones about eighty-five.
const ENTITIES_PER_PART: u64 = 32;

/// What the digest of a part's rows covers besides the rows: the version and the
/// writer settings, so that another version (which may encode otherwise) writes every
/// part again rather than link files it would not write byte for byte.
const FORMAT: &str = concat!(
    "parkstat ",
    env!("CARGO_PKG_VERSION"),
    " parts v1: zstd 1, statistics, one row group"
);

/// Whether an entity begins a part: by its id alone, the same in every run.
fn cuts_at(entity: Option<&str>) -> bool {
    let d = Sha256::digest(entity.unwrap_or_default().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_le_bytes(first) % ENTITIES_PER_PART == 0
}

/// The parts of `rows` (positions in `df`, in order): each a range of `rows`. A part
/// begins at the first row and wherever the entity changes to one that `cuts_at`;
/// a table without `entity_id` is one part.
pub fn split(df: &DataFrame, rows: &[usize]) -> PolarsResult<Vec<std::ops::Range<usize>>> {
    let whole = std::iter::once(0..rows.len());
    if rows.is_empty() || df.column("entity_id").is_err() {
        return Ok(whole.collect());
    }
    let df = crate::model::one_chunk(df);
    let entity = crate::model::strs(&df, "entity_id")?;
    let mut starts = vec![0];
    for i in 1..rows.len() {
        let e = entity(rows[i]);
        if e != entity(rows[i - 1]) && cuts_at(e) {
            starts.push(i);
        }
    }
    starts.push(rows.len());
    Ok(starts.windows(2).map(|w| w[0]..w[1]).collect())
}

/// The bytes a digest is taken of, gathered and hashed in blocks. BLAKE3, because a
/// digest is taken of every part every run: over the medium bench's observations the
/// digests took 36–37 ms with it against 54–63 ms with sha256 (the hashing alone, about
/// 12 ms against 35).
struct Feed {
    hash: blake3::Hasher,
    buf: Vec<u8>,
}

/// Bytes gathered before they are hashed.
const BLOCK: usize = 1 << 16;

impl Feed {
    fn new() -> Self {
        Feed {
            hash: blake3::Hasher::new(),
            buf: Vec::with_capacity(2 * BLOCK),
        }
    }
    /// Hashes what has been gathered once it fills a block.
    fn flush(&mut self) {
        if self.buf.len() >= BLOCK {
            self.hash.update(&self.buf);
            self.buf.clear();
        }
    }
    /// A length or a count, in as few bytes as it needs (LEB128).
    fn count(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.buf.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.buf.push(n as u8);
    }
    fn text(&mut self, s: &str) {
        self.count(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
        self.flush();
    }
    fn finish(mut self) -> String {
        self.hash.update(&self.buf);
        self.hash.finalize().to_hex().to_string()
    }
}

/// The one array of a column of a one-chunk frame; none otherwise.
fn array<T: polars::prelude::PolarsDataType>(
    ca: &polars::prelude::ChunkedArray<T>,
) -> Option<&T::Array> {
    crate::model::single(ca).ok().flatten()
}

/// A string column's rows as runs of equal values (run length, then the value or a
/// null mark), so the many repeated names and paths cost one comparison each.
fn feed_strings(f: &mut Feed, arr: &polars_arrow::array::Utf8ViewArray, rows: &[usize]) {
    fn close(f: &mut Feed, run: Option<(Option<&str>, u64)>) {
        if let Some((v, n)) = run {
            f.count(n);
            match v {
                Some(s) => {
                    f.buf.push(1);
                    f.text(s);
                }
                None => f.buf.push(0),
            }
        }
    }
    let views = arr.views();
    let nulls = arr.null_count() > 0;
    let mut run: Option<(Option<&str>, u64)> = None;
    let mut prev = usize::MAX;
    for &i in rows {
        // Equal views of one array are equal values: no need to read the bytes.
        if !nulls && prev != usize::MAX && views[i].as_u128() == views[prev].as_u128() {
            if let Some((_, n)) = &mut run {
                *n += 1;
                continue;
            }
        }
        prev = i;
        let v = (!nulls || arr.is_valid(i)).then(|| arr.value(i));
        match &mut run {
            Some((last, n)) if *last == v => *n += 1,
            _ => {
                close(f, run.take());
                run = Some((v, 1));
            }
        }
    }
    close(f, run);
}

/// A numeric column's rows: their values' bytes, a null as a mark of its own.
fn feed_numbers<T: polars_arrow::types::NativeType>(
    f: &mut Feed,
    arr: &polars_arrow::array::PrimitiveArray<T>,
    rows: &[usize],
    bytes: impl Fn(T, &mut Vec<u8>),
) {
    let values = arr.values().as_slice();
    let nulls = arr.null_count() > 0;
    for (k, &i) in rows.iter().enumerate() {
        if nulls && !arr.is_valid(i) {
            f.buf.push(0);
        } else {
            f.buf.push(1);
            bytes(values[i], &mut f.buf);
        }
        if k % 4096 == 4095 {
            f.flush();
        }
    }
    f.flush();
}

/// The digest of rows `rows` of a one-chunk frame, with its schema, as the next run
/// compares them: none for a column type it does not know, or a column of several
/// chunks (that part is then always written).
pub fn digest(df: &DataFrame, rows: &[usize]) -> Option<String> {
    let mut f = Feed::new();
    f.text(FORMAT);
    f.count(rows.len() as u64);
    for c in df.columns() {
        f.text(c.name());
        f.text(&c.dtype().to_string());
        let s = c.as_materialized_series();
        match s.dtype() {
            DataType::String => feed_strings(&mut f, array(s.str().ok()?)?, rows),
            DataType::Float64 => feed_numbers(&mut f, array(s.f64().ok()?)?, rows, |v, b| {
                b.extend_from_slice(&v.to_le_bytes())
            }),
            DataType::Int32 => feed_numbers(&mut f, array(s.i32().ok()?)?, rows, |v, b| {
                b.extend_from_slice(&v.to_le_bytes())
            }),
            DataType::Int64 => feed_numbers(&mut f, array(s.i64().ok()?)?, rows, |v, b| {
                b.extend_from_slice(&v.to_le_bytes())
            }),
            DataType::UInt8 => feed_numbers(&mut f, array(s.u8().ok()?)?, rows, |v, b| b.push(v)),
            DataType::UInt32 => feed_numbers(&mut f, array(s.u32().ok()?)?, rows, |v, b| {
                b.extend_from_slice(&v.to_le_bytes())
            }),
            DataType::Boolean => {
                let arr = array(s.bool().ok()?)?;
                for &i in rows {
                    f.buf.push(if arr.is_valid(i) {
                        1 + u8::from(arr.value(i))
                    } else {
                        0
                    });
                }
                f.flush();
            }
            _ => return None,
        }
    }
    Some(f.finish())
}

/// Where rows `rows` of a one-chunk observations frame came from: the distinct
/// (`source_path`, `source_sha256`) of their inputs, their first and last entity and
/// their count, under `basis` (`ingest::cache::rows_basis`). A part is the rows of its
/// entity range, and an input's rows are fixed by its bytes, its path and the basis:
/// two parts of the same provenance have the same rows. None for a frame without
/// those columns. Reading two columns' views costs a fraction of a digest.
pub fn provenance(df: &DataFrame, rows: &[usize], basis: &str) -> Option<String> {
    use std::collections::{BTreeSet, HashSet};
    let path = array(df.column("source_path").ok()?.str().ok()?)?;
    let sha = array(df.column("source_sha256").ok()?.str().ok()?)?;
    let entity = array(df.column("entity_id").ok()?.str().ok()?)?;
    let (pv, sv) = (path.views(), sha.views());
    // An input's rows share their views, mostly: a view pair seen before is skipped
    // unread, and equal values of other buffers meet in the set of strings.
    let mut seen: HashSet<(u128, u128)> = HashSet::new();
    let mut inputs: BTreeSet<(Option<&str>, Option<&str>)> = BTreeSet::new();
    let mut last = None;
    for &i in rows {
        let v = (pv.get(i)?.as_u128(), sv.get(i)?.as_u128());
        if last != Some(v) {
            last = Some(v);
            if seen.insert(v) {
                inputs.insert((path.get(i), sha.get(i)));
            }
        }
    }
    let mut f = Feed::new();
    f.text("provenance-1");
    f.text(basis);
    f.count(rows.len() as u64);
    for i in [rows.first(), rows.last()] {
        f.text(i.and_then(|&i| entity.get(i)).unwrap_or("\0"));
    }
    for (p, s) in inputs {
        f.text(p.unwrap_or("\0"));
        f.text(s.unwrap_or("\0"));
    }
    Some(f.finish())
}

/// Whether a path from a previous `run.json` stays inside its run directory (a
/// manifest edited by hand must not make a run link a file from elsewhere).
fn inside(path: &str) -> bool {
    use std::path::Component;
    let p = Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The part files of the previous run, by digest, for the tables it partitioned, and
/// the tables it wrote in row groups that a rerun takes groups of (`GROUPED`).
#[derive(Default)]
pub struct PreviousParts {
    tables: HashMap<String, HashMap<String, (PathBuf, TableFile)>>,
    /// Per table, each part's digest by its provenance.
    provenance: HashMap<String, HashMap<String, String>>,
    grouped: HashMap<String, super::read_back::StoredTable>,
}

/// Single-file tables written in row groups cut at entities, whose unchanged groups a
/// rerun copies from the previous run (`parquet::write_grouped_table`). A corrected
/// figure changes one entity's rows of each, and encoding the rankings' 229,000 rows
/// anew was the last write of a rerun on the medium bench.
pub const GROUPED: [&str; 2] = [
    <crate::model::Ranking as crate::model::Table>::NAME,
    <crate::model::Quarterly as crate::model::Table>::NAME,
];

impl PreviousParts {
    /// Reads the parts `run.json` of `run_dir` lists; a run without them (an older
    /// version, a manifest that cannot be read) offers none.
    pub fn read(run_dir: &Path) -> PreviousParts {
        let Ok(outputs) = super::read_back::outputs(run_dir) else {
            return PreviousParts::default();
        };
        let grouped = GROUPED
            .iter()
            .filter_map(|name| {
                let recorded = outputs.get(*name).cloned();
                let stored = super::read_back::stored_table(run_dir, name, recorded);
                Some((name.to_string(), stored.ok()?))
            })
            .collect();
        let mut tables = HashMap::new();
        let mut provenance = HashMap::new();
        for (name, table) in outputs {
            let mut parts = HashMap::new();
            let mut known = HashMap::new();
            for p in table
                .partitions
                .into_iter()
                .filter(|p| !p.digest.is_empty())
            {
                if !p.provenance.is_empty() {
                    known.insert(p.provenance.clone(), p.digest.clone());
                }
                if inside(&p.path) {
                    parts.insert(p.digest.clone(), (run_dir.join(&p.path), p));
                }
            }
            provenance.insert(name.clone(), known);
            tables.insert(name, parts);
        }
        PreviousParts {
            tables,
            provenance,
            grouped,
        }
    }

    /// The digest of the previous run's part of table `name` with this provenance.
    pub fn digest_of(&self, name: &str, provenance: &str) -> Option<&str> {
        self.provenance
            .get(name)?
            .get(provenance)
            .map(String::as_str)
    }

    /// The previous run's table `name`, when it is one of `GROUPED` and could be read.
    pub fn grouped(&self, name: &str) -> Option<&super::read_back::StoredTable> {
        self.grouped.get(name)
    }

    /// Puts the previous run's file of `digest` (table `name`) at `dest`: a hard link,
    /// or a copy where links are not possible. Only a file whose bytes still have the
    /// sha256 that run recorded is taken; none means the part must be written.
    pub fn reuse(&self, name: &str, digest: &str, dest: &Path) -> Option<(u64, String)> {
        let (old, file) = self.tables.get(name)?.get(digest)?;
        let bytes = std::fs::read(old).ok()?;
        if hex(&Sha256::digest(&bytes)) != file.sha256 {
            return None;
        }
        if std::fs::hard_link(old, dest).is_err() {
            std::fs::write(dest, &bytes).ok()?;
        }
        Some((bytes.len() as u64, file.sha256.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, NamedFrom, Series};

    fn frame(entities: &[&str], values: &[Option<f64>]) -> DataFrame {
        DataFrame::new(
            entities.len(),
            vec![
                Column::from(Series::new("entity_id".into(), entities)),
                Column::from(Series::new("value".into(), values)),
            ],
        )
        .unwrap()
    }

    /// An observation row: entity, source path, source sha256, value.
    type Obs<'a> = (&'a str, &'a str, &'a str, f64);

    fn observed<'a>(rows: &[Obs<'a>]) -> DataFrame {
        let text = |pick: fn(&Obs<'a>) -> &'a str| rows.iter().map(pick).collect::<Vec<_>>();
        polars::df!(
            "entity_id" => text(|r| r.0),
            "source_path" => text(|r| r.1),
            "source_sha256" => text(|r| r.2),
            "value" => rows.iter().map(|r| r.3).collect::<Vec<f64>>(),
        )
        .unwrap()
    }

    /// A part's provenance is its inputs (path and content), entity range, row count and
    /// basis, whatever the order its inputs' rows interleave in; any of them changed
    /// changes it. (Its values are its inputs', so they are not read.)
    #[test]
    fn provenance_is_the_inputs_the_range_and_the_basis() {
        let long = "xlsx/2024-01/0001_江州城东工业园区_2024年1月.xlsx";
        let rows = [
            ("p1", long, "aa", 1.0),
            ("p1", "b.xlsx", "bb", 2.0),
            ("p1", long, "aa", 3.0),
            ("p2", "b.xlsx", "bb", 4.0),
        ];
        let all = [0, 1, 2, 3];
        let of = |rows: &[Obs], at: &[usize], basis: &str| {
            provenance(&observed(rows), at, basis).unwrap()
        };
        let base = of(&rows, &all, "b");
        let mut values = rows;
        values[0].3 = 9.0;
        assert_eq!(of(&values, &all, "b"), base, "values are not read");
        let mut order = rows;
        order.swap(0, 1);
        assert_eq!(of(&order, &all, "b"), base, "the inputs as a set");
        let mut resent = rows;
        resent[2].2 = "cc";
        assert_ne!(of(&resent, &all, "b"), base, "an input's new content");
        let mut renamed = rows;
        renamed[1].1 = "c.xlsx";
        assert_ne!(of(&renamed, &all, "b"), base, "an input's new path");
        let mut moved = rows;
        moved[3].0 = "p3";
        assert_ne!(of(&moved, &all, "b"), base, "another entity range");
        assert_ne!(of(&rows, &[0, 1, 2], "b"), base, "another row count");
        assert_ne!(
            of(&rows, &all, "other"),
            base,
            "another build or configuration"
        );
        assert!(provenance(&frame(&["p1"], &[None]), &[0], "b").is_none());
    }

    /// Parts begin only where the entity changes, and an entity's part does not move
    /// when another entity gains or loses rows.
    #[test]
    fn parts_begin_at_entities_and_do_not_shift() {
        let ids: Vec<String> = (0..400).map(|i| format!("park{i:03}")).collect();
        let rows_of = |extra: usize| -> Vec<&str> {
            ids.iter()
                .enumerate()
                .flat_map(|(i, e)| {
                    std::iter::repeat_n(e.as_str(), if i == 7 { 3 + extra } else { 3 })
                })
                .collect()
        };
        let first_rows = rows_of(0);
        let df = frame(&first_rows, &vec![Some(1.0); first_rows.len()]);
        let all: Vec<usize> = (0..df.height()).collect();
        let parts = split(&df, &all).unwrap();
        assert!(parts.len() > 3, "400 entities make several parts");
        let entity = |rows: &[&str], i: usize| rows[i].to_string();
        for p in &parts[1..] {
            assert_ne!(
                entity(&first_rows, p.start),
                entity(&first_rows, p.start - 1)
            );
        }
        let firsts: Vec<String> = parts.iter().map(|p| entity(&first_rows, p.start)).collect();
        let more = rows_of(5);
        let df2 = frame(&more, &vec![Some(1.0); more.len()]);
        let all2: Vec<usize> = (0..df2.height()).collect();
        let firsts2: Vec<String> = split(&df2, &all2)
            .unwrap()
            .iter()
            .map(|p| entity(&more, p.start))
            .collect();
        assert_eq!(firsts, firsts2);
    }

    #[test]
    fn only_paths_inside_the_run_are_taken() {
        assert!(inside("observations/year=2024/part-00000.parquet"));
        for outside in [
            "",
            "/etc/passwd",
            "../other/part-00000.parquet",
            "a/../../b",
        ] {
            assert!(!inside(outside), "{outside}");
        }
    }

    /// The digest tells any change of a value, a null or a name apart, and not how the
    /// strings happen to be stored.
    #[test]
    fn digest_follows_the_values_only() {
        let all = |df: &DataFrame| digest(df, &(0..df.height()).collect::<Vec<_>>()).unwrap();
        let a = frame(&["p1", "p1", "p2"], &[Some(1.0), None, Some(2.0)]);
        let d = all(&a);
        // The same rows elsewhere in a frame, and picked by position.
        let wider = frame(
            &["p0", "p1", "p1", "p2", "p9"],
            &[Some(0.0), Some(1.0), None, Some(2.0), None],
        );
        assert_eq!(digest(&wider, &[1, 2, 3]).unwrap(), d);
        assert_ne!(digest(&wider, &[1, 3, 2]).unwrap(), d);
        // Several chunks: no digest (the part is written), never a wrong one.
        let mut b = a.slice(0, 1);
        b.vstack_mut(&a.slice(1, 2)).unwrap();
        assert_eq!(digest(&b, &[0, 1, 2]), None);
        for other in [
            frame(&["p1", "p1", "p2"], &[Some(1.0), Some(0.0), Some(2.0)]),
            frame(&["p1", "p2", "p2"], &[Some(1.0), None, Some(2.0)]),
            frame(&["p1", "p1", "p3"], &[Some(1.0), None, Some(2.0)]),
            frame(&["p1", "p1", "p2"], &[Some(1.0), None, Some(2.5)]),
            frame(&["p1", "p1"], &[Some(1.0), None]),
        ] {
            assert_ne!(all(&other), d);
        }
        let renamed = a.clone().rename("value", "v".into()).unwrap().clone();
        assert_ne!(all(&renamed), d);
    }
}
