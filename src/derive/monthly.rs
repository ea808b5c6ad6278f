//! Monthly values of flow indicators: year-to-date, single month (reported or differenced), implied prior year.

use std::collections::BTreeMap;

use crate::config::pipeline::Pipeline;
use crate::model::{FactRef, Monthly, PeriodKind, Scope};
use crate::normalize::indicator::IndicatorKind;

type SeriesKey<'a> = (&'a str, Scope, &'a str, &'a str);

#[derive(Default)]
struct Series<'s, 'a> {
    /// year → month → ytd fact
    ytd: BTreeMap<i32, BTreeMap<u8, &'s FactRef<'a>>>,
    /// year → month → single-month fact
    month: BTreeMap<i32, BTreeMap<u8, &'s FactRef<'a>>>,
}

/// Builds `monthly` from facts; only flows (stocks and ratios are never differenced).
pub fn monthly<'a>(p: &Pipeline, facts: &[FactRef<'a>]) -> Vec<Monthly> {
    let mut series: BTreeMap<SeriesKey<'a>, Series<'_, 'a>> = BTreeMap::new();
    for f in facts {
        let flow = p
            .dictionaries
            .indicators
            .by_code(&f.indicator)
            .is_some_and(|d| d.kind == IndicatorKind::Flow);
        if !flow || f.value.is_none() && f.yoy_pct.is_none() {
            continue;
        }
        let key = (f.entity_id, f.scope, f.indicator, f.unit);
        let s = series.entry(key).or_default();
        match (f.period_kind, f.month_from, f.month_to) {
            (PeriodKind::Ytd | PeriodKind::Year, Some(1), Some(m)) => {
                s.ytd.entry(f.year).or_default().insert(m, f);
            }
            (PeriodKind::Month, Some(m), Some(_)) => {
                s.month.entry(f.year).or_default().insert(m, f);
            }
            _ => {}
        }
    }
    let mut rows = Vec::with_capacity(facts.len());
    for (&(entity_id, scope, indicator, unit), s) in &series {
        let years: std::collections::BTreeSet<i32> =
            s.ytd.keys().chain(s.month.keys()).copied().collect();
        for year in years {
            let empty = BTreeMap::new();
            let ytd = s.ytd.get(&year).unwrap_or(&empty);
            let months = s.month.get(&year).unwrap_or(&empty);
            let prior = s.ytd.get(&(year - 1));
            let all_months: std::collections::BTreeSet<u8> =
                ytd.keys().chain(months.keys()).copied().collect();
            let any = ytd.values().chain(months.values()).next().copied();
            let Some(any) = any else { continue };
            for m in all_months {
                let y = ytd.get(&m).copied();
                let ytd_value = y.and_then(|f| f.value);
                let prev = ytd
                    .range(..m)
                    .next_back()
                    .and_then(|(pm, f)| f.value.map(|v| (*pm, v)));
                let (month_value, derivation, from) =
                    match (months.get(&m).and_then(|f| f.value), ytd_value) {
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
                let yoy = y.and_then(|f| f.yoy_pct);
                let implied = match (ytd_value, yoy) {
                    (Some(v), Some(r)) if r > -100.0 => Some(v / (1.0 + r / 100.0)),
                    _ => None,
                };
                rows.push(Monthly {
                    entity_id: entity_id.to_string(),
                    entity_name: any.entity_name.to_string(),
                    scope,
                    indicator: indicator.to_string(),
                    indicator_name: any.indicator_name.to_string(),
                    year,
                    month: m,
                    unit: unit.to_string(),
                    ytd_value,
                    month_value,
                    ytd_yoy_pct: yoy,
                    prior_ytd_implied: implied,
                    prior_ytd_reported: prior.and_then(|pr| pr.get(&m)).and_then(|f| f.value),
                    derivation: derivation.to_string(),
                    month_value_from: from,
                });
            }
        }
    }
    rows
}
