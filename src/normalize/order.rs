//! The order of the observations: fact key, then place. Each row's key columns are
//! packed into one integer (each string replaced by the rank of its value among the
//! column's distinct values), so the sort compares integers; only rows whose packed
//! keys tie compare their locators and ids. polars' sort by the eleven columns compared
//! them column by column, one pair of rows at a time: on the medium bench's 229,000
//! rows the normalize stage (sort and gather of the rows) took 128 ms on one thread,
//! against 70 with packed keys.

use std::cmp::Ordering;

use polars::prelude::{DataFrame, IdxSize, PlHashMap, PolarsResult};
use polars_arrow::array::{Array, PrimitiveArray, Utf8ViewArray};
use polars_arrow::types::NativeType;
use rayon::prelude::*;

use crate::model::{PeriodKind, Scope};

/// A string column's rows as codes: 0 for null, else 1 + the index of the value among
/// `values`, the distinct values in the order first met.
struct Coded<'a> {
    codes: Vec<u32>,
    values: Vec<&'a str>,
}

impl<'a> Coded<'a> {
    fn of(arrs: &[&'a Utf8ViewArray]) -> Coded<'a> {
        let mut codes = Vec::with_capacity(arrs.iter().map(|a| a.len()).sum());
        let mut values: Vec<&'a str> = Vec::new();
        let mut seen: PlHashMap<&'a str, u32> = PlHashMap::default();
        for arr in arrs {
            let nulls = arr.null_count() > 0;
            // Rows of one input repeat their neighbour's value: equal views of one
            // array are equal values, so a run costs one comparison per row, not a
            // lookup. (`model::by_runs` compares the strings: the rerun's sort took
            // 6 ms longer.) Views of another array name other buffers: a new run.
            let mut last: Option<(u128, u32)> = None;
            for (i, view) in arr.views().iter().enumerate() {
                if nulls && !arr.is_valid(i) {
                    codes.push(0);
                    continue;
                }
                if let Some((v, code)) = last {
                    if v == view.as_u128() {
                        codes.push(code);
                        continue;
                    }
                }
                let s = arr.value(i);
                let code = *seen.entry(s).or_insert_with(|| {
                    values.push(s);
                    values.len() as u32
                });
                codes.push(code);
                last = Some((view.as_u128(), code));
            }
        }
        Coded { codes, values }
    }

    /// Codes renumbered in the order of `keys` (one per distinct value), equal keys to
    /// equal numbers. A null is first, unless `null` gives it a key of its own.
    fn ranked<K: Ord>(mut self, keys: Vec<K>, null: Option<K>) -> Field {
        // Code 0 (null) and each distinct value, by (has a key, key).
        let mut keyed: Vec<(Option<&K>, u32)> = std::iter::once((null.as_ref(), 0))
            .chain(keys.iter().zip(1..).map(|(k, c)| (Some(k), c)))
            .collect();
        keyed.sort_unstable();
        let mut rank = vec![0u32; keyed.len()];
        let mut r = 0u32;
        for (n, &(k, code)) in keyed.iter().enumerate() {
            if n > 0 && keyed[n - 1].0 != k {
                r += 1;
            }
            rank[code as usize] = r;
        }
        for c in &mut self.codes {
            *c = rank[*c as usize];
        }
        Field {
            values: self.codes,
            max: u64::from(r),
        }
    }
}

/// One key column as non-negative integers in sort order, and the largest of them.
struct Field {
    values: Vec<u32>,
    max: u64,
}

impl Field {
    fn strings(df: &DataFrame, name: &str) -> PolarsResult<Field> {
        let coded = Coded::of(&str_arrays(df, name)?);
        let keys = coded.values.clone();
        Ok(coded.ranked(keys, None))
    }

    /// A column of enum names in the enum's order (`park` before `city`), each row
    /// where its `ord` puts it; an unknown name is an error, as it is everywhere else.
    fn ordinals(
        df: &DataFrame,
        name: &str,
        ord: impl Fn(Option<&str>) -> PolarsResult<u8>,
    ) -> PolarsResult<Field> {
        let arrs = str_arrays(df, name)?;
        let coded = Coded::of(&arrs);
        let keys = coded
            .values
            .iter()
            .map(|v| ord(Some(v)))
            .collect::<PolarsResult<Vec<u8>>>()?;
        let null = if arrs.iter().any(|a| a.null_count() > 0) {
            Some(ord(None)?)
        } else {
            None
        };
        Ok(coded.ranked(keys, null))
    }

    /// A numeric column: null first, then the values from the smallest; none when
    /// its values span more than a `u32` counts.
    fn numbers<T: NativeType + Into<i64>>(arrs: &[&PrimitiveArray<T>]) -> Option<Field> {
        let rows = || {
            arrs.iter().flat_map(|a| {
                let nulls = a.null_count() > 0;
                (0..a.len()).map(move |i| (!nulls || a.is_valid(i)).then(|| a.value(i).into()))
            })
        };
        let min = rows().flatten().min().unwrap_or(0);
        let max = u64::try_from(rows().flatten().max().unwrap_or(0) - min + 1).ok()?;
        if max > u64::from(u32::MAX) {
            return None;
        }
        let values = rows()
            .map(|v| v.map_or(0, |v: i64| (v - min + 1) as u32))
            .collect();
        Some(Field { values, max })
    }

    fn bits(&self) -> u32 {
        64 - self.max.leading_zeros()
    }
}

fn str_arrays<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<Vec<&'a Utf8ViewArray>> {
    Ok(df.column(name)?.str()?.downcast_iter().collect())
}

fn num_arrays<'a, T: polars::prelude::PolarsNumericType>(
    df: &'a DataFrame,
    name: &str,
) -> PolarsResult<Vec<&'a PrimitiveArray<T::Native>>> {
    let ca = df.column(name)?.as_materialized_series().unpack::<T>()?;
    Ok(ca.downcast_iter().collect())
}

