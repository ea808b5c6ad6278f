//! Every input's rows → one observations frame in published order. From here on
//! observations are columns: cached inputs are slices of the cache's frame (never
//! rebuilt into rows), parsed inputs are built into columns once.

use polars::prelude::{
    Column, DataFrame, NamedFrom, PolarsResult, Schema, Series, SortMultipleOptions,
};

use super::pieces::{Base, Span};
use crate::ingest::{FileResult, Framed};
use crate::model::{Observation, PeriodKind, Scope, SourceKind, Table};

/// Half a unit of the last stated digit (`Observation::tolerance`); kept in the cache.
pub const TOLERANCE: &str = "tolerance";
/// The input file's modification time (`Observation::source_mtime`); never cached,
/// since a file of the same content may be newer.
pub const MTIME: &str = "source_mtime";

/// The published columns and the tolerance: what the cache holds.
pub fn cached_columns() -> Vec<&'static str> {
    let mut c = Observation::column_names().to_vec();
    c.push(TOLERANCE);
    c
}

/// The schema of the cache's frame.
pub fn cached_schema() -> PolarsResult<Schema> {
    Ok((**fresh(&[])?.schema()).clone())
}

/// Whether a frame of the cache's schema holds only what parkstat writes: no null
/// where it never writes one, and scope, period kind and source kind by their names.
/// (Anything else would fail the run at the sort or at reconcile; a cache is only ever
/// a reason to parse again.)
pub fn sound(df: &DataFrame) -> bool {
    let nullable = Observation::nullable_columns();
    let nulls_where_allowed = df
        .columns()
        .iter()
        .all(|c| c.null_count() == 0 || nullable.contains(&c.name().as_str()));
    let named = |name: &str, known: fn(Option<&str>) -> bool| {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .is_ok_and(|ca| {
                let mut last = None;
                ca.iter().all(|v| {
                    let ok = last == Some(v) || known(v);
                    last = Some(v);
                    ok
                })
            })
    };
    // In parallel: on a rerun this is most of the cache's load after decoding.
    type Known = fn(Option<&str>) -> bool;
    let names: [(&str, Known); 3] = [
        ("scope", |v| Scope::parse(v).is_ok()),
        ("period_kind", |v| PeriodKind::parse(v).is_ok()),
        ("source_kind", |v| SourceKind::parse(v).is_ok()),
    ];
    use rayon::prelude::*;
    nulls_where_allowed && names.par_iter().all(|&(name, known)| named(name, known))
}

/// Parsed rows as columns, with their tolerances.
fn fresh(rows: &[&Observation]) -> PolarsResult<DataFrame> {
    let mut df = crate::model::frame_of(rows)?;
    let tol: Vec<f64> = rows.iter().map(|o| o.tolerance).collect();
    df.with_column(Column::from(Series::new(TOLERANCE.into(), tol)))?;
    Ok(df)
}

/// Turns a parsed input's rows into columns and lets the rows go (`FileResult::frame`).
/// Should that fail, the rows stay, and `gather` builds them (and reports the error).
pub fn columns(r: &mut FileResult) {
    if r.cached_rows.is_some() || r.frame.is_some() || r.output.observations.is_empty() {
        return;
    }
    let rows: Vec<&Observation> = r.output.observations.iter().collect();
    if let Ok(df) = fresh(&rows) {
        r.frame = Some(Framed::whole(df));
        r.output.observations = Vec::new();
    }
}

/// Joins the frames of a run of parsed inputs (`columns`) into one that holds their
/// strings in buffers of its own, each input's frame then a slice of it. Apart, each
/// input's 28 small arrays held ~80 KB: a full medium run held ~185 MB of them at the
/// end of ingest, against ~95 MB joined. Should the join fail, the frames stay apart.
pub fn join_run(results: &mut [FileResult]) {
    let parts: Vec<DataFrame> = results
        .iter()
        .filter_map(|r| r.frame.as_ref().map(Framed::slice))
        .collect();
    if parts.len() < 2 {
        return;
    }
    let Ok(joined) = crate::model::concat_copied(&parts) else {
        return;
    };
    let joined = std::sync::Arc::new(joined);
    let mut at = 0;
    for f in results.iter_mut().filter_map(|r| r.frame.as_mut()) {
        let n = f.rows.len();
        *f = Framed {
            frame: joined.clone(),
            rows: at..at + n,
        };
        at += n;
    }
}

