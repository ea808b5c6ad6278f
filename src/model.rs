//! The rows of every published table, as Rust types.
//!
//! Column names and order here are the contract of DESIGN.md: BI users and
//! the tests read them. Extend a table by adding a field at its end; never
//! rename one.

use polars::prelude::{
    polars_err, BooleanChunked, ChunkCompareEq, Column, DataFrame, IdxCa, IdxSize, IntoColumn,
    NamedFrom, PolarsResult, Series, StringChunked,
};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Geographic scope of a figure: the park itself or an area around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Park,
    City,
    County,
    Province,
    Other,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Park => "park",
            Scope::City => "city",
            Scope::County => "county",
            Scope::Province => "province",
            Scope::Other => "other",
        }
    }
}

/// What span of time a figure covers (DESIGN.md, `period_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// One calendar month (`8月当月`).
    Month,
    /// Cumulative from January (`1至8月`, `上半年`, `前三季度`).
    Ytd,
    /// One quarter not starting in January (`三季度`).
    Quarter,
    /// The second half year (`下半年`).
    HalfYear,
    /// A whole year (`2023年`, `全年`, `1-12月`).
    Year,
    /// A stock at a point in time (`截至目前`, `8月末`).
    AsOf,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Ytd => "ytd",
            PeriodKind::Quarter => "quarter",
            PeriodKind::HalfYear => "half_year",
            PeriodKind::Year => "year",
            PeriodKind::AsOf => "as_of",
        }
    }
}

/// Which kind of input a row came from; also the unit of source precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Sheet,
    Csv,
    Text,
    Correction,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Sheet => "sheet",
            SourceKind::Csv => "csv",
            SourceKind::Text => "text",
            SourceKind::Correction => "correction",
        }
    }
}

/// Severity of a check row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warn,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// A Rust value type that becomes one Parquet column, and is read back from one
/// (a retained run's tables, for `diff` and `report`).
pub trait ColumnType: Sized {
    /// Whether the column may hold nulls (an `Option`).
    const NULLABLE: bool = false;
    fn column<'a>(name: &str, values: impl Iterator<Item = &'a Self>) -> Column
    where
        Self: 'a;
    fn read(col: &Column) -> PolarsResult<Vec<Self>>;
}

macro_rules! column_via {
    ($nullable:literal, $t:ty, $store:ty, |$v:ident| $conv:expr, $get:ident, |$r:ident| $back:expr) => {
        impl ColumnType for $t {
            const NULLABLE: bool = $nullable;
            fn column<'a>(name: &str, values: impl Iterator<Item = &'a Self>) -> Column {
                let data: Vec<$store> = values.map(|$v| $conv).collect();
                Series::new(name.into(), data).into()
            }
            fn read(col: &Column) -> PolarsResult<Vec<Self>> {
                col.$get()?.iter().map(|$r| $back).collect()
            }
        }
    };
}

/// A value that was written non-null came back null: the file is not one of ours.
fn required<T>(v: Option<T>) -> PolarsResult<T> {
    v.ok_or_else(|| polars_err!(ComputeError: "a null in a column parkstat never leaves null"))
}

impl Scope {
    /// The scope `as_str` wrote.
    pub fn parse(v: Option<&str>) -> PolarsResult<Scope> {
        named(v, &SCOPES, Scope::as_str)
    }
}

impl PeriodKind {
    /// The period kind `as_str` wrote.
    pub fn parse(v: Option<&str>) -> PolarsResult<PeriodKind> {
        named(v, &PERIOD_KINDS, PeriodKind::as_str)
    }
}

impl SourceKind {
    /// The source kind `as_str` wrote.
    pub fn parse(v: Option<&str>) -> PolarsResult<SourceKind> {
        named(v, &SOURCE_KINDS, SourceKind::as_str)
    }
}

/// An enum column read back by the name `as_str` wrote.
fn named<T: Copy>(v: Option<&str>, all: &[T], name: fn(T) -> &'static str) -> PolarsResult<T> {
    let v = required(v)?;
    all.iter()
        .copied()
        .find(|x| name(*x) == v)
        .ok_or_else(|| polars_err!(ComputeError: "unknown value `{v}` in an enum column"))
}

const SCOPES: [Scope; 5] = [
    Scope::Park,
    Scope::City,
    Scope::County,
    Scope::Province,
    Scope::Other,
];
const PERIOD_KINDS: [PeriodKind; 6] = [
    PeriodKind::Month,
    PeriodKind::Ytd,
    PeriodKind::Quarter,
    PeriodKind::HalfYear,
    PeriodKind::Year,
    PeriodKind::AsOf,
];
const SOURCE_KINDS: [SourceKind; 4] = [
    SourceKind::Sheet,
    SourceKind::Csv,
    SourceKind::Text,
    SourceKind::Correction,
];
const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warn, Severity::Info];

