//! Monthly values of flow indicators: year-to-date, single month (reported or differenced), implied prior year.

use polars::prelude::{
    BooleanChunked, ChunkCompareEq, Column, DataFrame, DataFrameJoinOps, IdxSize, IntoSeries,
    JoinArgs, JoinCoalesce, JoinType, MaintainOrderJoin, NamedFrom, PolarsResult, Series,
    SortMultipleOptions, UniqueKeepStrategy,
};

use crate::config::pipeline::Pipeline;
use crate::derive::series::SeriesIds;
use crate::model::{Monthly, PeriodKind};
use crate::normalize::indicator::IndicatorKind;

/// One month of one series (`sid`: entity, scope, indicator, unit).
const MONTH: [&str; 3] = ["sid", "year", "month"];
/// One year of one series.
const YEAR: [&str; 2] = ["sid", "year"];

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Sorted as `monthly` is published: series, year, month.
fn in_order(df: DataFrame) -> PolarsResult<DataFrame> {
    df.sort(
        MONTH,
        SortMultipleOptions::default().with_maintain_order(true),
    )
}

/// The facts of one role (`month` taken from `month_col`), one per month of a series: of
/// several (a year and a 1-12月 ytd), the last in key order.
fn one_per_month(
    base: &DataFrame,
    mask: &BooleanChunked,
    month_col: &str,
    keep: &[&str],
) -> PolarsResult<DataFrame> {
    let mut df = base.filter(mask)?;
    let month = df.column(month_col)?.clone().with_name("month".into());
    df.with_column(month)?;
    let mut cols: Vec<&str> = MONTH.to_vec();
    cols.extend(keep);
    let df =
        df.select(cols)?
            .unique_stable(Some(&strings(&MONTH)), UniqueKeepStrategy::Last, None)?;
    in_order(df)
}

fn left_join(a: &DataFrame, b: &DataFrame, on: &[&str]) -> PolarsResult<DataFrame> {
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    a.join(b, on, on, args, None)
}

