//! Monthly values of flow indicators: year-to-date, single month (reported or differenced), implied prior year.

use polars::prelude::{polars_bail, DataFrame, IdxSize, NamedFrom, PolarsResult, Series};

use crate::config::pipeline::Pipeline;
use crate::model::{Monthly, PeriodKind};
use crate::normalize::indicator::IndicatorKind;

/// The facts of one month of a series-year that `monthly` reads: of several (a year and a
/// 1-12月 ytd), the last in key order.
#[derive(Clone, Copy, Default)]
struct Month {
    ytd: Option<usize>,
    single: Option<usize>,
}

/// A candidate fact of a series: its unit, year and month, whether it is a cumulative
/// (else a single month), and its row.
type Candidate<'a> = (Option<&'a str>, i32, u8, bool, usize);

/// One year of a series (its unit and year) and its months, in month order.
type SeriesYear<'a> = (Option<&'a str>, i32, Vec<(u8, Month)>);

/// The columns of the monthly table being built, one entry per row.
struct Out {
    any: Vec<IdxSize>,
    year: Vec<i32>,
    month: Vec<u8>,
    ytd_value: Vec<Option<f64>>,
    month_value: Vec<Option<f64>>,
    ytd_yoy_pct: Vec<Option<f64>>,
    implied: Vec<Option<f64>>,
    prior: Vec<Option<f64>>,
    derivation: Vec<&'static str>,
    from: Vec<Option<u8>>,
}

impl Out {
    fn with_capacity(n: usize) -> Out {
        Out {
            any: Vec::with_capacity(n),
            year: Vec::with_capacity(n),
            month: Vec::with_capacity(n),
            ytd_value: Vec::with_capacity(n),
            month_value: Vec::with_capacity(n),
            ytd_yoy_pct: Vec::with_capacity(n),
            implied: Vec::with_capacity(n),
            prior: Vec::with_capacity(n),
            derivation: Vec::with_capacity(n),
            from: Vec::with_capacity(n),
        }
    }
}

/// Builds `monthly` from the facts frame, in key order as reconcile gives it; only flows
/// (stocks and ratios are never differenced). One walk down the facts: each run of an
/// entity, scope and indicator is one or more series (one per unit), whose months are
/// decided year by year.
pub fn monthly(p: &Pipeline, frame: &DataFrame) -> PolarsResult<DataFrame> {
    let indicators = &p.dictionaries.indicators;
    let frame = &*crate::model::one_chunk(frame);
    let text = |c: &str| crate::model::strs(frame, c);
    let (entity, indicator, unit) = (text("entity_id")?, text("indicator")?, text("unit")?);
    let scope = crate::normalize::frame::ordinals(frame, "scope", |v| {
        crate::model::Scope::parse(v).map(|s| s as u8)
    })?;
    let kind: Vec<Option<PeriodKind>> =
        crate::model::by_runs(frame.column("period_kind")?.str()?, |k| {
            PeriodKind::parse(Some(k)).ok()
        })
        .map(Option::flatten)
        .collect();
    let flow: Vec<bool> = crate::model::by_runs(frame.column("indicator")?.str()?, |c| {
        indicators
            .by_code(c)
            .is_some_and(|d| d.kind == IndicatorKind::Flow)
    })
    .map(|f| f.unwrap_or(false))
    .collect();
    let from = crate::model::nums(frame.column("month_from")?.u8()?)?;
    let to = crate::model::nums(frame.column("month_to")?.u8()?)?;
    let year = crate::model::nums(frame.column("year")?.i32()?)?;
    let value = crate::model::nums(frame.column("value")?.f64()?)?;
    let yoy = crate::model::nums(frame.column("yoy_pct")?.f64()?)?;

    let n = frame.height();
    // At most one row per fact: sized once, the columns are never copied as they grow.
    let mut out = Out::with_capacity(n);
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut last_block = None;
    let mut i = 0;
    while i < n {
        let block = (entity(i), scope[i], indicator(i));
        let end = (i + 1..n)
            .find(|&j| (entity(j), scope[j], indicator(j)) != block)
            .unwrap_or(n);
        if last_block.is_some_and(|b| b >= block) {
            polars_bail!(ComputeError: "facts are not in key order: monthly values need them sorted");
        }
        last_block = Some(block);
        if flow[i] {
            candidates.clear();
            for (r, &k) in (i..end).zip(&kind[i..end]) {
                if value(r).is_none() && yoy(r).is_none() {
                    continue;
                }
                let Some(y) = year(r) else { continue };
                match (k, from(r), to(r)) {
                    (Some(PeriodKind::Ytd | PeriodKind::Year), Some(1), Some(m)) => {
                        candidates.push((unit(r), y, m, true, r))
                    }
                    (Some(PeriodKind::Month), Some(m), Some(_)) => {
                        candidates.push((unit(r), y, m, false, r))
                    }
                    _ => {}
                }
            }
            let named = block.0.is_some() && block.2.is_some();
            if !candidates.is_empty() && (!named || candidates.iter().any(|c| c.0.is_none())) {
                polars_bail!(ComputeError: "a flow fact without an entity, indicator or unit");
            }
            // By unit, then year; each (unit, year)'s facts stay in key order.
            candidates.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            series(&candidates, value, yoy, &mut out);
        }
        i = end;
    }
    crate::model::assemble::<Monthly>(
        frame,
        out.any,
        vec![
            Series::new("year".into(), out.year),
            Series::new("month".into(), out.month),
            Series::new("ytd_value".into(), out.ytd_value),
            Series::new("month_value".into(), out.month_value),
            Series::new("ytd_yoy_pct".into(), out.ytd_yoy_pct),
            Series::new("prior_ytd_implied".into(), out.implied),
            Series::new("prior_ytd_reported".into(), out.prior),
            Series::new("derivation".into(), out.derivation),
            Series::new("month_value_from".into(), out.from),
        ],
    )
}

