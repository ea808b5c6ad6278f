//! A published run read back: its manifest and tables, for `diff` and `report`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{DataFrame, ParquetReader, SerReader};

use super::manifest::RunManifest;
use super::run_dir::{current_run, list_runs};
use crate::model::Table;

/// The directory of a retained run: `RUN` names one under `runs/`, or is `current`.
pub fn run_path(out_dir: &Path, run: &str) -> Result<PathBuf> {
    let id = if run == "current" {
        current_run(out_dir).with_context(|| {
            format!(
                "{} has no current run: run the pipeline first",
                out_dir.display()
            )
        })?
    } else {
        run.to_string()
    };
    let dir = out_dir.join("runs").join(&id);
    if !dir.join("run.json").is_file() {
        bail!(
            "no run `{id}` under {}: retained runs are {}",
            out_dir.join("runs").display(),
            match list_runs(out_dir) {
                r if r.is_empty() => "none".to_string(),
                r => r.join(", "),
            }
        );
    }
    Ok(dir)
}

pub fn manifest(run_dir: &Path) -> Result<RunManifest> {
    let path = run_dir.join("run.json");
    let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a parkstat run.json", path.display()))
}

/// The tables `run.json` of `run_dir` lists, read without the rest of it (a rerun of
/// the medium bench read its 0.9 MB four times whole, mostly the inputs' records).
pub fn outputs(
    run_dir: &Path,
) -> Result<std::collections::BTreeMap<String, super::parquet::TableFile>> {
    #[derive(serde::Deserialize)]
    struct Outputs {
        outputs: std::collections::BTreeMap<String, super::parquet::TableFile>,
    }
    let path = run_dir.join("run.json");
    let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let o: Outputs = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a parkstat run.json", path.display()))?;
    Ok(o.outputs)
}

fn read_file(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("reading {}", path.display()))
}

/// The files of a table: `<NAME>.parquet`, or every `<NAME>/year=*/*.parquet` in order.
pub fn table_files(run_dir: &Path, name: &str) -> Vec<PathBuf> {
    let single = run_dir.join(format!("{name}.parquet"));
    if single.is_file() {
        return vec![single];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(run_dir.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|part| {
            std::fs::read_dir(part.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files
}

/// A table's rows as one frame, every partition stacked in order.
pub fn frame(run_dir: &Path, name: &str) -> Result<DataFrame> {
    let files = table_files(run_dir, name);
    if files.is_empty() {
        bail!("{} holds no `{name}` table", run_dir.display());
    }
    let mut df = read_file(&files[0])?;
    for f in &files[1..] {
        df.vstack_mut(&read_file(f)?)
            .with_context(|| format!("{} does not match the other parts", f.display()))?;
    }
    Ok(df)
}

/// The rows of a facts frame read from `run_dir`, borrowing its strings.
pub fn fact_rows<'a>(run_dir: &Path, df: &'a DataFrame) -> Result<Vec<crate::model::FactRef<'a>>> {
    crate::model::FactRef::rows(df).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `facts` table",
            run_dir.join(crate::model::Fact::NAME).display()
        )
    })
}

pub fn table<T: Table>(run_dir: &Path) -> Result<Vec<T>> {
    let df = frame(run_dir, T::NAME)?;
    let path = run_dir.join(T::NAME);
    T::from_frame(&df).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `{}` table",
            path.display(),
            T::NAME
        )
    })
}

/// A retained run's table written in row groups (`parquet::write_grouped_table`), as a
/// later run compares with it or takes its groups: the file's bytes, checked against the
/// sha256 its run recorded, and the row groups that run digested.
pub struct StoredTable {
    path: PathBuf,
    bytes: polars_buffer::Buffer<u8>,
    file: super::parquet::TableFile,
}

/// Reads the facts of `run_dir`. Its groups' digests are kept only while the file still
/// has the sha256 its run recorded: the groups a comparison skips are trusted unread.
pub fn stored_facts(run_dir: &Path) -> Result<StoredTable> {
    let name = crate::model::Fact::NAME;
    let recorded = outputs(run_dir).ok().and_then(|mut o| o.remove(name));
    stored_table(run_dir, name, recorded)
}

/// Reads table `name` of `run_dir` as `stored_facts` reads the facts, with what its run
/// recorded of it (`outputs`), when that could be read.
pub fn stored_table(
    run_dir: &Path,
    name: &str,
    file: Option<super::parquet::TableFile>,
) -> Result<StoredTable> {
    use sha2::{Digest, Sha256};
    let path = run_dir.join(format!("{name}.parquet"));
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut file = file.unwrap_or_default();
    if file.sha256 != crate::config::pipeline::hex(&Sha256::digest(&bytes)) {
        file.row_groups.clear();
    }
    Ok(StoredTable {
        path,
        bytes: bytes.into(),
        file,
    })
}

/// The row groups of stored facts that a new facts file may take as they are.
pub struct Reusable<'a> {
    bytes: &'a polars_buffer::Buffer<u8>,
    meta: polars_parquet::parquet::metadata::FileMetadata,
    by_digest: std::collections::HashMap<&'a str, usize>,
}