/// Builds `monthly` from the facts frame; only flows (stocks and ratios are never
/// differenced). The months of each series are found with joins and shifts on series
/// ids; each row's month value is then decided from its columns.
pub fn monthly(p: &Pipeline, frame: &DataFrame) -> PolarsResult<DataFrame> {
    let indicators = &p.dictionaries.indicators;
    let flows: std::collections::HashSet<&str> = indicators
        .all()
        .iter()
        .map(|d| d.code.as_str())
        .filter(|c| {
            indicators
                .by_code(c)
                .is_some_and(|d| d.kind == IndicatorKind::Flow)
        })
        .collect();
    let flow = crate::model::is_in(frame.column("indicator")?.str()?, &flows);
    let stated = frame.column("value")?.is_not_null() | frame.column("yoy_pct")?.is_not_null();
    let kind = frame.column("period_kind")?.str()?;
    let from = frame.column("month_from")?.u8()?;
    let to = frame.column("month_to")?.u8()?;
    let cumulative = (kind.equal(PeriodKind::Ytd.as_str()) | kind.equal(PeriodKind::Year.as_str()))
        & from.equal(1)
        & to.is_not_null();
    let single = kind.equal(PeriodKind::Month.as_str()) & from.is_not_null() & to.is_not_null();
    let wanted = &(flow & stated) & &(cumulative.clone() | single.clone());

    // Only numbers from here on: the series id stands for the names.
    let mut base = frame.select(["year", "month_from", "month_to", "value", "yoy_pct"])?;
    let rows: Vec<IdxSize> = (0..frame.height() as IdxSize).collect();
    base.with_column(Series::new("row".into(), rows).into())?;
    base.with_column(Series::new("cumulative".into(), cumulative).into())?;
    base.with_column(Series::new("single".into(), single).into())?;
    let sid = SeriesIds::new(&[frame])?.of(frame, true)?;
    base.with_column(Series::new("sid".into(), sid).into())?;
    let base = base.filter(&wanted)?;
    let ytd = one_per_month(
        &base,
        base.column("cumulative")?.bool()?,
        "month_to",
        &["row", "value", "yoy_pct"],
    )?;
    let months = one_per_month(
        &base,
        base.column("single")?.bool()?,
        "month_from",
        &["row", "value"],
    )?;

    // Each ytd month with the one before it in its year (its value may be missing).
    let mut y = ytd;
    let same_year = crate::model::same_as_previous(&y, &YEAR)?;
    let shifted = |name: &str, to: &str| -> PolarsResult<Column> {
        let c = y.column(name)?.as_materialized_series().shift(1);
        Ok(c.zip_with(
            &same_year,
            &Series::full_null(to.into(), c.len(), c.dtype()),
        )?
        .with_name(to.into())
        .into())
    };
    let (prev_month, prev_value) = (
        shifted("month", "prev_month")?,
        shifted("value", "prev_value")?,
    );
    y.with_column(prev_month)?;
    y.with_column(prev_value)?;
    let mut prior = y.select(MONTH.into_iter().chain(["value"]))?;
    let next_year = prior.column("year")?.i32()? + 1;
    prior.replace("year", next_year.into_series().into())?;
    prior.rename("value", "prior_ytd_reported".into())?;
    y.rename("row", "ytd_row".into())?;
    y.rename("value", "ytd_value".into())?;
    let mut m = months;
    m.rename("row", "month_row".into())?;
    m.rename("value", "reported".into())?;

    // Every month either states, in order, with last year's ytd of that month.
    let both = JoinArgs {
        coalesce: JoinCoalesce::CoalesceColumns,
        ..JoinArgs::new(JoinType::Full)
    };
    let g = in_order(y.join(&m, MONTH, MONTH, both, None)?)?;
    let g = left_join(&g, &prior, &MONTH)?;

    let month = g.column("month")?.u8()?;
    let ytd_value = g.column("ytd_value")?.f64()?;
    let reported = g.column("reported")?.f64()?;
    let prev_month = g.column("prev_month")?.u8()?;
    let prev_value = g.column("prev_value")?.f64()?;
    let yoy = g.column("yoy_pct")?.f64()?;
    let n = g.height();
    let (mut month_value, mut derivation, mut from, mut implied) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n {
        let m = month.get(i).unwrap_or_default();
        let v = ytd_value.get(i);
        let prev = prev_month.get(i).zip(prev_value.get(i));
        let (mv, how, start) = match (reported.get(i), v) {
            (Some(r), _) => (Some(r), "reported", Some(m)),
            (None, Some(v)) => match prev {
                Some((pm, pv)) if pm + 1 == m => (Some(v - pv), "ytd_diff", Some(m)),
                Some((pm, pv)) => (Some(v - pv), "ytd_diff_span", Some(pm + 1)),
                None if m == 1 => (Some(v), "ytd_first", Some(1)),
                None if m == 2 => (Some(v), "ytd_diff_span", Some(1)),
                None => (None, "", None),
            },
            (None, None) => (None, "", None),
        };
        month_value.push(mv);
        derivation.push(how);
        from.push(start);
        implied.push(match (v, yoy.get(i)) {
            (Some(v), Some(r)) if r > -100.0 => Some(v / (1.0 + r / 100.0)),
            _ => None,
        });
    }
    // The row a month's names and ids come from: its year's first ytd fact, else the
    // year's first month fact.
    let (sid, year) = (g.column("sid")?.u64()?, g.column("year")?.i32()?);
    let (ytd_row, month_row) = (g.column("ytd_row")?.idx()?, g.column("month_row")?.idx()?);
    let mut any: Vec<IdxSize> = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let key = (sid.get(start), year.get(start));
        let end = (start..n)
            .find(|&i| (sid.get(i), year.get(i)) != key)
            .unwrap_or(n);
        let first = (start..end)
            .find_map(|i| ytd_row.get(i))
            .or_else(|| (start..end).find_map(|i| month_row.get(i)))
            .unwrap_or_default();
        any.extend(std::iter::repeat_n(first, end - start));
        start = end;
    }
    let col = |name: &str, to: &str| -> PolarsResult<Series> {
        Ok(g.column(name)?
            .as_materialized_series()
            .clone()
            .with_name(to.into()))
    };
    crate::model::assemble::<Monthly>(
        frame,
        any,
        vec![
            col("year", "year")?,
            col("month", "month")?,
            col("ytd_value", "ytd_value")?,
            Series::new("month_value".into(), month_value),
            col("yoy_pct", "ytd_yoy_pct")?,
            Series::new("prior_ytd_implied".into(), implied),
            col("prior_ytd_reported", "prior_ytd_reported")?,
            Series::new("derivation".into(), derivation),
            Series::new("month_value_from".into(), from),
        ],
    )
}