impl ColumnType for String {
    fn column<'a>(name: &str, values: impl Iterator<Item = &'a Self>) -> Column {
        str_column(name, values.map(|v| Some(v.as_str())))
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        col.str()?
            .iter()
            .map(|r| required(r).map(str::to_string))
            .collect()
    }
}
impl ColumnType for Option<String> {
    const NULLABLE: bool = true;
    fn column<'a>(name: &str, values: impl Iterator<Item = &'a Self>) -> Column {
        str_column(name, values.map(|v| v.as_deref()))
    }
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        Ok(col.str()?.iter().map(|r| r.map(str::to_string)).collect())
    }
}
impl ColumnType for Arc<str> {
    fn column<'a>(name: &str, values: impl Iterator<Item = &'a Self>) -> Column {
        str_column(name, values.map(|v| Some(&**v)))
    }
    /// Runs of one value (every row of one input shares its path and hash) share one
    /// allocation again, as they did before they were written.
    fn read(col: &Column) -> PolarsResult<Vec<Self>> {
        let mut last: Option<Arc<str>> = None;
        col.str()?
            .iter()
            .map(|r| {
                let v = required(r)?;
                match &last {
                    Some(l) if **l == *v => Ok(l.clone()),
                    _ => Ok(last.insert(Arc::from(v)).clone()),
                }
            })
            .collect()
    }
}
column_via!(false, i32, i32, |v| *v, i32, |r| required(r));
column_via!(false, u32, u32, |v| *v, u32, |r| required(r));
column_via!(true, Option<u32>, Option<u32>, |v| *v, u32, |r| Ok(r));
column_via!(false, u8, u8, |v| *v, u8, |r| required(r));
column_via!(true, Option<u8>, Option<u8>, |v| *v, u8, |r| Ok(r));
column_via!(true, Option<i32>, Option<i32>, |v| *v, i32, |r| Ok(r));
column_via!(false, f64, f64, |v| *v, f64, |r| required(r));
column_via!(true, Option<f64>, Option<f64>, |v| *v, f64, |r| Ok(r));
column_via!(false, bool, bool, |v| *v, bool, |r| required(r));
column_via!(false, Scope, &str, |v| v.as_str(), str, |r| named(
    r,
    &SCOPES,
    Scope::as_str
));
column_via!(false, PeriodKind, &str, |v| v.as_str(), str, |r| named(
    r,
    &PERIOD_KINDS,
    PeriodKind::as_str
));
column_via!(false, SourceKind, &str, |v| v.as_str(), str, |r| named(
    r,
    &SOURCE_KINDS,
    SourceKind::as_str
));
column_via!(false, Severity, &str, |v| v.as_str(), str, |r| named(
    r,
    &SEVERITIES,
    Severity::as_str
));

/// A column type read in place: a row of a frame borrows its strings from the frame
/// instead of copying them (`FactRef`), so a stage reads a table without rebuilding it.
pub trait ColumnRef: ColumnType {
    type Ref<'a>: Copy
    where
        Self: 'a;
    fn borrow(&self) -> Self::Ref<'_>;
    fn to_owned(r: Self::Ref<'_>) -> Self;
    fn read_ref(col: &Column) -> PolarsResult<Vec<Self::Ref<'_>>>;
}

macro_rules! column_ref_copy {
    ($($t:ty),*) => {$(
        impl ColumnRef for $t {
            type Ref<'a> = $t;
            fn borrow(&self) -> $t {
                *self
            }
            fn to_owned(r: $t) -> $t {
                r
            }
            fn read_ref(col: &Column) -> PolarsResult<Vec<$t>> {
                <$t as ColumnType>::read(col)
            }
        }
    )*};
}
column_ref_copy!(
    i32,
    u32,
    Option<u32>,
    u8,
    Option<u8>,
    Option<i32>,
    f64,
    Option<f64>,
    bool,
    Scope,
    PeriodKind,
    SourceKind,
    Severity
);

impl ColumnRef for String {
    type Ref<'a> = &'a str;
    fn borrow(&self) -> &str {
        self
    }
    fn to_owned(r: &str) -> String {
        r.to_string()
    }
    fn read_ref(col: &Column) -> PolarsResult<Vec<&str>> {
        let ca = col.str()?;
        if ca.null_count() > 0 {
            return Err(polars_err!(ComputeError: "a null in a column parkstat never leaves null"));
        }
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            out.extend(arr.values_iter());
        }
        Ok(out)
    }
}

impl ColumnRef for Option<String> {
    type Ref<'a> = Option<&'a str>;
    fn borrow(&self) -> Option<&str> {
        self.as_deref()
    }
    fn to_owned(r: Option<&str>) -> Option<String> {
        r.map(str::to_string)
    }
    fn read_ref(col: &Column) -> PolarsResult<Vec<Option<&str>>> {
        let ca = col.str()?;
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            out.extend(arr.iter());
        }
        Ok(out)
    }
}

/// A published table: a name, its columns, and how rows become a frame.
pub trait Table: Sized + Serialize {
    /// File stem under the run directory (`observations` → `observations.parquet`).
    const NAME: &'static str;
    fn column_names() -> &'static [&'static str];
    /// The columns that may hold nulls; every other column never does.
    fn nullable_columns() -> Vec<&'static str>;
    fn to_frame(rows: &[Self]) -> PolarsResult<DataFrame>;
    /// The same, for a subset of rows (one partition) without copying them.
    fn to_frame_refs(rows: &[&Self]) -> PolarsResult<DataFrame>;
    /// Rows back from a frame this table wrote; internal fields take their defaults.
    fn from_frame(df: &DataFrame) -> PolarsResult<Vec<Self>>;
}

