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

#[cfg(test)]
mod tests {
    //! The column operations against the plain statement of the rules: a loop over the
    //! facts of each series, month by month, on random fact sets.
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::model::{test_fact, Fact, FactRef, Scope, Table};

    /// One monthly row as the rules define it: the series, the month, and the figures.
    type Row = (
        String,
        Scope,
        String,
        String,
        i32,
        u8,
        [Option<u64>; 5],
        String,
        Option<u8>,
    );

    fn bits(v: Option<f64>) -> Option<u64> {
        v.map(f64::to_bits)
    }

    /// The rules of `monthly`, written as a loop over each series' facts.
    fn by_the_rules(p: &Pipeline, facts: &[FactRef]) -> Vec<Row> {
        type Months = BTreeMap<i32, BTreeMap<u8, usize>>;
        let mut series: BTreeMap<(&str, Scope, &str, &str), (Months, Months)> = BTreeMap::new();
        for (i, f) in facts.iter().enumerate() {
            let flow = p
                .dictionaries
                .indicators
                .by_code(f.indicator)
                .is_some_and(|d| d.kind == IndicatorKind::Flow);
            if !flow || f.value.is_none() && f.yoy_pct.is_none() {
                continue;
            }
            let s = series
                .entry((f.entity_id, f.scope, f.indicator, f.unit))
                .or_default();
            match (f.period_kind, f.month_from, f.month_to) {
                (PeriodKind::Ytd | PeriodKind::Year, Some(1), Some(m)) => {
                    s.0.entry(f.year).or_default().insert(m, i);
                }
                (PeriodKind::Month, Some(m), Some(_)) => {
                    s.1.entry(f.year).or_default().insert(m, i);
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        let value = |i: usize| facts[i].value;
        for ((entity, scope, indicator, unit), (ytds, singles)) in &series {
            let years: BTreeSet<i32> = ytds.keys().chain(singles.keys()).copied().collect();
            for year in years {
                let empty = BTreeMap::new();
                let ytd = ytds.get(&year).unwrap_or(&empty);
                let months = singles.get(&year).unwrap_or(&empty);
                let all: BTreeSet<u8> = ytd.keys().chain(months.keys()).copied().collect();
                for m in all {
                    let y = ytd.get(&m).copied();
                    let v = y.and_then(value);
                    let prev = ytd
                        .range(..m)
                        .next_back()
                        .and_then(|(pm, &f)| value(f).map(|pv| (*pm, pv)));
                    let (mv, how, from) = match (months.get(&m).and_then(|&f| value(f)), v) {
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
                    let yoy = y.and_then(|f| facts[f].yoy_pct);
                    let implied = match (v, yoy) {
                        (Some(v), Some(r)) if r > -100.0 => Some(v / (1.0 + r / 100.0)),
                        _ => None,
                    };
                    let prior = ytds
                        .get(&(year - 1))
                        .and_then(|pr| pr.get(&m))
                        .and_then(|&f| value(f));
                    out.push((
                        entity.to_string(),
                        *scope,
                        indicator.to_string(),
                        unit.to_string(),
                        year,
                        m,
                        [bits(v), bits(mv), bits(yoy), bits(implied), bits(prior)],
                        how.to_string(),
                        from,
                    ));
                }
            }
        }
        out
    }

    /// A fact from its drawn parts; `kind` 0 is a ytd (1–m), 1 a year, 2 a month (m),
    /// 3 the quarter that ends in m's quarter.
    fn drawn(parts: (u8, u8, u8, u8, i32, u8, u8, Option<i16>, Option<i8>)) -> Fact {
        let (entity, scope, indicator, unit, year, kind, m, value, yoy) = parts;
        let mut f = test_fact(["a", "b"][entity as usize], None, None);
        f.scope = [Scope::Park, Scope::City][scope as usize];
        f.indicator =
            ["revenue", "industrial_output", "above_scale_enterprises"][indicator as usize].into();
        f.unit = ["元", "千瓦时"][unit as usize].into();
        f.year = year;
        (f.period_kind, f.month_from, f.month_to) = match kind {
            0 => (PeriodKind::Ytd, Some(1), Some(m)),
            1 => (PeriodKind::Year, Some(1), Some(12)),
            2 => (PeriodKind::Month, Some(m), Some(m)),
            _ => {
                let end = m.div_ceil(3) * 3;
                (PeriodKind::Quarter, Some(end - 2), Some(end))
            }
        };
        f.value = value.map(|v| v as f64 / 2.0);
        // -100 and below have no implied prior year.
        f.yoy_pct = yoy.map(|r| r as f64 * 2.0);
        f
    }

    /// Facts as reconcile gives them: one per key, in key order.
    fn facts_of(parts: Vec<(u8, u8, u8, u8, i32, u8, u8, Option<i16>, Option<i8>)>) -> Vec<Fact> {
        let mut facts: Vec<Fact> = parts.into_iter().map(drawn).collect();
        // As reconcile gives them: one fact per key, in key order.
        facts.sort_by(|a, b| {
            crate::reconcile::facts::fact_key(&a.borrow())
                .cmp(&crate::reconcile::facts::fact_key(&b.borrow()))
        });
        facts.dedup_by(|a, b| {
            crate::reconcile::facts::fact_key(&a.borrow())
                == crate::reconcile::facts::fact_key(&b.borrow())
        });
        facts
    }

    /// Quarters as the rules define them: a stated quarter, else the difference of the
    /// ytd values at the quarter's ends, per (entity, indicator, unit, year).
    fn quarters_by_the_rules(
        monthly: &[crate::model::MonthlyRef],
        facts: &[FactRef],
    ) -> Vec<(
        String,
        String,
        String,
        i32,
        u8,
        Option<u64>,
        Option<u64>,
        String,
    )> {
        let mut series: BTreeMap<(&str, &str, &str, i32), Vec<usize>> = BTreeMap::new();
        for (i, m) in monthly.iter().enumerate() {
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
        let mut out = Vec::new();
        for (&(entity, indicator, unit, year), members) in &series {
            let ytd = |m: u8| {
                members
                    .iter()
                    .map(|&i| &monthly[i])
                    .find(|r| r.month == m)
                    .and_then(|r| r.ytd_value)
            };
            for q in 1..=4u8 {
                let end = ytd(3 * q);
                let (v, how) = match (
                    stated.get(&(entity, indicator, unit, year, q)),
                    end,
                    if q == 1 { Some(0.0) } else { ytd(3 * q - 3) },
                ) {
                    (Some(v), _, _) => (Some(*v), "reported"),
                    (None, Some(e), Some(s)) => {
                        (Some(e - s), if q == 1 { "ytd" } else { "ytd_diff" })
                    }
                    _ => continue,
                };
                out.push((
                    entity.into(),
                    indicator.into(),
                    unit.into(),
                    year,
                    q,
                    bits(v),
                    bits(end),
                    how.into(),
                ));
            }
        }
        out
    }

    fn drawn_facts(
    ) -> impl Strategy<Value = Vec<(u8, u8, u8, u8, i32, u8, u8, Option<i16>, Option<i8>)>> {
        prop::collection::vec(
            (
                0..2u8,
                0..2u8,
                0..3u8,
                0..2u8,
                2023..2026i32,
                0..4u8,
                1..13u8,
                prop::option::of(-20..2000i16),
                prop::option::of(-60..60i8),
            ),
            0..60,
        )
    }

    proptest! {
        #[test]
        fn columns_give_what_the_rules_say(parts in drawn_facts()) {
            let p = Pipeline::ad_hoc().unwrap();
            let facts = facts_of(parts);
            let frame = Fact::to_frame(&facts).unwrap();
            let rows: Vec<FactRef> = facts.iter().map(Fact::borrow).collect();
            let got: Vec<Row> = Monthly::from_frame(&monthly(&p, &frame).unwrap())
                .unwrap()
                .into_iter()
                .map(|m| {
                    (
                        m.entity_id, m.scope, m.indicator, m.unit, m.year, m.month,
                        [
                            bits(m.ytd_value), bits(m.month_value), bits(m.ytd_yoy_pct),
                            bits(m.prior_ytd_implied), bits(m.prior_ytd_reported),
                        ],
                        m.derivation, m.month_value_from,
                    )
                })
                .collect();
            prop_assert_eq!(got, by_the_rules(&p, &rows));
        }

        #[test]
        fn quarters_are_what_the_rules_say(parts in drawn_facts()) {
            let p = Pipeline::ad_hoc().unwrap();
            let facts = facts_of(parts);
            let frame = Fact::to_frame(&facts).unwrap();
            let rows: Vec<FactRef> = facts.iter().map(Fact::borrow).collect();
            let months = monthly(&p, &frame).unwrap();
            let month_rows = crate::model::MonthlyRef::rows(&months).unwrap();
            let got: Vec<_> = crate::model::Quarterly::from_frame(
                &crate::derive::periods::quarterly(&months, &frame).unwrap(),
            )
            .unwrap()
            .into_iter()
            .map(|q| (q.entity_id, q.indicator, q.unit, q.year, q.quarter, bits(q.value), bits(q.ytd_value), q.derivation))
            .collect();
            prop_assert_eq!(got, quarters_by_the_rules(&month_rows, &rows));
        }
    }
}