/// The rows of every result, in their order, with tolerance and modification time.
/// `cached` is the frame that the results' `cached_rows` index.
pub fn gather(results: &[FileResult], cached: Option<&DataFrame>) -> PolarsResult<DataFrame> {
    Ok(gather_with_spans(results, cached)?.0)
}

/// `gather`, and where the cached rows lie in `cached` (for `sort_from`).
pub fn gather_with_spans(
    results: &[FileResult],
    cached: Option<&DataFrame>,
) -> PolarsResult<(DataFrame, Vec<Span>)> {
    enum Piece<'a> {
        Old(usize, usize),
        Run(&'a DataFrame, usize, usize),
        New(Vec<&'a Observation>),
    }
    let mut pieces: Vec<Piece> = Vec::new();
    for r in results {
        match (&r.cached_rows, &r.frame, pieces.last_mut()) {
            (Some(c), _, Some(Piece::Old(_, end))) if *end == c.start => *end = c.end,
            (Some(c), _, _) => pieces.push(Piece::Old(c.start, c.end)),
            // The inputs of one run of ingest (`join_run`) are one piece.
            (None, Some(f), Some(Piece::Run(df, _, end)))
                if std::ptr::eq(*df, &*f.frame) && *end == f.rows.start =>
            {
                *end = f.rows.end
            }
            (None, Some(f), _) => pieces.push(Piece::Run(&f.frame, f.rows.start, f.rows.end)),
            (None, None, Some(Piece::New(rows))) => rows.extend(&r.output.observations),
            (None, None, _) => pieces.push(Piece::New(r.output.observations.iter().collect())),
        }
    }
    let parts = pieces
        .iter()
        .map(|p| match p {
            Piece::Old(start, end) => {
                let old = cached.ok_or_else(
                    || polars::prelude::polars_err!(ComputeError: "cached rows without the cache's frame"),
                )?;
                Ok(old.slice(*start as i64, end - start))
            }
            Piece::Run(df, start, end) => Ok(df.slice(*start as i64, end - start)),
            Piece::New(rows) => fresh(rows),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut spans = Vec::new();
    let mut at = 0;
    for (piece, part) in pieces.iter().zip(&parts) {
        if let Piece::Old(from, _) = piece {
            spans.push(Span {
                at,
                from: *from,
                len: part.height(),
            });
        }
        at += part.height();
    }
    // A few pieces (a rerun's slices of the cache's frame and its parsed inputs) stay
    // pieces: `sort` gathers them once. Many (a full run's runs of inputs) are joined
    // (`model::concat`): the cache is written from the joined frame, where polars'
    // writer would join pieces itself, and the stacked runs held ~30 MB more at the
    // run's peak.
    let mut df = if parts.is_empty() {
        fresh(&[])?
    } else if parts.len() <= crate::model::MANY_PARTS {
        crate::model::stack(parts)?
    } else {
        crate::model::concat(&parts)?
    };
    let mtime: Vec<i64> = results
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.mtime, r.rows()))
        .collect();
    df.with_column(Column::from(Series::new(MTIME.into(), mtime)))?;
    Ok((df, spans))
}

/// Hidden columns that order scope and period kind as their enums do (`park` before `city`).
const SCOPE_ORD: &str = "__scope_ord";
const PERIOD_ORD: &str = "__period_ord";

/// Sorts observations by fact key, then place: the published order, and the one
/// reconcile reads keys in (each key's rows together). A frame in pieces (a rerun's,
/// `gather`) is gathered from its pieces (`pieces::take`, else `model::take_rows`).
pub fn sort(df: &DataFrame) -> PolarsResult<DataFrame> {
    sort_from(df, None)
}

/// `sort` of a frame in pieces, most of them slices of `base`'s frame.
pub fn sort_from(df: &DataFrame, base: Option<Base>) -> PolarsResult<DataFrame> {
    let mut sorted = match super::order::sorted_rows(df)? {
        Some(rows) if df.columns().iter().any(|c| c.n_chunks() > 1) => {
            match super::pieces::take(df, &rows, base.as_ref())? {
                Some(sorted) => sorted,
                None => crate::model::take_rows(df, rows)?,
            }
        }
        Some(rows) => crate::model::take_rows(df, rows)?,
        None => sort_by_columns(&crate::model::one_chunk(df))?,
    };
    sorted.rechunk_mut_par();
    Ok(sorted)
}

/// `sort` by polars, column after column: for keys too wide to pack (`order`).
pub(crate) fn sort_by_columns(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut df = df.clone();
    let scope: Vec<u8> = ordinals(&df, "scope", |v| Scope::parse(v).map(|s| s as u8))?;
    let period: Vec<u8> = ordinals(&df, "period_kind", |v| {
        PeriodKind::parse(v).map(|p| p as u8)
    })?;
    df.with_column(Column::from(Series::new(SCOPE_ORD.into(), scope)))?;
    df.with_column(Column::from(Series::new(PERIOD_ORD.into(), period)))?;
    let by = [
        "entity_id",
        SCOPE_ORD,
        "indicator",
        "year",
        PERIOD_ORD,
        "month_from",
        "month_to",
        "qualifier",
        "source_path",
        "locator",
        "obs_id",
    ];
    df.sort(
        by,
        SortMultipleOptions::default()
            .with_nulls_last(false)
            .with_maintain_order(true),
    )?
    .drop(SCOPE_ORD)?
    .drop(PERIOD_ORD)
}

/// The position of each row's value in its enum (`parse` then `as u8`), to sort by.
pub(crate) fn ordinals(
    df: &DataFrame,
    name: &str,
    ord: impl Fn(Option<&str>) -> PolarsResult<u8>,
) -> PolarsResult<Vec<u8>> {
    df.column(name)?.str()?.iter().map(ord).collect()
}

/// The columns of the published table (without tolerance and modification time).
pub fn published(df: &DataFrame) -> PolarsResult<DataFrame> {
    df.select(Observation::column_names().iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::pipeline::Pipeline;
    use crate::ingest::parse_bytes;

    /// An input turned into columns on its worker gathers to the frame its rows would.
    #[test]
    fn inputs_as_columns_gather_as_their_rows() {
        let p = Pipeline::load(std::path::Path::new("pipelines/default.toml")).unwrap();
        let read = |name: &str, kind| {
            let bytes = std::fs::read(std::path::Path::new("data").join(name)).unwrap();
            parse_bytes(&p, kind, name, bytes)
        };
        let inputs = [
            ("csv/临港园区_2024年1-8月_gb18030.csv", SourceKind::Csv),
            (
                "reports/江州高新区_2024年1-8月工作情况汇报.txt",
                SourceKind::Text,
            ),
            (
                "xlsx/江州经开区_2024年主要指标月度累计.xlsx",
                SourceKind::Sheet,
            ),
        ];
        let rows: Vec<FileResult> = inputs.iter().map(|(n, k)| read(n, *k)).collect();
        let mut framed: Vec<FileResult> = inputs.iter().map(|(n, k)| read(n, *k)).collect();
        for r in &mut framed {
            columns(r);
        }
        assert!(framed
            .iter()
            .all(|r| r.frame.is_some() && r.output.observations.is_empty()));
        assert_eq!(
            rows.iter().map(FileResult::rows).collect::<Vec<_>>(),
            framed.iter().map(FileResult::rows).collect::<Vec<_>>()
        );
        let (a, b) = (gather(&rows, None).unwrap(), gather(&framed, None).unwrap());
        assert!(a.height() > 50);
        assert!(a.equals_missing(&b));

        // Joined as one run, each input's frame is its slice of the run's frame: the
        // same rows, their strings in one set of buffers.
        let apart: Vec<DataFrame> = framed
            .iter()
            .map(|r| r.frame.as_ref().unwrap().slice())
            .collect();
        join_run(&mut framed);
        let buffers = |r: &FileResult| -> Vec<usize> {
            let frame = r.frame.as_ref().unwrap().slice();
            let arr = frame.column("source_path").unwrap().str().unwrap();
            arr.downcast_iter()
                .flat_map(|a| a.data_buffers().iter().map(|b| b.as_ptr() as usize))
                .collect()
        };
        for (r, before) in framed.iter().zip(&apart) {
            assert!(r.frame.as_ref().unwrap().slice().equals_missing(before));
            assert_eq!(buffers(r), buffers(&framed[0]));
        }
        assert!(gather(&framed, None).unwrap().equals_missing(&a));
    }
}
