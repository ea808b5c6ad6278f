//! Quarterly and annual values of flow indicators, from year-to-date values at quarter ends.

use polars::prelude::{
    ChunkCompareEq, Column, DataFrame, IdxSize, NamedFrom, PlHashMap, PolarsResult, Series,
};

use crate::model::{Annual, PeriodKind, Quarterly, Table};

/// A quarterly series: entity, indicator and unit (without scope), and year.
type SeriesKey<'a> = (&'a str, &'a str, &'a str, i32);

/// Quarters from `monthly`'s year-to-date values (Q2 = ytd(6) − ytd(3)); a stated quarter
/// (`facts`) wins. `monthly` is in its published order (series, year, month), so each
/// entity's rows are together; a series of several scopes (a park's and a city's) takes
/// its names and each month's year-to-date value from its first scope.
pub fn quarterly(monthly: &DataFrame, facts: &DataFrame) -> PolarsResult<DataFrame> {
    let stated = stated_quarters(facts)?;
    let monthly = &*crate::model::one_chunk(monthly);
    let text = |c: &str| crate::model::strs(monthly, c);
    let (entity, indicator, unit) = (text("entity_id")?, text("indicator")?, text("unit")?);
    let scope = text("scope")?;
    let year = crate::model::nums(monthly.column("year")?.i32()?)?;
    let month = crate::model::nums(monthly.column("month")?.u8()?)?;
    let ytd = crate::model::nums(monthly.column("ytd_value")?.f64()?)?;
    let key =
        |r: usize| -> Option<SeriesKey> { Some((entity(r)?, indicator(r)?, unit(r)?, year(r)?)) };

    let n = monthly.height();
    let (mut any, mut quarters, mut value, mut ytd_value, mut derivation) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut block: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < n {
        let end = (start + 1..n)
            .find(|&r| entity(r) != entity(start))
            .unwrap_or(n);
        block.clear();
        block.extend((start..end).filter(|&r| key(r).is_some()));
        // One scope's rows are already by series; several are merged, each series'
        // rows keeping their order (the first scope's first).
        if (start..end).any(|r| scope(r) != scope(start)) {
            block.sort_by_key(|&r| key(r));
        }
        let mut s = 0;
        while s < block.len() {
            let k = key(block[s]);
            let e = s + block[s..].iter().take_while(|&&r| key(r) == k).count();
            let Some(k) = k else { break };
            let rows = &block[s..e];
            // The year-to-date value at a month: the series' first row of that month.
            let at = |m: u8| {
                rows.iter()
                    .find(|&&r| month(r) == Some(m))
                    .and_then(|&r| ytd(r))
            };
            for q in 1..=4u8 {
                let end_ytd = at(3 * q);
                let begin = if q == 1 { Some(0.0) } else { at(3 * q - 3) };
                let (v, how) = match (stated.get(&(k, q)), end_ytd, begin) {
                    (Some(v), _, _) => (Some(*v), "reported"),
                    (None, Some(e), Some(b)) => {
                        (Some(e - b), if q == 1 { "ytd" } else { "ytd_diff" })
                    }
                    _ => continue,
                };
                any.push(rows[0] as IdxSize);
                quarters.push(q);
                value.push(v);
                ytd_value.push(end_ytd);
                derivation.push(how);
            }
            s = e;
        }
        start = end;
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

/// Quarters a source states (no qualifier, a value), by series and quarter
/// (`month_to` / 3): of several, the last in key order.
fn stated_quarters(facts: &DataFrame) -> PolarsResult<PlHashMap<(SeriesKey<'_>, u8), f64>> {
    let text = |c: &str| facts.column(c).and_then(|c| c.str());
    let (entity, indicator, unit) = (text("entity_id")?, text("indicator")?, text("unit")?);
    let (kind, qualifier) = (text("period_kind")?, text("qualifier")?);
    let year = facts.column("year")?.i32()?;
    let (to, value) = (
        facts.column("month_to")?.u8()?,
        facts.column("value")?.f64()?,
    );
    let quarter = kind.equal(PeriodKind::Quarter.as_str());
    let mut stated = PlHashMap::default();
    for r in crate::model::true_rows(&quarter) {
        let r = r as usize;
        let parts = (|| {
            if qualifier.get(r).is_some() {
                return None;
            }
            let k = (
                entity.get(r)?,
                indicator.get(r)?,
                unit.get(r)?,
                year.get(r)?,
            );
            Some(((k, to.get(r)? / 3), value.get(r)?))
        })();
        if let Some((k, v)) = parts {
            stated.insert(k, v);
        }
    }
    Ok(stated)
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