impl Reusable<'_> {
    /// The rows and the pages (still compressed, column by column) of the group with
    /// `digest`; none when there is no such group or its pages cannot be read.
    pub fn pages(
        &self,
        digest: &str,
    ) -> Option<(u64, Vec<Vec<polars_parquet::write::CompressedPage>>)> {
        use polars_parquet::parquet::read::PageReader;
        use polars_parquet::write::CompressedPage;
        let group = &self.meta.row_groups[*self.by_digest.get(digest)?];
        let column = |c: &polars_parquet::parquet::metadata::ColumnChunkMetadata| {
            let r = c.byte_range();
            let (start, end) = (usize::try_from(r.start).ok()?, usize::try_from(r.end).ok()?);
            if start > end || end > self.bytes.len() {
                return None;
            }
            let chunk = std::io::Cursor::new(self.bytes.clone().sliced(start..end));
            PageReader::new(chunk, c, vec![], end - start)
                .map(|page| {
                    let mut page = page.ok()?;
                    // Pages read back do not carry their row count, which the writer
                    // records; a flat column's data page has one value per row.
                    if let CompressedPage::Data(d) = &mut page {
                        d.num_rows = Some(d.num_values());
                    }
                    Some(page)
                })
                .collect::<Option<Vec<_>>>()
        };
        let columns = group
            .parquet_columns()
            .iter()
            .map(column)
            .collect::<Option<Vec<_>>>()?;
        Some((group.num_rows() as u64, columns))
    }
}

impl StoredTable {
    /// Its digested row groups, to be taken into a new file unencoded; none when its run
    /// did not digest them, the file changed since, or its footer does not match them.
    pub fn reusable(&self) -> Option<Reusable<'_>> {
        use polars_parquet::parquet::read::read_metadata;
        if self.file.row_groups.is_empty() {
            return None;
        }
        let meta = read_metadata(&mut std::io::Cursor::new(&self.bytes[..])).ok()?;
        let agree = meta.row_groups.len() == self.file.row_groups.len()
            && meta
                .row_groups
                .iter()
                .zip(&self.file.row_groups)
                .all(|(m, g)| m.num_rows() == g.rows);
        if !agree {
            return None;
        }
        let by_digest = self
            .file
            .row_groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.digest.is_empty())
            .map(|(i, g)| (g.digest.as_str(), i))
            .collect();
        Some(Reusable {
            bytes: &self.bytes,
            meta,
            by_digest,
        })
    }

    /// The row groups its run digested; none when it did not, or the file changed since.
    pub fn row_groups(&self) -> &[super::parquet::RowGroup] {
        &self.file.row_groups
    }

    /// Its rows in `ranges`, stacked in order; every row when `ranges` is None.
    pub fn rows(&self, ranges: Option<&[std::ops::Range<usize>]>) -> Result<DataFrame> {
        let read = |slice: Option<(usize, usize)>| {
            let mut r = ParquetReader::new(std::io::Cursor::new(&self.bytes[..]));
            if slice.is_some() {
                r = r.with_slice(slice);
            }
            r.finish()
                .with_context(|| format!("reading {}", self.path.display()))
        };
        let Some(ranges) = ranges else {
            return read(None);
        };
        let parts = ranges
            .iter()
            .map(|r| read(Some((r.start, r.len()))))
            .collect::<Result<Vec<_>>>()?;
        match parts.is_empty() {
            true => Ok(read(Some((0, 0)))?),
            false => Ok(crate::model::concat(&parts)?),
        }
    }
}

/// The changes from the stored facts `old` to the facts frame `new`, whose row groups as
/// written are `new_groups` (`write_grouped_table`). When both sides have digested
/// groups, only the groups that differ are read and compared (`diff::unmatched`).
pub fn fact_changes(
    old: &StoredTable,
    new: &DataFrame,
    new_groups: &[super::parquet::RowGroup],
) -> Result<Vec<crate::diff::FactChange>> {
    let not_facts = || {
        format!(
            "{} does not hold the columns of parkstat's `facts` table",
            old.path.display()
        )
    };
    let rows = (old.file.rows, new.height());
    let Some((was, is)) = crate::diff::unmatched(&old.file.row_groups, new_groups, rows) else {
        let all = old.rows(None)?;
        return crate::diff::diff_frames(&all, new).with_context(not_facts);
    };
    let before = old.rows(Some(&was))?;
    let after = match is.len() {
        0 => new.clear(),
        _ => crate::model::concat(
            &is.iter()
                .map(|r| new.slice(r.start as i64, r.len()))
                .collect::<Vec<_>>(),
        )?,
    };
    crate::diff::diff_frames(&before, &after).with_context(not_facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `outputs` reads the tables a run lists whatever else its run.json holds, and
    /// refuses a file that lists none.
    #[test]
    fn outputs_are_read_without_the_rest_of_the_manifest() {
        let d = tempfile::tempdir().unwrap();
        let json = r#"{"tool":"parkstat","inputs":[{"path":"a.xlsx","odd":[1,{"x":null}]}],
            "outputs":{"facts":{"path":"facts.parquet","rows":3,"bytes":10,"sha256":"ab"}},
            "timings_ms":{"total":1}}"#;
        std::fs::write(d.path().join("run.json"), json).unwrap();
        let o = outputs(d.path()).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!((o["facts"].rows, o["facts"].sha256.as_str()), (3, "ab"));
        assert!(
            manifest(d.path()).is_err(),
            "the whole manifest is not whole"
        );

        std::fs::write(d.path().join("run.json"), r#"{"inputs":[]}"#).unwrap();
        assert!(outputs(d.path()).is_err());
    }
}