/// The rows of `df` (in one chunk per column or several) in the order of `normalize::frame::sort`:
/// entity, scope, indicator, year, period kind, months, qualifier, source path, locator,
/// obs_id, each with nulls first, strings by their bytes, and rows equal in all of them
/// in their order in `df`. None when the packed key would not fit 128 bits (a year or
/// month column spanning more than a `u32`, or millions of distinct names).
pub fn sorted_rows(df: &DataFrame) -> PolarsResult<Option<Vec<IdxSize>>> {
    use polars::prelude::{Int32Type, UInt8Type};
    if df.height() == 0 {
        return Ok(Some(Vec::new()));
    }
    let (Some(year), Some(month_from), Some(month_to)) = (
        Field::numbers(&num_arrays::<Int32Type>(df, "year")?),
        Field::numbers(&num_arrays::<UInt8Type>(df, "month_from")?),
        Field::numbers(&num_arrays::<UInt8Type>(df, "month_to")?),
    ) else {
        return Ok(None);
    };
    let fields = [
        Field::strings(df, "entity_id")?,
        Field::ordinals(df, "scope", |v| Scope::parse(v).map(|s| s as u8))?,
        Field::strings(df, "indicator")?,
        year,
        Field::ordinals(df, "period_kind", |v| PeriodKind::parse(v).map(|p| p as u8))?,
        month_from,
        month_to,
        Field::strings(df, "qualifier")?,
        Field::strings(df, "source_path")?,
    ];
    let widths = fields.each_ref().map(Field::bits);
    if widths.iter().sum::<u32>() > 128 {
        return Ok(None);
    }
    let key = |i: usize| {
        fields
            .iter()
            .zip(widths)
            .fold(0u128, |k, (f, w)| (k << w) | u128::from(f.values[i]))
    };
    let n = df.height();
    let row_bits = 64 - (n as u64).leading_zeros();
    let key_bits: u32 = widths.iter().sum();
    // Sorted rows, and for each run of rows with one key, where it starts and ends.
    let (mut rows, runs): (Vec<IdxSize>, Vec<(usize, usize)>) = if key_bits + row_bits <= 64 {
        // Key and row in one u64 (the medium bench's keys take ~40 bits): a quarter of
        // the memory of (u128, row) pairs to sort, and the row breaks ties as before.
        let mut keys: Vec<u64> = (0..n)
            .into_par_iter()
            .map(|i| ((key(i) as u64) << row_bits) | i as u64)
            .collect();
        drop(fields);
        keys.par_sort_unstable();
        let mask = (1u64 << row_bits) - 1;
        let rows = keys.iter().map(|k| (k & mask) as IdxSize).collect();
        (rows, equal_runs(&keys, |k| k >> row_bits))
    } else {
        let mut keys: Vec<(u128, IdxSize)> = (0..n)
            .into_par_iter()
            .map(|i| (key(i), i as IdxSize))
            .collect();
        drop(fields);
        keys.par_sort_unstable();
        let rows = keys.iter().map(|k| k.1).collect();
        (rows, equal_runs(&keys, |k| k.0))
    };
    // Rows of one key from one file (a figure stated twice) are ordered by place.
    let locator = df.column("locator")?.str()?;
    let obs_id = df.column("obs_id")?.str()?;
    let place = |a: &IdxSize, b: &IdxSize| -> Ordering {
        let (a, b) = (*a as usize, *b as usize);
        locator
            .get(a)
            .cmp(&locator.get(b))
            .then_with(|| obs_id.get(a).cmp(&obs_id.get(b)))
            .then(a.cmp(&b))
    };
    for (start, end) in runs {
        rows[start..end].sort_by(place);
    }
    Ok(Some(rows))
}

