//! A rerun's frame in pieces (the cache's frame, the rows of the inputs parsed again)
//! gathered into sorted order without joining the pieces first: polars gathers from
//! the largest piece, and the few rows of the others are written in after.
//!
//! Joining each column before gathering it wrote the whole frame twice; on the medium
//! bench the gather from the cache's piece alone took 17–21 ms against 24–27 for the
//! join and the gather. Gathering from every piece by hand was slower than either
//! (35–47 ms): polars' gather is the fast part to keep.

use polars::prelude::{
    BooleanChunked, ChunkedArray, Column, DataFrame, DataType, Float64Type, IdxCa, IdxSize,
    Int32Type, Int64Type, IntoColumn, IntoSeries, PolarsNumericType, PolarsResult, Series,
    StringChunked, UInt8Type,
};
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8ViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_buffer::Buffer;
use rayon::prelude::*;

/// At most this share of the rows may come from pieces other than the largest.
const FEW: usize = 16;

/// Rows `at..at + len` of a frame are rows `from..from + len` of another it was
/// stacked from (a rerun's cached inputs, slices of the cache's frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub at: usize,
    pub from: usize,
    pub len: usize,
}

/// The frame most of a frame's rows were sliced from, and where each slice lies in it
/// (spans in the order of `at`). A changed input in the middle of a rerun leaves the
/// cache's rows in two slices of about half each, neither of them most of the rows:
/// gathered from the cache's frame itself, they are one piece again.
pub struct Base<'a> {
    pub frame: &'a DataFrame,
    pub spans: &'a [Span],
}

fn lens(c: &Column) -> Vec<usize> {
    c.as_materialized_series()
        .chunks()
        .iter()
        .map(|a| a.len())
        .collect()
}

