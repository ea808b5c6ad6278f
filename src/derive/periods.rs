//! Quarterly and annual values of flow indicators, from year-to-date values at quarter ends.

use std::collections::BTreeMap;

use crate::model::{Annual, FactRef, Monthly, PeriodKind, Quarterly};

/// Quarters from `monthly`'s year-to-date values (Q2 = ytd(6) − ytd(3)); a stated quarter wins.
pub fn quarterly(monthly: &[Monthly], facts: &[FactRef]) -> Vec<Quarterly> {
    let mut out = Vec::new();
    let mut series: BTreeMap<(&str, &str, &str, i32), Vec<&Monthly>> = BTreeMap::new();
    for m in monthly {
        series
            .entry((
                m.entity_id.as_str(),
                m.indicator.as_str(),
                m.unit.as_str(),
                m.year,
            ))
            .or_default()
            .push(m);
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
    for ((entity, indicator, unit, year), rows) in &series {
        let ytd = |m: u8| rows.iter().find(|r| r.month == m).and_then(|r| r.ytd_value);
        let any = rows[0];
        for q in 1..=4u8 {
            let end = 3 * q;
            let ytd_end = ytd(end);
            let (value, derivation) = match (
                stated.get(&(entity, indicator, unit, *year, q)),
                ytd_end,
                if q == 1 { Some(0.0) } else { ytd(end - 3) },
            ) {
                (Some(v), _, _) => (Some(*v), "reported"),
                (None, Some(e), Some(s)) => (Some(e - s), if q == 1 { "ytd" } else { "ytd_diff" }),
                _ => continue,
            };
            out.push(Quarterly {
                entity_id: entity.to_string(),
                entity_name: any.entity_name.clone(),
                scope: any.scope,
                indicator: indicator.to_string(),
                indicator_name: any.indicator_name.clone(),
                year: *year,
                quarter: q,
                unit: unit.to_string(),
                value,
                ytd_value: ytd_end,
                derivation: derivation.into(),
            });
        }
    }
    out
}

/// Whole years: a stated year, or the December year-to-date.
pub fn annual(monthly: &[Monthly]) -> Vec<Annual> {
    monthly
        .iter()
        .filter(|m| m.month == 12 && m.ytd_value.is_some())
        .map(|m| Annual {
            entity_id: m.entity_id.clone(),
            entity_name: m.entity_name.clone(),
            scope: m.scope,
            indicator: m.indicator.clone(),
            indicator_name: m.indicator_name.clone(),
            year: m.year,
            unit: m.unit.clone(),
            value: m.ytd_value,
            yoy_pct: m.ytd_yoy_pct,
            derivation: "ytd_12".into(),
        })
        .collect()
}
