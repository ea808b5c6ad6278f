//! Monthly values of flow indicators: year-to-date, single month (reported or differenced), implied prior year.

use std::collections::BTreeMap;

use polars::prelude::{DataFrame, IdxSize, NamedFrom, PolarsResult, Series};

use crate::config::pipeline::Pipeline;
use crate::model::{FactRef, Monthly, PeriodKind, Scope};
use crate::normalize::indicator::IndicatorKind;

type SeriesKey<'a> = (&'a str, Scope, &'a str, &'a str);

/// Facts of one series, as rows of the facts frame.
#[derive(Default)]
struct FlowSeries {
    /// year → month → ytd fact
    ytd: BTreeMap<i32, BTreeMap<u8, usize>>,
    /// year → month → single-month fact
    month: BTreeMap<i32, BTreeMap<u8, usize>>,
}

/// The columns of `monthly` a series computes; the names and ids are gathered from
/// one of its facts.
#[derive(Default)]
struct Computed {
    any: Vec<IdxSize>,
    year: Vec<i32>,
    month: Vec<u8>,
    ytd_value: Vec<Option<f64>>,
    month_value: Vec<Option<f64>>,
    ytd_yoy_pct: Vec<Option<f64>>,
    prior_ytd_implied: Vec<Option<f64>>,
    prior_ytd_reported: Vec<Option<f64>>,
    derivation: Vec<&'static str>,
    month_value_from: Vec<Option<u8>>,
}

/// Builds `monthly` from the facts (`frame`, and `facts` its rows read in place);
/// only flows (stocks and ratios are never differenced).
pub fn monthly(p: &Pipeline, frame: &DataFrame, facts: &[FactRef]) -> PolarsResult<DataFrame> {
    let mut series: BTreeMap<SeriesKey, FlowSeries> = BTreeMap::new();
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
                s.ytd.entry(f.year).or_default().insert(m, i);
            }
            (PeriodKind::Month, Some(m), Some(_)) => {
                s.month.entry(f.year).or_default().insert(m, i);
            }
            _ => {}
        }
    }
    let mut c = Computed::default();
    let value = |i: usize| facts[i].value;
    for s in series.values() {
        let years: std::collections::BTreeSet<i32> =
            s.ytd.keys().chain(s.month.keys()).copied().collect();
        for year in years {
            let empty = BTreeMap::new();
            let ytd = s.ytd.get(&year).unwrap_or(&empty);
            let months = s.month.get(&year).unwrap_or(&empty);
            let prior = s.ytd.get(&(year - 1));
            let all_months: std::collections::BTreeSet<u8> =
                ytd.keys().chain(months.keys()).copied().collect();
            let Some(&any) = ytd.values().chain(months.values()).next() else {
                continue;
            };
            for m in all_months {
                let y = ytd.get(&m).copied();
                let ytd_value = y.and_then(value);
                let prev = ytd
                    .range(..m)
                    .next_back()
                    .and_then(|(pm, &f)| value(f).map(|v| (*pm, v)));
                let (month_value, derivation, from) =
                    match (months.get(&m).and_then(|&f| value(f)), ytd_value) {
                        (Some(v), _) => (Some(v), "reported", Some(m)),
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
                let implied = match (ytd_value, yoy) {
                    (Some(v), Some(r)) if r > -100.0 => Some(v / (1.0 + r / 100.0)),
                    _ => None,
                };
                c.any.push(any as IdxSize);
                c.year.push(year);
                c.month.push(m);
                c.ytd_value.push(ytd_value);
                c.month_value.push(month_value);
                c.ytd_yoy_pct.push(yoy);
                c.prior_ytd_implied.push(implied);
                c.prior_ytd_reported
                    .push(prior.and_then(|pr| pr.get(&m)).and_then(|&f| value(f)));
                c.derivation.push(derivation);
                c.month_value_from.push(from);
            }
        }
    }
    crate::model::assemble::<Monthly>(
        frame,
        c.any,
        vec![
            Series::new("year".into(), c.year),
            Series::new("month".into(), c.month),
            Series::new("ytd_value".into(), c.ytd_value),
            Series::new("month_value".into(), c.month_value),
            Series::new("ytd_yoy_pct".into(), c.ytd_yoy_pct),
            Series::new("prior_ytd_implied".into(), c.prior_ytd_implied),
            Series::new("prior_ytd_reported".into(), c.prior_ytd_reported),
            Series::new("derivation".into(), c.derivation),
            Series::new("month_value_from".into(), c.month_value_from),
        ],
    )
}
