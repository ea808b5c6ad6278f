//! Facts added, removed and changed between two published runs.
//!
//! A fact is matched by its key (entity, scope, indicator, period, qualifier);
//! it changed when a published figure differs: value, unit, growth, share or
//! the approximate flag. Lineage (sources, winner) alone is not a change.

use polars::prelude::{PlHashMap as HashMap, PlHashSet as HashSet};

use serde::Serialize;

use crate::model::{Fact, PeriodKind};

use crate::reconcile::facts::{fact_key as key, KeyRef as Key};

/// One difference between the facts of two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactChange {
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub entity_id: String,
    pub entity_name: String,
    pub indicator: String,
    pub indicator_name: String,
    pub year: i32,
    pub period_kind: PeriodKind,
    pub month_from: Option<u8>,
    pub month_to: Option<u8>,
    pub qualifier: Option<String>,
    pub unit: String,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    pub old_yoy_pct: Option<f64>,
    pub new_yoy_pct: Option<f64>,
    /// The figure columns that differ (`value`, `yoy_pct`, …), comma-separated.
    pub fields: String,
    /// Sources behind the new fact (or the removed one).
    pub sources: String,
    pub corrected: bool,
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

fn changed_fields(a: &Fact, b: &Fact) -> Vec<&'static str> {
    let mut f = Vec::new();
    if !same(a.value, b.value) {
        f.push("value");
    }
    if a.unit != b.unit {
        f.push("unit");
    }
    if a.approx != b.approx {
        f.push("approx");
    }
    if !same(a.yoy_pct, b.yoy_pct) {
        f.push("yoy_pct");
    }
    if !same(a.yoy_pp, b.yoy_pp) {
        f.push("yoy_pp");
    }
    if !same(a.share_pct, b.share_pct) || a.share_of != b.share_of {
        f.push("share_pct");
    }
    f
}

fn row(change: &'static str, old: Option<&Fact>, new: Option<&Fact>, fields: String) -> FactChange {
    let f = new.or(old).expect("a change has a fact on one side");
    FactChange {
        change,
        entity_id: f.entity_id.clone(),
        entity_name: f.entity_name.clone(),
        indicator: f.indicator.clone(),
        indicator_name: f.indicator_name.clone(),
        year: f.year,
        period_kind: f.period_kind,
        month_from: f.month_from,
        month_to: f.month_to,
        qualifier: f.qualifier.clone(),
        unit: f.unit.clone(),
        old_value: old.and_then(|o| o.value),
        new_value: new.and_then(|n| n.value),
        old_yoy_pct: old.and_then(|o| o.yoy_pct),
        new_yoy_pct: new.and_then(|n| n.yoy_pct),
        fields,
        sources: f.sources.clone(),
        corrected: f.corrected,
    }
}

/// The changes from `old` to `new`, in key order.
pub fn diff_facts(old: &[Fact], new: &[Fact]) -> Vec<FactChange> {
    let before: HashMap<Key, &Fact> = old.iter().map(|f| (key(f), f)).collect();
    let mut seen: HashSet<Key> = HashSet::with_capacity_and_hasher(new.len(), Default::default());
    let mut out: Vec<(Key, FactChange)> = Vec::new();
    for n in new {
        let k = key(n);
        seen.insert(k);
        match before.get(&k) {
            None => out.push((k, row("added", None, Some(n), String::new()))),
            Some(o) => {
                let fields = changed_fields(o, n);
                if !fields.is_empty() {
                    out.push((k, row("changed", Some(o), Some(n), fields.join(","))));
                }
            }
        }
    }
    for (k, o) in &before {
        if !seen.contains(k) {
            out.push((*k, row("removed", Some(o), None, String::new())));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}