/// The runs (start, end) of two or more neighbours with one key in sorted `keys`.
fn equal_runs<T, K: PartialEq>(keys: &[T], key: impl Fn(&T) -> K) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < keys.len() {
        let k = key(&keys[start]);
        let mut end = start + 1;
        while end < keys.len() && key(&keys[end]) == k {
            end += 1;
        }
        if end - start > 1 {
            runs.push((start, end));
        }
        start = end;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, NamedFrom, Series};
    use proptest::prelude::*;

    /// One observation's key and place; `value` tells rows of equal keys apart.
    type Row = (
        Option<String>,
        &'static str,
        String,
        Option<i32>,
        &'static str,
        Option<u8>,
        Option<u8>,
        Option<String>,
        String,
        String,
        String,
        f64,
    );

    fn frame(rows: &[Row]) -> DataFrame {
        let s = |name: &str, f: &dyn Fn(&Row) -> Option<String>| {
            Column::from(Series::new(
                name.into(),
                rows.iter().map(f).collect::<Vec<_>>(),
            ))
        };
        DataFrame::new(
            rows.len(),
            vec![
                s("entity_id", &|r| r.0.clone()),
                s("scope", &|r| Some(r.1.to_string())),
                s("indicator", &|r| Some(r.2.clone())),
                Column::from(Series::new(
                    "year".into(),
                    rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                )),
                s("period_kind", &|r| Some(r.4.to_string())),
                Column::from(Series::new(
                    "month_from".into(),
                    rows.iter().map(|r| r.5).collect::<Vec<_>>(),
                )),
                Column::from(Series::new(
                    "month_to".into(),
                    rows.iter().map(|r| r.6).collect::<Vec<_>>(),
                )),
                s("qualifier", &|r| r.7.clone()),
                s("source_path", &|r| Some(r.8.clone())),
                s("locator", &|r| Some(r.9.clone())),
                s("obs_id", &|r| Some(r.10.clone())),
                Column::from(Series::new(
                    "value".into(),
                    rows.iter().map(|r| r.11).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap()
    }

    /// A park's 1–8月 revenue stated at line 1 of one file.
    fn one_row() -> Row {
        (
            Some("p1".into()),
            "park",
            "revenue".into(),
            Some(2024),
            "ytd",
            Some(1),
            Some(8),
            None,
            "a.txt".into(),
            "L1".into(),
            "a".into(),
            0.0,
        )
    }

    fn packed(df: &DataFrame) -> DataFrame {
        let rows = sorted_rows(df).unwrap().expect("keys this narrow pack");
        crate::model::take_rows(df, rows).unwrap()
    }

    /// Few distinct values per column, so keys tie often and only the later columns
    /// (or nothing at all) tell rows apart; long and multi-byte strings, as file
    /// paths and park names are.
    fn text(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(choices).prop_map(str::to_string)
    }

    fn row() -> impl Strategy<Value = Row> {
        let names = &[
            "p1",
            "p2",
            "临港园区",
            "江州高新技术产业开发区管委会",
            "P1",
            "",
        ];
        let inds = &["revenue", "电量", "工业总产值", "ab", "a"];
        let paths = &[
            "xlsx/2024-08/0001_吉林湖西高新区_2024年8月.xlsx",
            "xlsx/2024-08/0001_吉林湖西高新区_2024年8月.xlsx ",
            "reports/a.txt",
        ];
        let places = &["L2:C5", "L10:C5", "Sheet1!B2", "Sheet1!B10"];
        let ids = &["0a1b2c3d4e5f6a7b8c9d", "ff", "0a"];
        (
            (
                proptest::option::weighted(0.9, text(names)),
                proptest::sample::select(&["park", "city", "county", "province", "other"][..]),
                text(inds),
                proptest::option::weighted(0.9, 2019i32..2026),
                proptest::sample::select(
                    &["month", "ytd", "quarter", "half_year", "year", "as_of"][..],
                ),
                proptest::option::weighted(0.7, 1u8..13),
            ),
            (
                proptest::option::weighted(0.7, 1u8..13),
                proptest::option::weighted(0.2, text(&["规上", "外资", "x"])),
                text(paths),
                text(places),
                text(ids),
                0u8..4,
            ),
        )
            .prop_map(|((e, s, i, y, k, mf), (mt, q, p, l, o, v))| {
                (e, s, i, y, k, mf, mt, q, p, l, o, f64::from(v))
            })
    }

    proptest! {
        /// Packed keys give the order polars' sort by the columns gives, ties kept in
        /// the frame's order.
        #[test]
        fn packed_keys_sort_as_the_columns_do(
            rows in proptest::collection::vec(row(), 0..300)
        ) {
            let df = frame(&rows);
            let ours = packed(&df);
            let theirs = crate::normalize::frame::sort_by_columns(&df).unwrap();
            prop_assert!(ours.equals_missing(&theirs), "{ours}\n{theirs}");
        }
    }

    proptest! {
        /// Keys too wide to share a u64 with their row (years 2^31 apart take 32 bits,
        /// months up to 255 nine each) sort in (u128, row) pairs, as the columns do.
        #[test]
        fn keys_wider_than_a_word_sort_as_the_columns_do(
            rows in proptest::collection::vec(
                (row(), proptest::sample::select(&[-1_000_000_000i32, 0, 2024, 1_100_000_000][..]),
                 proptest::sample::select(&[1u8, 12, 255][..])),
                2..300,
            )
        ) {
            let mut rows: Vec<Row> = rows
                .into_iter()
                .map(|(mut r, y, m)| {
                    r.3 = r.3.map(|_| y);
                    r.6 = r.6.map(|_| m);
                    r
                })
                .collect();
            // Both ends of the years and of the months, so each takes its full width.
            rows[0].3 = Some(-1_000_000_000);
            rows[1].3 = Some(1_100_000_000);
            rows[0].5 = Some(1);
            rows[1].5 = Some(255);
            rows[0].6 = Some(1);
            rows[1].6 = Some(255);
            let df = frame(&rows);
            let ours = packed(&df);
            let theirs = crate::normalize::frame::sort_by_columns(&df).unwrap();
            prop_assert!(ours.equals_missing(&theirs), "{ours}\n{theirs}");
        }
    }

    proptest! {
        /// A frame in pieces, as a rerun gathers it (two slices of the cache's frame,
        /// which share its buffers, around the rows of an input parsed again), sorts
        /// to the rows the joined frame sorts to, in one chunk per column.
        #[test]
        fn a_frame_in_pieces_sorts_as_the_joined_frame_does(
            cached in proptest::collection::vec(row(), 1..200),
            parsed in proptest::collection::vec(row(), 1..20),
            cut in any::<proptest::sample::Index>(),
        ) {
            let big = frame(&cached);
            let cut = cut.index(cached.len() + 1);
            let pieces = [
                big.slice(0, cut),
                frame(&parsed),
                big.slice(cut as i64, cached.len() - cut),
            ];
            let stacked = crate::model::stack(pieces.iter().cloned()).unwrap();
            prop_assert!(stacked.columns().iter().any(|c| c.n_chunks() > 1));
            let ours = crate::normalize::frame::sort(&stacked).unwrap();
            let joined = crate::model::concat(&pieces).unwrap();
            let theirs = crate::normalize::frame::sort_by_columns(&joined).unwrap();
            prop_assert!(ours.equals_missing(&theirs), "{ours}\n{theirs}");
            prop_assert!(ours.columns().iter().all(|c| c.n_chunks() == 1));
        }
    }

    /// Rows equal in every key column keep their order; rows of one key and file are
    /// ordered by locator, then obs_id.
    #[test]
    fn rows_of_one_key_are_ordered_by_place_then_kept_in_order() {
        let r = |loc: &str, id: &str, v: f64| -> Row {
            let mut row = one_row();
            (row.9, row.10, row.11) = (loc.into(), id.into(), v);
            row
        };
        let df = frame(&[
            r("L9", "b", 0.0),
            r("L10", "b", 1.0),
            r("L9", "a", 2.0),
            r("L9", "b", 3.0),
        ]);
        let v: Vec<f64> = packed(&df)
            .column("value")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(v, [1.0, 2.0, 0.0, 3.0]);
    }

    /// A scope or period kind no table writes is an error, as parsing it is elsewhere.
    #[test]
    fn an_unknown_scope_is_an_error() {
        let mut rows = vec![one_row()];
        rows[0].1 = "galaxy";
        assert!(sorted_rows(&frame(&rows)).is_err());
    }

    /// Keys wider than 128 bits are not packed; `frame::sort` then sorts by the columns.
    #[test]
    fn keys_too_wide_are_left_to_the_columns() {
        // Four name columns of 2^18+ distinct values (19 bits each), years spanning 32
        // bits, months 9 bits each, five scopes and six period kinds: 132 bits.
        let n = (1usize << 18) + 100;
        let names = |p: &str| {
            Column::from(Series::new(
                p.into(),
                (0..n).map(|i| format!("{p}{}", n - i)).collect::<Vec<_>>(),
            ))
        };
        let cycle = |name: &str, values: &[&str]| {
            Column::from(Series::new(
                name.into(),
                (0..n).map(|i| values[i % values.len()]).collect::<Vec<_>>(),
            ))
        };
        let months = |name: &str| {
            Column::from(Series::new(
                name.into(),
                (0..n).map(|i| Some((i % 256) as u8)).collect::<Vec<_>>(),
            ))
        };
        let df = DataFrame::new(
            n,
            vec![
                names("entity_id"),
                cycle("scope", &["park", "city", "county", "province", "other"]),
                names("indicator"),
                Column::from(Series::new(
                    "year".into(),
                    (0..n)
                        .map(|i| if i % 2 == 0 { i32::MIN } else { i32::MAX - 1 })
                        .collect::<Vec<_>>(),
                )),
                cycle(
                    "period_kind",
                    &["month", "ytd", "quarter", "half_year", "year", "as_of"],
                ),
                months("month_from"),
                months("month_to"),
                names("qualifier"),
                names("source_path"),
                Column::from(Series::new("locator".into(), vec!["L1"; n])),
                Column::from(Series::new("obs_id".into(), vec!["a"; n])),
            ],
        )
        .unwrap();
        assert!(sorted_rows(&df).unwrap().is_none());
        let sorted = crate::normalize::frame::sort(&df).unwrap();
        let ids = sorted.column("entity_id").unwrap().str().unwrap();
        assert_eq!(ids.get(0), Some("entity_id1"));
        assert_eq!(ids.get(1), Some("entity_id10"));
        assert_eq!(sorted.height(), n);
    }

    /// Years spanning more than a `u32` are not packed either.
    #[test]
    fn years_too_far_apart_are_left_to_the_columns() {
        let row = |y: i32| -> Row {
            let mut row = one_row();
            row.3 = Some(y);
            row
        };
        let df = frame(&[row(i32::MAX), row(i32::MIN), row(0)]);
        assert!(sorted_rows(&df).unwrap().is_none());
        let sorted = crate::normalize::frame::sort(&df).unwrap();
        let years: Vec<i32> = sorted
            .column("year")
            .unwrap()
            .i32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(years, [i32::MIN, 0, i32::MAX]);
    }
}
