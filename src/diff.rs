//! Facts added, removed and changed between two published runs.
//!
//! A fact is matched by its key (entity, scope, indicator, period, qualifier);
//! it changed when a published figure differs: value, unit, growth, share or
//! the approximate flag. Lineage (sources, winner) alone is not a change.

use polars::prelude::{DataFrame, PlHashMap as HashMap, PlHashSet as HashSet, PolarsResult};

use serde::Serialize;

use crate::model::{FactRef, PeriodKind};

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

/// The published figures of a fact: what a change is about.
struct Figures<'a> {
    value: Option<f64>,
    unit: &'a str,
    approx: bool,
    yoy_pct: Option<f64>,
    yoy_pp: Option<f64>,
    share_pct: Option<f64>,
    share_of: Option<&'a str>,
}

fn figures<'a>(f: &FactRef<'a>) -> Figures<'a> {
    Figures {
        value: f.value,
        unit: f.unit,
        approx: f.approx,
        yoy_pct: f.yoy_pct,
        yoy_pp: f.yoy_pp,
        share_pct: f.share_pct,
        share_of: f.share_of,
    }
}

fn changed_fields(a: &Figures, b: &Figures) -> Vec<&'static str> {
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
fn row(
    change: &'static str,
    old: Option<&FactRef<'_>>,
    new: Option<&FactRef<'_>>,
    fields: String,
) -> FactChange {
    let f = new
        .map(FactRef::to_owned)
        .or_else(|| old.map(FactRef::to_owned))
        .expect("a change has a fact on one side");
    FactChange {
        change,
        entity_id: f.entity_id,
        entity_name: f.entity_name,
        indicator: f.indicator,
        indicator_name: f.indicator_name,
        year: f.year,
        period_kind: f.period_kind,
        month_from: f.month_from,
        month_to: f.month_to,
        qualifier: f.qualifier,
        unit: f.unit,
        old_value: old.and_then(|o| o.value),
        new_value: new.and_then(|n| n.value),
        old_yoy_pct: old.and_then(|o| o.yoy_pct),
        new_yoy_pct: new.and_then(|n| n.yoy_pct),
        fields,
        sources: f.sources,
        corrected: f.corrected,
    }
}

/// The changes from `old` to `new`, in key order.
pub fn diff_facts(old: &[FactRef<'_>], new: &[FactRef<'_>]) -> Vec<FactChange> {
    let sorted = |f: &[FactRef]| f.windows(2).all(|w| key(&w[0]) < key(&w[1]));
    // Runs publish facts in key order: one merging pass, no hashing of every key.
    if sorted(old) && sorted(new) {
        merge(old, new)
    } else {
        by_hash(old, new)
    }
}

/// The changes between two key-sorted fact lists, walking both in step.
fn merge(old: &[FactRef<'_>], new: &[FactRef<'_>]) -> Vec<FactChange> {
    use std::cmp::Ordering::*;
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    loop {
        let order = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => key(o).cmp(&key(n)),
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (None, None) => return out,
        };
        match order {
            Less => {
                out.push(row("removed", Some(&old[i]), None, String::new()));
                i += 1;
            }
            Greater => {
                out.push(row("added", None, Some(&new[j]), String::new()));
                j += 1;
            }
            Equal => {
                let fields = changed_fields(&figures(&old[i]), &figures(&new[j]));
                if !fields.is_empty() {
                    out.push(row(
                        "changed",
                        Some(&old[i]),
                        Some(&new[j]),
                        fields.join(","),
                    ));
                }
                i += 1;
                j += 1;
            }
        }
    }
}

/// The changes between fact lists in any order (an old run's table, say).
fn by_hash(old: &[FactRef<'_>], new: &[FactRef<'_>]) -> Vec<FactChange> {
    let mut before: HashMap<Key, usize> =
        HashMap::with_capacity_and_hasher(old.len(), Default::default());
    for (i, o) in old.iter().enumerate() {
        before.insert(key(o), i);
    }
    let mut seen: HashSet<Key> = HashSet::with_capacity_and_hasher(new.len(), Default::default());
    let mut out: Vec<(Key, FactChange)> = Vec::new();
    for n in new {
        let k = key(n);
        seen.insert(k);
        match before.get(&k) {
            None => out.push((k, row("added", None, Some(n), String::new()))),
            Some(&i) => {
                let fields = changed_fields(&figures(&old[i]), &figures(n));
                if !fields.is_empty() {
                    out.push((k, row("changed", Some(&old[i]), Some(n), fields.join(","))));
                }
            }
        }
    }
    for (k, &i) in &before {
        if !seen.contains(k) {
            out.push((*k, row("removed", Some(&old[i]), None, String::new())));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}

/// The same, with the old facts as a run published them (a `facts` frame), read in place.
pub fn diff_facts_frame(old: &DataFrame, new: &[FactRef<'_>]) -> PolarsResult<Vec<FactChange>> {
    Ok(diff_facts(&FactRef::rows(old)?, new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{test_fact as fact, Fact, Table};

    fn old_and_new(n: usize, changes: usize) -> (Vec<Fact>, Vec<Fact>) {
        let old: Vec<Fact> = (0..n)
            .map(|i| fact(&format!("p{i:03}"), Some(i as f64), Some(1.0)))
            .collect();
        let mut new = old.clone();
        for f in new.iter_mut().take(changes) {
            f.value = f.value.map(|v| v + 0.5);
        }
        new.remove(n - 1);
        new.push(fact("zz_new", Some(1.0), None));
        (old, new)
    }

    #[test]
    fn a_published_frame_diffs_like_the_facts_it_holds() {
        for changes in [2, 80] {
            let (old, new) = old_and_new(100, changes);
            let frame = Fact::to_frame(&old).unwrap();
            let new: Vec<FactRef> = new.iter().map(Fact::borrow).collect();
            let got = diff_facts_frame(&frame, &new).unwrap();
            let old: Vec<FactRef> = old.iter().map(Fact::borrow).collect();
            assert_eq!(got, diff_facts(&old, &new));
            // Out of key order, the same changes in the same order.
            let shuffled: Vec<FactRef> = new.iter().rev().copied().collect();
            assert_eq!(got, diff_facts(&old, &shuffled));
            let kinds: Vec<&str> = got.iter().map(|c| c.change).collect();
            assert_eq!(kinds.iter().filter(|k| **k == "changed").count(), changes);
            assert_eq!(kinds.iter().filter(|k| **k == "removed").count(), 1);
            assert_eq!(kinds.iter().filter(|k| **k == "added").count(), 1);
        }
    }
}
