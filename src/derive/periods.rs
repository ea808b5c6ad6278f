//! Quarterly and annual values of flow indicators, from year-to-date values at quarter ends.

use std::collections::BTreeMap;

use polars::prelude::{
    ChunkCompareEq, Column, DataFrame, IdxSize, NamedFrom, PolarsResult, Series,
};

use crate::model::{Annual, FactRef, MonthlyRef, PeriodKind, Quarterly, Table};

/// Quarters from `monthly`'s year-to-date values (Q2 = ytd(6) − ytd(3)); a stated quarter
/// wins. `rows` are `monthly` read in place.
pub fn quarterly(
    monthly: &DataFrame,
    rows: &[MonthlyRef],
    facts: &[FactRef],
) -> PolarsResult<DataFrame> {
    let mut series: BTreeMap<(&str, &str, &str, i32), Vec<usize>> = BTreeMap::new();
    for (i, m) in rows.iter().enumerate() {
        series
            .entry((m.entity_id, m.indicator, m.unit, m.year))
            .or_default()
            .push(i);
    }
    let stated: BTreeMap<(&str, &str, &str, i32, u8), f64> = facts
        .iter()
        .filter(|f| f.period_kind == PeriodKind::Quarter && f.qualifier.is_none())
        .filter_map(|f| {
            Some((
                (f.entity_id, f.indicator, f.unit, f.year, f.month_to? / 3),
                f.value?,
            ))
        })
        .collect();
    let (mut any, mut quarter, mut value, mut ytd_value, mut derivation) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (&(entity, indicator, unit, year), members) in &series {
        let ytd = |m: u8| {
            members
                .iter()
                .map(|&i| &rows[i])
                .find(|r| r.month == m)
                .and_then(|r| r.ytd_value)
        };
        for q in 1..=4u8 {
            let end = 3 * q;
            let ytd_end = ytd(end);
            let (v, how) = match (
                stated.get(&(entity, indicator, unit, year, q)),
                ytd_end,
                if q == 1 { Some(0.0) } else { ytd(end - 3) },
            ) {
                (Some(v), _, _) => (Some(*v), "reported"),
                (None, Some(e), Some(s)) => (Some(e - s), if q == 1 { "ytd" } else { "ytd_diff" }),
                _ => continue,
            };
            any.push(members[0] as IdxSize);
            quarter.push(q);
            value.push(v);
            ytd_value.push(ytd_end);
            derivation.push(how);
        }
    }
    crate::model::assemble::<Quarterly>(
        monthly,
        any,
        vec![
            Series::new("quarter".into(), quarter),
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
