//! Check: rules over facts and derived tables, each writing plain-words rows to `checks`.

use crate::derive::Derived;
use crate::model::{Check, Fact, Monthly, PeriodKind, Severity};
use crate::reconcile::Conflict;

/// Runs every rule.
pub fn check(facts: &[Fact], conflicts: &[Conflict], derived: &Derived) -> Vec<Check> {
    let mut out = Vec::new();
    conflict_rule(conflicts, &mut out);
    cumulative_rules(&derived.monthly, facts, &mut out);
    out.sort_by(|a, b| {
        (
            a.severity,
            &a.rule,
            &a.entity_id,
            &a.indicator,
            a.year,
            &a.month_from,
            &a.month_to,
            &a.obs_ids,
        )
            .cmp(&(
                b.severity,
                &b.rule,
                &b.entity_id,
                &b.indicator,
                b.year,
                &b.month_from,
                &b.month_to,
                &b.obs_ids,
            ))
    });
    out
}

fn period_text(kind: PeriodKind, from: Option<u8>, to: Option<u8>) -> String {
    match (kind, from, to) {
        (PeriodKind::Month, _, Some(m)) => format!("{m}月"),
        (PeriodKind::AsOf, _, Some(m)) => format!("{m}月末"),
        (_, Some(a), Some(b)) => format!("{a}-{b}月"),
        _ => kind.as_str().to_string(),
    }
}

/// Sources that disagree beyond rounding: which one was kept and why.
fn conflict_rule(conflicts: &[Conflict], out: &mut Vec<Check>) {
    for c in conflicts {
        let (w, l) = (&c.winner, &c.loser);
        out.push(Check {
            rule: "conflict".into(),
            severity: Severity::Warn,
            entity_id: w.entity_id.clone(),
            scope: w.scope,
            indicator: w.indicator.clone(),
            year: w.year,
            period_kind: Some(w.period_kind.as_str().into()),
            month_from: w.month_from,
            month_to: w.month_to,
            message: format!(
                "{} {} {}年{}: {} ({}) says {}{}, {} ({}) says {}{}; kept the {} value by source precedence",
                w.entity_name,
                w.indicator_name,
                w.year,
                period_text(w.period_kind, w.month_from, w.month_to),
                w.source_path,
                w.locator,
                w.value_raw,
                w.unit_raw,
                l.source_path,
                l.locator,
                l.value_raw,
                l.unit_raw,
                w.source_kind.as_str()
            ),
            observed: l.value,
            expected: w.value,
            obs_ids: format!("{};{}", w.obs_id, l.obs_id),
        });
    }
}

/// A flow's cumulative value must not fall within a year, and a derived month must not be negative.
fn cumulative_rules(monthly: &[Monthly], facts: &[Fact], out: &mut Vec<Check>) {
    // Year-to-date facts by (entity, indicator, year, month), to name the observations a check is about.
    let ytd: std::collections::HashMap<(&str, &str, i32, u8), &str> = facts
        .iter()
        .filter(|f| {
            f.month_from == Some(1) && matches!(f.period_kind, PeriodKind::Ytd | PeriodKind::Year)
        })
        .filter_map(|f| {
            f.month_to.map(|m| {
                (
                    (f.entity_id.as_str(), f.indicator.as_str(), f.year, m),
                    f.winner_obs_id.as_str(),
                )
            })
        })
        .collect();
    let fact_id = |m: &Monthly, month: u8| -> String {
        ytd.get(&(m.entity_id.as_str(), m.indicator.as_str(), m.year, month))
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    for w in monthly.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if (&a.entity_id, &a.indicator, a.year, &a.unit)
            != (&b.entity_id, &b.indicator, b.year, &b.unit)
        {
            continue;
        }
        let (Some(va), Some(vb)) = (a.ytd_value, b.ytd_value) else {
            continue;
        };
        if vb < va && b.derivation != "reported" {
            out.push(Check {
                rule: "cumulative_decreasing".into(),
                severity: Severity::Error,
                entity_id: b.entity_id.clone(),
                scope: b.scope,
                indicator: b.indicator.clone(),
                year: b.year,
                period_kind: Some("ytd".into()),
                month_from: Some(1),
                month_to: Some(b.month),
                message: format!(
                    "{} {} {}年: the cumulative value falls from {} {} (1-{}月) to {} {} (1-{}月); a flow's year-to-date cannot decrease — check both figures",
                    b.entity_name, b.indicator_name, b.year, va, b.unit, a.month, vb, b.unit, b.month
                ),
                observed: Some(vb),
                expected: Some(va),
                obs_ids: format!("{};{}", fact_id(a, a.month), fact_id(b, b.month)),
            });
        }
    }
    for m in monthly {
        if let Some(v) = m.month_value {
            if v < 0.0 && m.derivation != "reported" {
                out.push(Check {
                    rule: "month_negative".into(),
                    severity: Severity::Warn,
                    entity_id: m.entity_id.clone(),
                    scope: m.scope,
                    indicator: m.indicator.clone(),
                    year: m.year,
                    period_kind: Some("month".into()),
                    month_from: m.month_value_from,
                    month_to: Some(m.month),
                    message: format!(
                        "{} {} {}年{}月: the month value derived from the cumulative values is negative ({} {})",
                        m.entity_name, m.indicator_name, m.year, m.month, v, m.unit
                    ),
                    observed: Some(v),
                    expected: None,
                    obs_ids: fact_id(m, m.month),
                });
            }
        }
    }
}