/// The months of one entity-scope-indicator's candidates, sorted by unit and year.
fn series(
    candidates: &[Candidate],
    value: impl Fn(usize) -> Option<f64>,
    yoy: impl Fn(usize) -> Option<f64>,
    out: &mut Out,
) {
    // The months of the year before, of the same unit, for `prior_ytd_reported`.
    let mut before: Option<SeriesYear> = None;
    let mut start = 0;
    while start < candidates.len() {
        let (unit, year) = (candidates[start].0, candidates[start].1);
        let end = start
            + candidates[start..]
                .iter()
                .take_while(|c| (c.0, c.1) == (unit, year))
                .count();
        let mut months: Vec<(u8, Month)> = Vec::new();
        for &(_, _, m, cumulative, row) in &candidates[start..end] {
            let at = match months.iter().position(|(k, _)| *k == m) {
                Some(at) => at,
                None => {
                    months.push((m, Month::default()));
                    months.len() - 1
                }
            };
            if cumulative {
                months[at].1.ytd = Some(row);
            } else {
                months[at].1.single = Some(row);
            }
        }
        months.sort_by_key(|(m, _)| *m);
        let prior_months = before
            .as_ref()
            .filter(|(u, y, _)| *u == unit && *y + 1 == year)
            .map(|(_, _, ms)| ms.as_slice())
            .unwrap_or(&[]);
        // The row a month's names and ids come from: its year's first ytd fact, else
        // the year's first month fact (every month has one or the other).
        let names = months
            .iter()
            .find_map(|(_, f)| f.ytd)
            .or_else(|| months.iter().find_map(|(_, f)| f.single))
            .unwrap_or(candidates[start].4) as IdxSize;
        let mut prev: Option<(u8, usize)> = None;
        for &(m, f) in &months {
            let v = f.ytd.and_then(&value);
            let earlier = prev.and_then(|(pm, r)| value(r).map(|pv| (pm, pv)));
            let (mv, how, from) = match (f.single.and_then(&value), v) {
                (Some(r), _) => (Some(r), "reported", Some(m)),
                (None, Some(v)) => match earlier {
                    Some((pm, pv)) if pm + 1 == m => (Some(v - pv), "ytd_diff", Some(m)),
                    Some((pm, pv)) => (Some(v - pv), "ytd_diff_span", Some(pm + 1)),
                    None if m == 1 => (Some(v), "ytd_first", Some(1)),
                    None if m == 2 => (Some(v), "ytd_diff_span", Some(1)),
                    None => (None, "", None),
                },
                (None, None) => (None, "", None),
            };
            let rate = f.ytd.and_then(&yoy);
            out.any.push(names);
            out.year.push(year);
            out.month.push(m);
            out.ytd_value.push(v);
            out.month_value.push(mv);
            out.ytd_yoy_pct.push(rate);
            out.implied.push(match (v, rate) {
                (Some(v), Some(r)) if r > -100.0 => Some(v / (1.0 + r / 100.0)),
                _ => None,
            });
            out.prior.push(
                prior_months
                    .iter()
                    .find(|(k, _)| *k == m)
                    .and_then(|(_, pf)| pf.ytd)
                    .and_then(&value),
            );
            out.derivation.push(how);
            out.from.push(from);
            if let Some(r) = f.ytd {
                prev = Some((m, r));
            }
        }
        before = Some((unit, year, months));
        start = end;
    }
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

    /// A drawn fact: entity, scope, indicator, unit, year, kind, month, value, growth.
    type Drawn = (u8, u8, u8, u8, i32, u8, u8, Option<i16>, Option<i8>);

    /// A fact from its drawn parts; `kind` 0 is a ytd (1–m), 1 a year, 2 a month (m),
    /// 3 the quarter that ends in m's quarter.
    fn drawn(parts: Drawn) -> Fact {
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
    fn facts_of(parts: Vec<Drawn>) -> Vec<Fact> {
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

    /// A quarter as the rules give it: entity, indicator, unit, year, quarter, value and
    /// ytd value (as bits), derivation.
    type QuarterRow = (
        String,
        String,
        String,
        i32,
        u8,
        Option<u64>,
        Option<u64>,
        String,
    );

    /// Quarters as the rules define them: a stated quarter, else the difference of the
    /// ytd values at the quarter's ends, per (entity, indicator, unit, year).
    fn quarters_by_the_rules(
        monthly: &[crate::model::MonthlyRef],
        facts: &[FactRef],
    ) -> Vec<QuarterRow> {
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

    fn drawn_facts() -> impl Strategy<Value = Vec<Drawn>> {
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