macro_rules! table {
    ($(#[$m:meta])* $name:ident = $file:literal, borrowed as $refname:ident { $( $(#[$fm:meta])* $f:ident : $t:ty ),* $(,)? }) => {
        table! { $(#[$m])* $name = $file { $( $(#[$fm])* $f : $t ),* } }

        /// A row of the table read in place from its frame: strings are borrowed, not copied.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $refname<'a> {
            $( pub $f: <$t as ColumnRef>::Ref<'a>, )*
        }

        impl $name {
            /// This row as its borrowed form, for stages that read either.
            pub fn borrow(&self) -> $refname<'_> {
                $refname { $( $f: ColumnRef::borrow(&self.$f), )* }
            }
        }

        impl<'a> $refname<'a> {
            /// An owned copy of this row.
            pub fn to_owned(&self) -> $name {
                $name { $( $f: <$t as ColumnRef>::to_owned(self.$f), )* }
            }
            /// Every row of `df` (a frame this table wrote), borrowing its strings.
            #[allow(non_snake_case)]
            pub fn rows(df: &'a DataFrame) -> PolarsResult<Vec<$refname<'a>>> {
                $( let mut $f = <$t as ColumnRef>::read_ref(df.column(stringify!($f))?)?.into_iter(); )*
                let mut rows = Vec::with_capacity(df.height());
                for _ in 0..df.height() {
                    rows.push($refname {
                        $( $f: $f.next().ok_or_else(|| polars_err!(ComputeError: "short column"))?, )*
                    });
                }
                Ok(rows)
            }
        }
    };
    ($(#[$m:meta])* $name:ident = $file:literal { $( $(#[$fm:meta])* $f:ident : $t:ty ),* $(,)? }
     $( internal { $( $(#[$im:meta])* $i:ident : $it:ty ),* $(,)? } )?) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $( $(#[$fm])* pub $f: $t, )*
            $( $( $(#[$im])* #[serde(skip)] pub $i: $it, )* )?
        }

        impl Table for $name {
            const NAME: &'static str = $file;
            fn column_names() -> &'static [&'static str] { &[$(stringify!($f)),*] }
            fn nullable_columns() -> Vec<&'static str> {
                [$((stringify!($f), <$t as ColumnType>::NULLABLE)),*]
                    .into_iter()
                    .filter(|(_, n)| *n)
                    .map(|(c, _)| c)
                    .collect()
            }
            fn to_frame(rows: &[Self]) -> PolarsResult<DataFrame> {
                let cols = vec![ $( <$t as ColumnType>::column(stringify!($f), rows.iter().map(|r| &r.$f)) ),* ];
                DataFrame::new(rows.len(), cols)
            }
            fn to_frame_refs(rows: &[&Self]) -> PolarsResult<DataFrame> {
                let cols = vec![ $( <$t as ColumnType>::column(stringify!($f), rows.iter().map(|r| &r.$f)) ),* ];
                DataFrame::new(rows.len(), cols)
            }
            #[allow(non_snake_case)]
            fn from_frame(df: &DataFrame) -> PolarsResult<Vec<Self>> {
                $( let mut $f = <$t as ColumnType>::read(df.column(stringify!($f))?)?.into_iter(); )*
                let mut rows = Vec::with_capacity(df.height());
                for _ in 0..df.height() {
                    rows.push($name {
                        $( $f: $f.next().ok_or_else(|| polars_err!(ComputeError: "short column"))?, )*
                        $( $( $i: Default::default(), )* )?
                    });
                }
                Ok(rows)
            }
        }
    };
}

table! {
    /// One statistical statement found in one input (DESIGN.md "observation").
    Observation = "observations" {
        obs_id: String,
        entity_id: String,
        entity_name: String,
        scope: Scope,
        indicator: String,
        indicator_name: String,
        indicator_raw: String,
        year: i32,
        period_kind: PeriodKind,
        month_from: Option<u8>,
        month_to: Option<u8>,
        value: Option<f64>,
        unit: String,
        value_raw: String,
        unit_raw: String,
        approx: bool,
        yoy_pct: Option<f64>,
        yoy_pp: Option<f64>,
        share_pct: Option<f64>,
        share_of: Option<String>,
        source_kind: SourceKind,
        /// Shared by every row of one input (a clone is a count, not a copy).
        source_path: Arc<str>,
        source_sha256: Arc<str>,
        locator: String,
        /// Shared by every figure of one sentence.
        excerpt: Arc<str>,
        /// Extension: the class a figure is of (`年产值超亿元`, `相对全省平均水平`); part of the fact key.
        qualifier: Option<String>,
    }
    internal {
        /// Half a unit of the last stated digit, in the canonical unit: how
        /// far another source may differ and still agree.
        tolerance: f64,
        /// Modification time of the input (ns since the epoch; 0 unknown): among
        /// same-kind, equally precise sources that disagree, the newer file wins.
        source_mtime: i64,
    }
}

table! {
    /// Something that looked like a figure but could not become an observation.
    Reject = "rejects" {
        source_path: String,
        locator: String,
        raw: String,
        reason: String,
        source_kind: SourceKind,
        source_sha256: String,
        /// The parsed value where there was one (e.g. `unmapped indicator`), so
        /// an analyst can add a synonym and rerun.
        value: Option<f64>,
        unit: Option<String>,
    }
}

table! {
    /// One reconciled figure per key.
    Fact = "facts", borrowed as FactRef {
        entity_id: String,
        entity_name: String,
        scope: Scope,
        indicator: String,
        indicator_name: String,
        year: i32,
        period_kind: PeriodKind,
        month_from: Option<u8>,
        month_to: Option<u8>,
        value: Option<f64>,
        unit: String,
        approx: bool,
        yoy_pct: Option<f64>,
        yoy_pp: Option<f64>,
        share_pct: Option<f64>,
        share_of: Option<String>,
        n_sources: u32,
        /// obs_ids of every observation of this key, winner first, `;`-separated.
        sources: String,
        conflict: bool,
        corrected: bool,
        winner_obs_id: String,
        winner_source_kind: SourceKind,
        qualifier: Option<String>,
    }
}

table! {
    /// Year-to-date and single-month values of a flow indicator.
    Monthly = "monthly", borrowed as MonthlyRef {
        entity_id: String,
        entity_name: String,
        scope: Scope,
        indicator: String,
        indicator_name: String,
        year: i32,
        month: u8,
        unit: String,
        ytd_value: Option<f64>,
        month_value: Option<f64>,
        ytd_yoy_pct: Option<f64>,
        prior_ytd_implied: Option<f64>,
        prior_ytd_reported: Option<f64>,
        /// How `month_value` was got: `reported`, `ytd_first` (January's ytd),
        /// `ytd_diff` (ytd(m) − ytd(m−1)), `ytd_diff_span` (covers several
        /// months, e.g. the combined `1-2月`), or empty when unknown.
        derivation: String,
        /// First month that `month_value` covers (1 for a combined `1-2月`).
        month_value_from: Option<u8>,
    }
}

table! {
    /// One quarter's value of a flow indicator, from year-to-date values at quarter ends.
    Quarterly = "quarterly" {
        entity_id: String,
        entity_name: String,
        scope: Scope,
        indicator: String,
        indicator_name: String,
        year: i32,
        quarter: u8,
        unit: String,
        value: Option<f64>,
        ytd_value: Option<f64>,
        derivation: String,
    }
}

table! {
    /// A whole year's value of a flow indicator.
    Annual = "annual" {
        entity_id: String,
        entity_name: String,
        scope: Scope,
        indicator: String,
        indicator_name: String,
        year: i32,
        unit: String,
        value: Option<f64>,
        yoy_pct: Option<f64>,
        derivation: String,
    }
}

table! {
    /// A park's value as a share of its area's value, computed next to any stated share.
    Share = "shares", borrowed as ShareRef {
        entity_id: String,
        entity_name: String,
        indicator: String,
        indicator_name: String,
        year: i32,
        period_kind: PeriodKind,
        month_from: Option<u8>,
        month_to: Option<u8>,
        share_of: String,
        part_value: Option<f64>,
        whole_value: Option<f64>,
        computed_share_pct: Option<f64>,
        stated_share_pct: Option<f64>,
    }
}

table! {
    /// Rank of a park among the pipeline's parks, by value and by growth.
    Ranking = "rankings" {
        entity_id: String,
        entity_name: String,
        indicator: String,
        indicator_name: String,
        year: i32,
        period_kind: PeriodKind,
        month_from: Option<u8>,
        month_to: Option<u8>,
        value: Option<f64>,
        rank_by_value: Option<u32>,
        yoy_pct: Option<f64>,
        rank_by_growth: Option<u32>,
        n_ranked: u32,
    }
}

table! {
    /// A rule that fired: what is wrong with which series, in plain words.
    Check = "checks" {
        rule: String,
        severity: Severity,
        entity_id: String,
        scope: Scope,
        indicator: String,
        year: i32,
        period_kind: Option<String>,
        month_from: Option<u8>,
        month_to: Option<u8>,
        message: String,
        observed: Option<f64>,
        expected: Option<f64>,
        obs_ids: String,
    }
}

/// The frame of `rows`, built in parallel slices of a fixed size (so the result does
/// not depend on the thread count) and joined into one chunk per column.
pub fn frame_of<T: Table + Sync>(rows: &[&T]) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    const SLICE: usize = 32 * 1024;
    if rows.len() <= SLICE {
        return T::to_frame_refs(rows);
    }
    let parts: Vec<DataFrame> = rows
        .par_chunks(SLICE)
        .map(T::to_frame_refs)
        .collect::<PolarsResult<_>>()?;
    concat(&parts)
}

/// A table's frame built from another's rows: every column of `T` that `source` has under
/// the same name is gathered from its rows `rows`; the others are `computed` (one value
/// per row, in any order); the columns come out in `T`'s order. When `rows` are all of
/// `source`'s in order, its columns are shared, not copied.
pub fn assemble<T: Table>(
    source: &DataFrame,
    rows: Vec<IdxSize>,
    computed: Vec<Series>,
) -> PolarsResult<DataFrame> {
    let own: Vec<&str> = computed.iter().map(|s| s.name().as_str()).collect();
    let taken = T::column_names()
        .iter()
        .copied()
        .filter(|c| !own.contains(c) && source.schema().contains(c));
    let mut df = take_rows(&source.select(taken)?, rows)?;
    for s in computed {
        df.with_column(s.into())?;
    }
    df.select(T::column_names().iter().copied())
}

/// Whether `rows` are `0..height`, each row once in order (a gather that would copy).
pub fn every_row(rows: &[IdxSize], height: usize) -> bool {
    rows.len() == height && rows.iter().enumerate().all(|(i, &r)| r as usize == i)
}

/// A named column of `values`, for the small frames of config a stage joins with
/// (ranges, entity links) and of keys it looks up.
pub fn column<T>(name: &str, values: impl Iterator<Item = T>) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Series::new(name.into(), values.collect::<Vec<T>>()).into()
}

/// A string column in which a value equal to the row before's shares its bytes
/// instead of copying them: down an input's rows its path, hash, entity, indicator
/// and unit repeat, and a frame that held each copy took several times the memory.
/// Its bytes sit in buffers of exactly their size (an input's frame is small, and
/// polars' builder would give each column a block of its own).
pub fn str_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    let mut b = Views::with_capacity(values.size_hint().0);
    let mut last: Option<(&str, View)> = None;
    for v in values {
        let Some(s) = v else {
            b.null();
            continue;
        };
        let view = match last {
            Some((l, view)) if l == s => view,
            _ => b.copy(s.as_bytes()),
        };
        last = Some((s, view));
        b.push(view);
    }
    b.finish(name.into())
}

use polars_arrow::array::View;

/// A string array being built whose bytes sit in buffers of exactly their size; a row
/// may repeat an earlier row's view, sharing its bytes.
struct Views {
    views: Vec<View>,
    buffers: Vec<polars_buffer::Buffer<u8>>,
    bytes: Vec<u8>,
    validity: Option<polars_arrow::bitmap::MutableBitmap>,
    total_bytes: usize,
    total_buffer: usize,
}

impl Views {
    fn with_capacity(n: usize) -> Views {
        Views {
            views: Vec::with_capacity(n),
            buffers: Vec::new(),
            bytes: Vec::new(),
            validity: None,
            total_bytes: 0,
            total_buffer: 0,
        }
    }

    fn null(&mut self) {
        let n = self.views.len();
        let valid = self.validity.get_or_insert_with(|| {
            let mut m = polars_arrow::bitmap::MutableBitmap::with_capacity(n.max(8));
            m.extend_constant(n, true);
            m
        });
        valid.push(false);
        self.views.push(View::default());
    }

    /// The view of a value: inline, or its bytes copied into the buffer.
    fn copy(&mut self, s: &[u8]) -> View {
        if s.len() <= View::MAX_INLINE_SIZE as usize {
            return View::new_inline(s);
        }
        // Offsets are u32: a buffer past 4 GiB starts another.
        if self.bytes.len() + s.len() > u32::MAX as usize {
            self.total_buffer += self.bytes.len();
            self.buffers.push(std::mem::take(&mut self.bytes).into());
        }
        let view = View::new_from_bytes(s, self.buffers.len() as u32, self.bytes.len() as u32);
        self.bytes.extend_from_slice(s);
        view
    }

    /// A non-null row: a view `copy` gave (this row's or an earlier one's).
    fn push(&mut self, view: View) {
        self.total_bytes += view.length as usize;
        self.views.push(view);
        if let Some(valid) = self.validity.as_mut() {
            valid.push(true);
        }
    }

    fn finish(mut self, name: polars::prelude::PlSmallStr) -> Column {
        use polars_arrow::array::Utf8ViewArray;
        if !self.bytes.is_empty() {
            self.bytes.shrink_to_fit();
            self.total_buffer += self.bytes.len();
            self.buffers.push(self.bytes.into());
        }
        // SAFETY: every view is inline or was made by `copy` from the bytes it copied
        // whole into the buffer it names; the validity, when there is one, has a bit per
        // view; the totals count every row's bytes and every buffer's.
        let arr = unsafe {
            Utf8ViewArray::new_unchecked(
                polars_arrow::datatypes::ArrowDataType::Utf8View,
                self.views.into(),
                self.buffers.into(),
                self.validity.map(Into::into),
                Some(self.total_bytes),
                self.total_buffer,
            )
        };
        StringChunked::with_chunk(name, arr).into_column()
    }
}

/// Whether each row's `columns` equal the row before's (nulls equal): in a frame sorted
/// by them, where a group carries on. The first row starts one (its key is never all null).
pub fn same_as_previous(df: &DataFrame, columns: &[&str]) -> PolarsResult<BooleanChunked> {
    use polars::prelude::DataType;
    let n = df.height();
    let keys = df.select(columns.iter().copied())?;
    let keys = one_chunk(&keys);
    let mut same = vec![true; n];
    // Compared in place, row with row before; other types as shifted copies.
    for k in columns {
        let c = keys.column(k)?;
        match c.dtype() {
            DataType::String => narrow(&mut same, strs(&keys, k)?),
            DataType::Int32 => narrow(&mut same, nums(c.i32()?)?),
            DataType::UInt8 => narrow(&mut same, nums(c.u8()?)?),
            _ => {
                let s = c.as_materialized_series();
                let equal = s.equal_missing(&s.shift(1))?;
                for (x, e) in same.iter_mut().zip(equal.iter()) {
                    *x &= e == Some(true);
                }
            }
        }
    }
    Ok(BooleanChunked::new("same".into(), same))
}

/// Clears `same` where a column's value differs from the row before's (the first row's
/// "before" is null).
fn narrow<T: PartialEq>(same: &mut [bool], at: impl Fn(usize) -> Option<T>) {
    let Some(first) = same.first_mut() else {
        return;
    };
    let mut before = at(0);
    *first &= before.is_none();
    for (i, s) in same.iter_mut().enumerate().skip(1) {
        let now = at(i);
        *s &= now == before;
        before = now;
    }
}

/// `f` of each value of `col` (null stays null). Columns here come sorted or in runs, so a
/// value equal to the row before's reuses its answer instead of asking `f` again.
pub fn by_runs<'a, T: Copy + 'a>(
    col: &'a StringChunked,
    mut f: impl FnMut(&'a str) -> T + 'a,
) -> impl Iterator<Item = Option<T>> + 'a {
    let mut last: Option<(&str, T)> = None;
    col.iter().map(move |v| {
        let v = v?;
        Some(match last {
            Some((l, answer)) if l == v => answer,
            _ => {
                let answer = f(v);
                last = Some((v, answer));
                answer
            }
        })
    })
}

/// Whether each value of `col` is in `set`.
pub fn is_in(col: &StringChunked, set: &std::collections::HashSet<&str>) -> BooleanChunked {
    by_runs(col, |v| set.contains(v)).collect()
}

/// The frame with one chunk per column, which `strs` and `nums` read in place.
pub fn one_chunk(df: &DataFrame) -> std::borrow::Cow<'_, DataFrame> {
    if df.columns().iter().all(|c| c.n_chunks() <= 1) {
        std::borrow::Cow::Borrowed(df)
    } else {
        let mut df = df.clone();
        df.rechunk_mut_par();
        std::borrow::Cow::Owned(df)
    }
}

/// The one array of a column (none if it has no chunk); an error if it has several.
pub(crate) fn single<T: polars::prelude::PolarsDataType>(
    ca: &polars::prelude::ChunkedArray<T>,
) -> PolarsResult<Option<&T::Array>> {
    if ca.chunks().len() > 1 {
        return Err(
            polars_err!(ComputeError: "column {} has several chunks: read it through `one_chunk`", ca.name()),
        );
    }
    Ok(ca.downcast_iter().next())
}

/// A string column of a one-chunk frame read in place: row `i`'s value, none where null.
/// A walk down a frame reads its rows this way instead of copying columns first.
pub fn strs<'a>(
    df: &'a DataFrame,
    name: &str,
) -> PolarsResult<impl Fn(usize) -> Option<&'a str> + Copy + 'a> {
    let arr = single(df.column(name)?.str()?)?;
    Ok(move |i| arr.and_then(|a| a.get(i)))
}

/// A numeric column of a one-chunk frame read in place, as `strs`.
pub fn nums<'a, T: polars::prelude::PolarsNumericType>(
    ca: &'a polars::prelude::ChunkedArray<T>,
) -> PolarsResult<impl Fn(usize) -> Option<T::Native> + Copy + 'a> {
    let arr = single(ca)?;
    use polars_arrow::array::Array;
    Ok(move |i| arr.and_then(|a| a.is_valid(i).then(|| a.value(i))))
}

/// The rows where `mask` is true (not false, not null).
pub fn true_rows(mask: &BooleanChunked) -> Vec<IdxSize> {
    mask.iter()
        .enumerate()
        .filter_map(|(i, m)| (m == Some(true)).then_some(i as IdxSize))
        .collect()
}

/// The rows `rows` of `df`, in that order; `df` itself (its columns shared, not
/// copied) when they are every row in order.
pub fn take_rows(df: &DataFrame, rows: Vec<IdxSize>) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    if every_row(&rows, df.height()) {
        return Ok(df.clone());
    }
    let rows = IdxCa::from_vec("row".into(), rows);
    if df.columns().iter().all(|c| c.n_chunks() <= 1) {
        return df.take(&rows);
    }
    // A frame in pieces (a rerun's slices of the cache's frame and the inputs parsed
    // again, `normalize::frame::gather`): each column is joined just before it is
    // gathered and let go after, where joining the whole frame first took ~70 MB of
    // fresh memory, and polars' gather from pieces copies every string.
    let columns = df
        .columns()
        .par_iter()
        .map(|c| {
            let one = c.as_materialized_series().rechunk();
            Ok(one.take(&rows)?.into_column())
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(rows.len(), columns)
}

/// Frames of one schema, one after another, joined into one chunk per column; the
/// columns are joined in parallel. (Stacking a run's 2,400 input frames one frame
/// after another took 15 ms on one core before the joining could start.)
pub fn concat(parts: &[DataFrame]) -> PolarsResult<DataFrame> {
    join(parts, parts.len() > MANY_PARTS)
}

/// `concat`, the strings always copied into buffers of the joined frame's own: the
/// parts' memory can then be given back.
pub fn concat_copied(parts: &[DataFrame]) -> PolarsResult<DataFrame> {
    join(parts, true)
}

fn join(parts: &[DataFrame], copy_strings: bool) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let first = parts
        .first()
        .ok_or_else(|| polars_err!(ComputeError: "no frames to stack"))?;
    if parts.iter().any(|p| p.width() != first.width()) {
        return Err(polars_err!(ShapeMismatch: "frames to stack differ in their columns"));
    }
    let height = parts.iter().map(DataFrame::height).sum();
    let columns = (0..first.width())
        .into_par_iter()
        .map(|i| {
            if copy_strings && first.columns()[i].dtype() == &polars::prelude::DataType::String {
                return joined_strings(parts, i, height);
            }
            let mut s = first.columns()[i].as_materialized_series().clone();
            for p in &parts[1..] {
                let c = p
                    .columns()
                    .get(i)
                    .filter(|c| c.name() == s.name())
                    .ok_or_else(
                        || polars_err!(ShapeMismatch: "frames to stack differ in their columns"),
                    )?;
                s.append(c.as_materialized_series())?;
            }
            Ok(s.rechunk().into_column())
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

/// More frames than this are joined with their strings copied (`joined_strings`); a
/// rerun's few large slices of the cache's frame keep their buffers, as polars joins
/// them, or are not joined at all (`normalize::frame::gather`).
pub const MANY_PARTS: usize = 64;

/// Column `i` (a string column) of every frame, joined into one array whose bytes are
/// copied into buffers of its own. Joined by polars, the array kept every input's small
/// buffers alive, scattered among freed memory the allocator could then not give back:
/// on the medium bench the joined frame held about 195 MB against its 85 MB of data.
/// A value equal to the one before shares its bytes, as `str_column` made them.
fn joined_strings(parts: &[DataFrame], i: usize, height: usize) -> PolarsResult<Column> {
    use polars_arrow::array::{Array, Utf8ViewArray};
    let name = parts[0].columns()[i].name().clone();
    let mut b = Views::with_capacity(height);
    // The previous long value: its array, its view there, and its view here.
    let mut last: Option<(usize, u128, View)> = None;
    let mut k = 0usize;
    for p in parts {
        let col = p
            .columns()
            .get(i)
            .filter(|c| c.name() == &name)
            .ok_or_else(|| polars_err!(ShapeMismatch: "frames to stack differ in their columns"))?;
        for arr in col.str()?.downcast_iter() {
            let arr: &Utf8ViewArray = arr;
            k += 1;
            let bufs = arr.data_buffers();
            for (j, v) in arr.views().iter().enumerate() {
                if !arr.is_valid(j) {
                    b.null();
                    continue;
                }
                let view = match last {
                    _ if v.length <= View::MAX_INLINE_SIZE => *v,
                    Some((lk, lv, here)) if lk == k && lv == v.as_u128() => here,
                    _ => {
                        let from = bufs
                            .get(v.buffer_idx as usize)
                            .and_then(|b| {
                                b.get(v.offset as usize..v.offset as usize + v.length as usize)
                            })
                            .ok_or_else(
                                || polars_err!(ComputeError: "a string view outside its buffers"),
                            )?;
                        let here = b.copy(from);
                        last = Some((k, v.as_u128(), here));
                        here
                    }
                };
                b.push(view);
            }
        }
    }
    Ok(b.finish(name))
}

/// Frames of one schema, one after another (each keeps its chunks).
pub fn stack(parts: impl IntoIterator<Item = DataFrame>) -> PolarsResult<DataFrame> {
    let mut parts = parts.into_iter();
    let mut df = parts
        .next()
        .ok_or_else(|| polars_err!(ComputeError: "no frames to stack"))?;
    for p in parts {
        df.vstack_mut(&p)?;
    }
    Ok(df)
}

/// Names of every table, in the order they are published and reported.
pub const TABLE_NAMES: [&str; 9] = [
    Observation::NAME,
    Fact::NAME,
    Monthly::NAME,
    Quarterly::NAME,
    Annual::NAME,
    Share::NAME,
    Ranking::NAME,
    Check::NAME,
    Reject::NAME,
];

/// A park's 1–8月 revenue fact, for unit tests.
#[cfg(test)]
pub(crate) fn test_fact(entity: &str, value: Option<f64>, yoy: Option<f64>) -> Fact {
    Fact {
        entity_id: entity.into(),
        entity_name: entity.into(),
        scope: Scope::Park,
        indicator: "revenue".into(),
        indicator_name: "营业收入".into(),
        year: 2024,
        period_kind: PeriodKind::Ytd,
        month_from: Some(1),
        month_to: Some(8),
        value,
        unit: "元".into(),
        approx: false,
        yoy_pct: yoy,
        yoy_pp: None,
        share_pct: None,
        share_of: None,
        n_sources: 1,
        sources: String::new(),
        conflict: false,
        corrected: false,
        winner_obs_id: String::new(),
        winner_source_kind: SourceKind::Sheet,
        qualifier: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Joined column by column, frames give the rows stacking them gives, in one chunk;
    /// frames of other columns are refused.
    #[test]
    fn concat_joins_frames_as_stacking_does_in_one_chunk() {
        let facts: Vec<Fact> = (0..7)
            .map(|i| {
                test_fact(
                    &format!("p{i}"),
                    Some(i as f64),
                    (i % 2 == 0).then_some(1.5),
                )
            })
            .collect();
        let parts: Vec<DataFrame> = facts
            .chunks(3)
            .map(|c| Fact::to_frame(c).unwrap())
            .collect();
        let joined = concat(&parts).unwrap();
        assert!(joined.equals_missing(&stack(parts.clone()).unwrap()));
        assert!(joined.equals_missing(&Fact::to_frame(&facts).unwrap()));
        assert!(joined.columns().iter().all(|c| c.n_chunks() == 1));
        let narrower = parts[1].drop("unit").unwrap();
        assert!(concat(&[parts[0].clone(), narrower]).is_err());
        let renamed = parts[1]
            .clone()
            .rename("unit", "units".into())
            .unwrap()
            .clone();
        assert!(concat(&[parts[0].clone(), renamed]).is_err());
    }

    #[test]
    fn a_fact_read_in_place_is_the_fact_written() {
        let mut b = test_fact("b", None, Some(-3.5));
        b.qualifier = Some("年产值超亿元".into());
        b.share_of = Some("city".into());
        let facts = vec![test_fact("a", Some(7e8), None), b];
        let frame = Fact::to_frame(&facts).unwrap();
        let rows = FactRef::rows(&frame).unwrap();
        let borrowed: Vec<FactRef> = facts.iter().map(Fact::borrow).collect();
        assert_eq!(rows, borrowed);
        let owned: Vec<Fact> = rows.iter().map(FactRef::to_owned).collect();
        assert_eq!(owned, facts);
    }

    use proptest::prelude::*;

    /// Short values (kept inline), long ones (in the buffer, some multi-byte), nulls,
    /// and runs of one value, which share their bytes.
    fn strings() -> impl Strategy<Value = Vec<Option<String>>> {
        let value = prop_oneof![
            Just(None),
            Just(Some("park".to_string())),
            Just(Some("苏州工业园区规模以上工业总产值".to_string())),
            Just(Some("xlsx/p001/2024-08.xlsx!Sheet1!C5".to_string())),
            "[a-z园区]{0,20}".prop_map(Some),
        ];
        proptest::collection::vec((value, 1usize..4), 0..60).prop_map(|runs| {
            runs.into_iter()
                .flat_map(|(v, n)| std::iter::repeat_n(v, n))
                .collect()
        })
    }

    /// Frames with a string column and a number, as many inputs' frames are.
    fn many_frames(values: &[Vec<Option<String>>]) -> Vec<DataFrame> {
        values
            .iter()
            .map(|v| {
                let col = str_column("s", v.iter().map(|x| x.as_deref()));
                let n: Column =
                    Series::new("n".into(), (0..v.len() as i32).collect::<Vec<_>>()).into();
                DataFrame::new(v.len(), vec![col, n]).unwrap()
            })
            .collect()
    }

    /// Two inputs whose one long value sits at the same place of their own buffers, with
    /// the same length and first bytes: their views are equal, their values are not.
    #[test]
    fn joined_strings_tell_equal_views_of_other_frames_apart() {
        let one = |v: &str| vec![Some(v.to_string())];
        let mut values = vec![
            one("xlsx/p001/2024-08.xlsx!Sheet1!C5"),
            one("xlsx/p001/2024-08.xlsx!Sheet1!C6"),
        ];
        values.extend((0..MANY_PARTS).map(|i| one(&format!("园区{i}"))));
        let parts = many_frames(&values);
        let joined = concat(&parts).unwrap();
        let s = joined.column("s").unwrap().str().unwrap();
        assert_eq!(s.get(0), Some("xlsx/p001/2024-08.xlsx!Sheet1!C5"));
        assert_eq!(s.get(1), Some("xlsx/p001/2024-08.xlsx!Sheet1!C6"));
        assert!(joined.equals_missing(&stack(parts).unwrap()));
    }

    proptest! {
        /// Many inputs' frames join to what stacking them gives, in one chunk whose
        /// strings sit in one buffer of their own, and read back from Parquet the same.
        #[test]
        fn many_frames_join_with_their_strings_copied(
            values in proptest::collection::vec(strings(), MANY_PARTS + 1..MANY_PARTS + 12)
        ) {
            let parts = many_frames(&values);
            let joined = concat(&parts).unwrap();
            prop_assert!(joined.equals_missing(&stack(parts.clone()).unwrap()));
            prop_assert!(joined.columns().iter().all(|c| c.n_chunks() == 1));
            let s = joined.column("s").unwrap().str().unwrap();
            let arr = s.downcast_iter().next().unwrap();
            prop_assert!(arr.data_buffers().len() <= 1);
            let total: usize = values.iter().flatten().flatten().map(String::len).sum();
            prop_assert_eq!(arr.total_bytes_len(), total);
            drop(parts);
            let mut df = joined.clone();
            let mut file = Vec::new();
            polars::prelude::ParquetWriter::new(&mut file).finish(&mut df).unwrap();
            use polars::prelude::SerReader;
            let read = polars::prelude::ParquetReader::new(std::io::Cursor::new(file))
                .finish()
                .unwrap();
            prop_assert!(read.equals_missing(&joined));
        }

        #[test]
        fn a_shared_bytes_column_holds_what_it_was_given(values in strings()) {
            let col = str_column("s", values.iter().map(|v| v.as_deref()));
            let plain: Column = Series::new("s".into(), values.clone()).into();
            let (got, want) = (col.as_materialized_series(), plain.as_materialized_series());
            prop_assert!(got.equals_missing(want));
            let back: Vec<Option<String>> =
                col.str().unwrap().iter().map(|v| v.map(str::to_string)).collect();
            prop_assert_eq!(&back, &values);
            prop_assert_eq!(col.null_count(), values.iter().filter(|v| v.is_none()).count());
            // A sort and a Parquet round trip read it as written.
            let sorted = col.as_materialized_series().sort(Default::default()).unwrap();
            let plain_sorted = plain.as_materialized_series().sort(Default::default()).unwrap();
            prop_assert!(sorted.equals_missing(&plain_sorted));
            let mut df = DataFrame::new(values.len(), vec![col]).unwrap();
            let mut file = Vec::new();
            polars::prelude::ParquetWriter::new(&mut file).finish(&mut df).unwrap();
            use polars::prelude::SerReader;
            let read = polars::prelude::ParquetReader::new(std::io::Cursor::new(file))
                .finish()
                .unwrap();
            let read = read.column("s").unwrap().as_materialized_series();
            prop_assert!(read.equals_missing(plain.as_materialized_series()));
        }
    }
}