/// The rows `rows` (indices into the whole frame) of `df`, one chunk per column: what
/// `df.take` gives from the frame joined. Polars gathers from one chunk, the largest of
/// `base`'s frame (when given) or of `df`; None when more than a sixteenth of the rows
/// are elsewhere.
pub fn take(
    df: &DataFrame,
    rows: &[IdxSize],
    base: Option<&Base>,
) -> PolarsResult<Option<DataFrame>> {
    if df.width() == 0 {
        return Ok(None);
    }
    // The source's layout (a column of its own, such as the modification times the
    // gather adds in one chunk, is gathered whole).
    let source = base.map_or(df, |b| b.frame);
    let Some(source_first) = source.columns().first() else {
        return Ok(None);
    };
    let layout = lens(source_first);
    let Some((main, &len)) = layout.iter().enumerate().max_by_key(|(_, l)| **l) else {
        return Ok(None);
    };
    let start: usize = layout[..main].iter().sum();
    let n = rows.len();
    if len == 0 || n - n.min(len) > n / FEW {
        return Ok(None);
    }
    // A row's place in the source's frame.
    let in_source = |r: usize| -> Option<usize> {
        let Some(b) = base else {
            return Some(r);
        };
        let s = b.spans[..b.spans.partition_point(|s| s.at <= r)].last()?;
        (r < s.at + s.len).then(|| s.from + (r - s.at))
    };
    // Each row's place in the source's largest chunk; a row found elsewhere takes its
    // first row's place there, and is written in after.
    let mut local = Vec::with_capacity(n);
    let mut at: Vec<usize> = Vec::new();
    let mut others: Vec<IdxSize> = Vec::new();
    for (i, &r) in rows.iter().enumerate() {
        match in_source(r as usize)
            .and_then(|s| s.checked_sub(start))
            .filter(|l| *l < len)
        {
            Some(l) => local.push(l as IdxSize),
            None => {
                local.push(0);
                at.push(i);
                others.push(r);
            }
        }
    }
    if at.len() > n / FEW {
        return Ok(None);
    }
    let local = IdxCa::from_vec("row".into(), local);
    // For a column gathered whole (joined, then gathered).
    let all = IdxCa::from_vec("row".into(), rows.to_vec());
    let others = IdxCa::from_vec("row".into(), others);
    let columns = df
        .columns()
        .par_iter()
        .map(|c| {
            let s = c.as_materialized_series();
            let from = match base {
                None => Some(c),
                Some(b) => b.frame.column(c.name()).ok(),
            };
            let Some(from) = from.filter(|f| f.dtype() == c.dtype() && lens(f) == layout) else {
                return Ok(s.rechunk().take(&all)?.into_column());
            };
            let taken = from
                .as_materialized_series()
                .slice(start as i64, len)
                .take(&local)?;
            if at.is_empty() {
                return Ok(taken.into_column());
            }
            let few = s.take(&others)?.rechunk();
            match patched(taken, &few, &at)? {
                Some(s) => Ok(s.into_column()),
                // Buffers shared or a type not handled here: joined, then gathered.
                None => Ok(s.rechunk().take(&all)?.into_column()),
            }
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(Some(DataFrame::new(n, columns)?))
}

/// `taken` with row `at[i]` replaced by row `i` of `few` (one chunk each), in place.
fn patched(taken: Series, few: &Series, at: &[usize]) -> PolarsResult<Option<Series>> {
    let name = taken.name().clone();
    Ok(match taken.dtype() {
        DataType::String => {
            let ca = taken.str()?.clone();
            drop(taken);
            strings(ca, few.str()?, at).map(|ca| ca.with_name(name).into_series())
        }
        DataType::Float64 => numbers::<Float64Type>(taken, few, at)?,
        DataType::Int32 => numbers::<Int32Type>(taken, few, at)?,
        DataType::Int64 => numbers::<Int64Type>(taken, few, at)?,
        DataType::UInt8 => numbers::<UInt8Type>(taken, few, at)?,
        DataType::Boolean => {
            let ca = taken.bool()?.clone();
            drop(taken);
            Some(flags(&ca, few.bool()?, at).with_name(name).into_series())
        }
        _ => None,
    })
}

/// A validity with row `at[i]` set from row `i` of `few`'s; none when all are valid.
fn validity_patched(
    taken: Option<Bitmap>,
    few: Option<&Bitmap>,
    len: usize,
    at: &[usize],
) -> Option<Bitmap> {
    let few_valid = |i: usize| few.is_none_or(|v| v.get_bit(i));
    if taken.as_ref().is_none_or(|v| v.unset_bits() == 0) && (0..at.len()).all(few_valid) {
        return None;
    }
    let mut bits = match taken {
        Some(v) => v.make_mut(),
        None => {
            let mut m = MutableBitmap::with_capacity(len);
            m.extend_constant(len, true);
            m
        }
    };
    for (i, &pos) in at.iter().enumerate() {
        bits.set(pos, few_valid(i));
    }
    Some(bits.into())
}

fn numbers<T: PolarsNumericType>(
    taken: Series,
    few: &Series,
    at: &[usize],
) -> PolarsResult<Option<Series>> {
    let name = taken.name().clone();
    let ca: ChunkedArray<T> = taken.unpack::<T>()?.clone();
    drop(taken);
    let few = few.unpack::<T>()?;
    let (Some(arr), Some(f)) = (ca.downcast_into_iter().next(), few.downcast_iter().next()) else {
        return Ok(None);
    };
    let len = arr.len();
    let (dtype, values, validity) = arr.into_inner();
    let Some(mut values) = values.into_mut().right() else {
        return Ok(None);
    };
    for (i, &pos) in at.iter().enumerate() {
        values[pos] = f.values()[i];
    }
    let validity = validity_patched(validity, f.validity(), len, at);
    let arr = PrimitiveArray::<T::Native>::new(dtype, values.into(), validity);
    Ok(Some(ChunkedArray::<T>::with_chunk(name, arr).into_series()))
}

fn flags(taken: &BooleanChunked, few: &BooleanChunked, at: &[usize]) -> BooleanChunked {
    let name = taken.name().clone();
    let (Some(t), Some(f)) = (taken.downcast_iter().next(), few.downcast_iter().next()) else {
        return taken.clone();
    };
    let mut values = t.values().clone().make_mut();
    for (i, &pos) in at.iter().enumerate() {
        values.set(pos, f.values().get_bit(i));
    }
    let validity = validity_patched(t.validity().cloned(), f.validity(), t.len(), at);
    let arr = BooleanArray::new(
        polars_arrow::datatypes::ArrowDataType::Boolean,
        values.into(),
        validity,
    );
    BooleanChunked::with_chunk(name, arr)
}

fn strings(taken: StringChunked, few: &StringChunked, at: &[usize]) -> Option<StringChunked> {
    let name = taken.name().clone();
    let arr: Utf8ViewArray = taken.downcast_into_iter().next()?;
    let f: &Utf8ViewArray = few.downcast_iter().next()?;
    let len = arr.len();
    let (views, buffers, validity, _, _) = arr.into_inner();
    let mut views = views.into_mut().right()?;
    // `few`'s buffers after `taken`'s: its long values' views name them moved along.
    let moved = buffers.len() as u32;
    let mut all: Vec<Buffer<u8>> = buffers.iter().cloned().collect();
    all.extend(f.data_buffers().iter().cloned());
    for (i, &pos) in at.iter().enumerate() {
        let mut v = f.views()[i];
        if !f.is_valid(i) {
            v = View::default();
        } else if v.length > View::MAX_INLINE_SIZE {
            v.buffer_idx += moved;
        }
        views[pos] = v;
    }
    let validity = validity_patched(validity, f.validity(), len, at);
    // SAFETY: each view is one of `taken`'s, naming its buffers as before, or one of
    // `few`'s, naming the same buffer (the same bytes) at its place after `taken`'s;
    // a null row written in has the empty inline view; the validity has a bit per view.
    let arr = unsafe {
        Utf8ViewArray::new_unchecked_unknown_md(
            polars_arrow::datatypes::ArrowDataType::Utf8View,
            views.into(),
            all.into(),
            validity,
            None,
        )
    };
    Some(StringChunked::with_chunk(name, arr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;
    use proptest::prelude::*;

    type Row = (
        Option<String>,
        Option<f64>,
        Option<i32>,
        u8,
        Option<bool>,
        i64,
    );

    fn frame(rows: &[Row]) -> DataFrame {
        df!(
            "s" => rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            "f" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "i" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "u" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "b" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "t" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            proptest::option::of("[a-z]{0,20}"),
            proptest::option::of(-1e6f64..1e6),
            proptest::option::of(any::<i32>()),
            any::<u8>(),
            proptest::option::of(any::<bool>()),
            any::<i64>(),
        )
    }

    proptest! {
        /// Two slices of one large frame (one of them a few rows) around a few rows of
        /// another, gathered in any order, give the rows polars' gather gives from the
        /// frames joined.
        #[test]
        fn pieces_gather_as_the_joined_frame_does(
            a in proptest::collection::vec(row(), 40..120),
            b in proptest::collection::vec(row(), 0..3),
            cut in 0usize..4,
            at_end: bool,
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..200),
        ) {
            let old = frame(&a);
            // The parsed rows near an end of the cache's, as a rerun's stale rows are.
            let cut = if at_end { a.len() - cut } else { cut };
            let mut pieces = old.slice(0, cut);
            pieces.vstack_mut(&frame(&b)).unwrap();
            pieces.vstack_mut(&old.slice(cut as i64, a.len() - cut)).unwrap();
            let height = pieces.height();
            let rows: Vec<IdxSize> = picks.iter().map(|p| p.index(height) as IdxSize).collect();
            let want = crate::model::one_chunk(&pieces)
                .take(&IdxCa::from_vec("r".into(), rows.clone()))
                .unwrap();
            if let Some(got) = take(&pieces, &rows, None).unwrap() {
                prop_assert!(got.equals_missing(&want), "{got}\n{want}");
                prop_assert_eq!(got.schema(), want.schema());
                for c in got.columns() {
                    prop_assert_eq!(c.n_chunks(), 1);
                }
            }
        }
    }

    /// The cache's frame, a stale input's rows cut out of its middle and the parsed rows
    /// put in their place: gathered from the cache's frame by the spans.
    fn around_a_changed_input(
        cached: &[Row],
        parsed: &[Row],
        cut: usize,
        stale: usize,
    ) -> (DataFrame, DataFrame, Vec<Span>) {
        let old = frame(cached);
        let rest = cut + stale;
        let mut df = old.slice(0, cut);
        df.vstack_mut(&frame(parsed)).unwrap();
        df.vstack_mut(&old.slice(rest as i64, cached.len() - rest))
            .unwrap();
        let spans = vec![
            Span {
                at: 0,
                from: 0,
                len: cut,
            },
            Span {
                at: cut + parsed.len(),
                from: rest,
                len: cached.len() - rest,
            },
        ];
        (old, df, spans)
    }

    proptest! {
        /// A changed input anywhere among the cached ones: the rows gathered through
        /// the cache's frame are those polars' gather gives from the frame joined.
        #[test]
        fn pieces_gather_through_the_base_as_the_joined_frame_does(
            a in proptest::collection::vec(row(), 40..120),
            b in proptest::collection::vec(row(), 0..3),
            cut in any::<prop::sample::Index>(),
            stale in 0usize..4,
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..200),
        ) {
            let cut = cut.index(a.len() - 3);
            let (old, df, spans) = around_a_changed_input(&a, &b, cut, stale);
            let rows: Vec<IdxSize> =
                picks.iter().map(|p| p.index(df.height()) as IdxSize).collect();
            let want = crate::model::one_chunk(&df)
                .take(&IdxCa::from_vec("r".into(), rows.clone()))
                .unwrap();
            let base = Base { frame: &old, spans: &spans };
            if let Some(got) = take(&df, &rows, Some(&base)).unwrap() {
                prop_assert!(got.equals_missing(&want), "{got}\n{want}");
                prop_assert_eq!(got.schema(), want.schema());
                for c in got.columns() {
                    prop_assert_eq!(c.n_chunks(), 1);
                }
            }
        }
    }

    /// Rows parsed again in the middle of the cache's: without the base no piece holds
    /// most rows; with it the gather is one piece and the parsed rows written in.
    #[test]
    fn a_changed_input_in_the_middle_is_gathered_through_the_base() {
        let row = |i: i32| -> Row {
            (
                Some(format!("a long value number {i}")),
                Some(f64::from(i)),
                Some(i),
                i as u8,
                Some(i % 3 == 0),
                i64::from(i),
            )
        };
        let cached: Vec<Row> = (0..100).map(row).collect();
        let parsed = vec![row(-1), (None, None, None, 7, None, -2)];
        let (old, df, spans) = around_a_changed_input(&cached, &parsed, 48, 3);
        let rows: Vec<IdxSize> = (0..df.height() as IdxSize).rev().collect();
        assert!(take(&df, &rows, None).unwrap().is_none(), "two halves");
        let base = Base {
            frame: &old,
            spans: &spans,
        };
        let got = take(&df, &rows, Some(&base)).unwrap().expect("one piece");
        let want = crate::model::one_chunk(&df)
            .take(&IdxCa::from_vec("r".into(), rows))
            .unwrap();
        assert!(got.equals_missing(&want), "{got}\n{want}");
        let s = got.column("s").unwrap().str().unwrap();
        assert_eq!(s.get(df.height() - 49), Some("a long value number -1"));
        assert_eq!(s.get(df.height() - 50), None);
    }

    /// The rows of a small piece, long strings and nulls among them, are written in.
    #[test]
    fn rows_of_the_small_piece_are_written_in() {
        let big: Vec<Row> = (0..64)
            .map(|i| {
                (
                    Some(format!("a long value number {i}")),
                    Some(i as f64),
                    Some(i),
                    i as u8,
                    Some(i % 2 == 0),
                    i as i64,
                )
            })
            .collect();
        let small: Vec<Row> = vec![
            (
                Some("another long value, parsed again".into()),
                None,
                None,
                200,
                None,
                -1,
            ),
            (None, Some(0.5), Some(-7), 201, Some(true), -2),
        ];
        let mut pieces = frame(&big);
        pieces.vstack_mut(&frame(&small)).unwrap();
        let mut rows: Vec<IdxSize> = vec![65, 3, 64, 0, 63, 65];
        rows.extend((4..60).rev());
        let got = take(&pieces, &rows, None)
            .unwrap()
            .expect("three rows of 62 are few");
        let want = crate::model::one_chunk(&pieces)
            .take(&IdxCa::from_vec("r".into(), rows))
            .unwrap();
        assert!(got.equals_missing(&want), "{got}\n{want}");
        let s = got.column("s").unwrap().str().unwrap();
        assert_eq!(s.get(2), Some("another long value, parsed again"));
        assert_eq!(s.get(0), None);
    }
}
