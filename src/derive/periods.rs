//! Quarterly and annual values of flow indicators, from year-to-date values at quarter ends.

use polars::prelude::{
    ChunkApply, ChunkCompareEq, Column, DataFrame, DataFrameJoinOps, IdxSize, JoinArgs, JoinType,
    MaintainOrderJoin, NamedFrom, PolarsResult, Series, SortMultipleOptions, UniqueKeepStrategy,
};

use crate::derive::series::SeriesIds;
use crate::model::{take_rows, Annual, PeriodKind, Quarterly, Table};

/// One quarterly series: entity, indicator and unit (`qsid`, without scope), and year.
const SERIES: [&str; 2] = ["qsid", "year"];

fn with(keys: &[&str], more: &[&str]) -> Vec<String> {
    keys.iter().chain(more).map(|s| s.to_string()).collect()
}

/// Quarters from `monthly`'s year-to-date values (Q2 = ytd(6) − ytd(3)); a stated quarter
/// wins. Each series gets four quarters, which meet the year-to-date values at their ends
/// and the stated quarters (`facts`) in joins.
pub fn quarterly(monthly: &DataFrame, facts: &DataFrame) -> PolarsResult<DataFrame> {
    // Quarters a source states.
    let is_quarter = facts
        .column("period_kind")?
        .str()?
        .equal(PeriodKind::Quarter.as_str())
        & facts.column("qualifier")?.is_null()
        & facts.column("month_to")?.is_not_null()
        & facts.column("value")?.is_not_null();
    let mut stated = facts
        .select([
            "entity_id",
            "indicator",
            "unit",
            "year",
            "month_to",
            "value",
        ])?
        .filter(&is_quarter)?;
    let (stated_ids, monthly_ids) = {
        let ids = SeriesIds::new(&[monthly, &stated])?;
        (ids.of(&stated, false)?, ids.of(monthly, false)?)
    };
    stated.with_column(Series::new("qsid".into(), stated_ids).into())?;
    let mut m = monthly.select(["year", "month", "ytd_value"])?;
    m.with_column(Series::new("qsid".into(), monthly_ids).into())?;
    let rows: Vec<IdxSize> = (0..m.height() as IdxSize).collect();
    m.with_column(Series::new("row".into(), rows).into())?;
    // Each series once, by its first month row, in key order.
    let series = m
        .select(with(&SERIES, &["row"]))?
        .unique_stable(Some(&with(&SERIES, &[])), UniqueKeepStrategy::First, None)?
        .sort(
            SERIES,
            SortMultipleOptions::default().with_maintain_order(true),
        )?;
    let k = series.height();
    let mut grid = take_rows(&series, (0..k as IdxSize).flat_map(|i| [i; 4]).collect())?;
    let quarter: Vec<u8> = (0..k).flat_map(|_| [1u8, 2, 3, 4]).collect();
    grid.with_column(
        Series::new(
            "end".into(),
            quarter.iter().map(|q| 3 * q).collect::<Vec<u8>>(),
        )
        .into(),
    )?;
    grid.with_column(
        Series::new(
            "start".into(),
            quarter.iter().map(|q| 3 * q - 3).collect::<Vec<u8>>(),
        )
        .into(),
    )?;
    grid.with_column(Series::new("quarter".into(), quarter).into())?;

    // The year-to-date value at a month: the series' first row of that month.
    let at = m
        .select(with(&SERIES, &["month", "ytd_value"]))?
        .unique_stable(
            Some(&with(&SERIES, &["month"])),
            UniqueKeepStrategy::First,
            None,
        )?;
    let left = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let mut at_end = at.clone();
    at_end.rename("ytd_value", "ytd_end".into())?;
    let mut at_start = at;
    at_start.rename("ytd_value", "ytd_start".into())?;
    let mut g = grid;
    for (at, month) in [(&at_end, "end"), (&at_start, "start")] {
        let (on, by) = (with(&SERIES, &[month]), with(&SERIES, &["month"]));
        g = g.join(at, on, by, left.clone(), None)?;
    }

    // Of several stated quarters, the last in key order.
    let q = stated.column("month_to")?.u8()?.apply_values(|m| m / 3);
    stated.with_column(Column::from(Series::from(q).with_name("quarter".into())))?;
    let mut stated = stated
        .select(with(&SERIES, &["quarter", "value"]))?
        .unique_stable(
            Some(&with(&SERIES, &["quarter"])),
            UniqueKeepStrategy::Last,
            None,
        )?;
    stated.rename("value", "stated".into())?;
    let keys = with(&SERIES, &["quarter"]);
    let g = g.join(&stated, &keys, &keys, left, None)?;

    let (quarter, end, start, said, first) = (
        g.column("quarter")?.u8()?,
        g.column("ytd_end")?.f64()?,
        g.column("ytd_start")?.f64()?,
        g.column("stated")?.f64()?,
        g.column("row")?.idx()?,
    );
    let (mut any, mut quarters, mut value, mut ytd_value, mut derivation) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..g.height() {
        let (Some(q), Some(row)) = (quarter.get(i), first.get(i)) else {
            continue;
        };
        let ytd_end = end.get(i);
        let (v, how) = match (
            said.get(i),
            ytd_end,
            if q == 1 { Some(0.0) } else { start.get(i) },
        ) {
            (Some(v), _, _) => (Some(v), "reported"),
            (None, Some(e), Some(s)) => (Some(e - s), if q == 1 { "ytd" } else { "ytd_diff" }),
            _ => continue,
        };
        any.push(row);
        quarters.push(q);
        value.push(v);
        ytd_value.push(ytd_end);
        derivation.push(how);
    }
    crate::model::assemble::<Quarterly>(
        monthly,
        any,
        vec![
            Series::new("quarter".into(), quarters),
            Series::new("value".into(), value),
            Series::new("ytd_value".into(), ytd_value),
            Series::new("derivation".into(), derivation),
        ],
    )
}

/// Whole years: the December year-to-date.
pub fn annual(monthly: &DataFrame) -> PolarsResult<DataFrame> {
    let december =
        monthly.column("month")?.u8()?.equal(12) & monthly.column("ytd_value")?.is_not_null();
    let mut df = monthly.filter(&december)?;
    df.rename("ytd_value", "value".into())?;
    df.rename("ytd_yoy_pct", "yoy_pct".into())?;
    let n = df.height();
    df.with_column(Column::new("derivation".into(), vec!["ytd_12"; n]))?;
    df.select(Annual::column_names().iter().copied())
}
