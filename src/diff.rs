//! Facts added, removed and changed between two published runs.
//!
//! A fact is matched by its key (entity, scope, indicator, period, qualifier);
//! it changed when a published figure differs: value, unit, growth, share or
//! the approximate flag. Lineage (sources, winner) alone is not a change.

use polars::prelude::{
    DataFrame, IdxCa, IdxSize, PlHashMap as HashMap, PlHashSet as HashSet, PolarsResult,
};

use serde::Serialize;

use crate::model::{Fact, PeriodKind, Scope, Table};

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

fn figures(f: &Fact) -> Figures<'_> {
    Figures {
        value: f.value,
        unit: &f.unit,
        approx: f.approx,
        yoy_pct: f.yoy_pct,
        yoy_pp: f.yoy_pp,
        share_pct: f.share_pct,
        share_of: f.share_of.as_deref(),
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

/// One difference, by row: of the old facts, of the new, or both.
enum Step {
    Added(usize),
    Changed(usize, usize, String),
    Removed(usize),
}

/// What differs, in key order: `old_key(i)` and `old_figures(i)` read the old side's row `i`.
fn steps<'a>(
    old_len: usize,
    old_key: impl Fn(usize) -> Key<'a>,
    old_figures: impl Fn(usize) -> Figures<'a>,
    new: &'a [Fact],
) -> Vec<Step> {
    let mut before: HashMap<Key, usize> =
        HashMap::with_capacity_and_hasher(old_len, Default::default());
    for i in 0..old_len {
        before.insert(old_key(i), i);
    }
    let mut seen: HashSet<Key> = HashSet::with_capacity_and_hasher(new.len(), Default::default());
    let mut out: Vec<(Key, Step)> = Vec::new();
    for (j, n) in new.iter().enumerate() {
        let k = key(n);
        seen.insert(k);
        match before.get(&k) {
            None => out.push((k, Step::Added(j))),
            Some(&i) => {
                let fields = changed_fields(&old_figures(i), &figures(n));
                if !fields.is_empty() {
                    out.push((k, Step::Changed(i, j, fields.join(","))));
                }
            }
        }
    }
    for (k, &i) in &before {
        if !seen.contains(k) {
            out.push((*k, Step::Removed(i)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, s)| s).collect()
}

/// The change rows of `steps`; `old(i)` is the old side's row `i` (always there for
/// the rows `steps` names).
fn rows<'a>(
    steps: Vec<Step>,
    old: impl Fn(usize) -> Option<&'a Fact>,
    new: &[Fact],
) -> Vec<FactChange> {
    steps
        .into_iter()
        .filter_map(|s| match s {
            Step::Added(j) => Some(row("added", None, Some(&new[j]), String::new())),
            Step::Changed(i, j, fields) => {
                Some(row("changed", Some(old(i)?), Some(&new[j]), fields))
            }
            Step::Removed(i) => Some(row("removed", Some(old(i)?), None, String::new())),
        })
        .collect()
}

/// The changes from `old` to `new`, in key order.
pub fn diff_facts(old: &[Fact], new: &[Fact]) -> Vec<FactChange> {
    let steps = steps(old.len(), |i| key(&old[i]), |i| figures(&old[i]), new);
    rows(steps, |i| old.get(i), new)
}

/// The same, with the old facts as a run published them (a `facts` frame): only the
/// rows that changed or went are built into facts, so a rerun's report does not
/// rebuild a whole previous run's facts to find the few that differ.
pub fn diff_facts_frame(old: &DataFrame, new: &[Fact]) -> PolarsResult<Vec<FactChange>> {
    let col = |name: &str| {
        old.column(name)
            .map(|c| c.as_materialized_series().rechunk())
    };
    let (entity, scope, indicator, period) = (
        col("entity_id")?,
        col("scope")?,
        col("indicator")?,
        col("period_kind")?,
    );
    let (year, month_from, month_to, qualifier) = (
        col("year")?,
        col("month_from")?,
        col("month_to")?,
        col("qualifier")?,
    );
    let (value, unit, approx, yoy_pct, yoy_pp, share_pct, share_of) = (
        col("value")?,
        col("unit")?,
        col("approx")?,
        col("yoy_pct")?,
        col("yoy_pp")?,
        col("share_pct")?,
        col("share_of")?,
    );
    let (entity, scope, indicator, period) =
        (entity.str()?, scope.str()?, indicator.str()?, period.str()?);
    let (year, month_from, month_to, qualifier) = (
        year.i32()?,
        month_from.u8()?,
        month_to.u8()?,
        qualifier.str()?,
    );
    let (value, unit, approx) = (value.f64()?, unit.str()?, approx.bool()?);
    let (yoy_pct, yoy_pp, share_pct, share_of) = (
        yoy_pct.f64()?,
        yoy_pp.f64()?,
        share_pct.f64()?,
        share_of.str()?,
    );
    let n = old.height();
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        keys.push((
            entity.get(i).unwrap_or_default(),
            Scope::parse(scope.get(i))?,
            indicator.get(i).unwrap_or_default(),
            year.get(i).unwrap_or_default(),
            PeriodKind::parse(period.get(i))?,
            month_from.get(i),
            month_to.get(i),
            qualifier.get(i),
        ));
    }
    let steps = steps(
        n,
        |i| keys[i],
        |i| Figures {
            value: value.get(i),
            unit: unit.get(i).unwrap_or_default(),
            approx: approx.get(i).unwrap_or_default(),
            yoy_pct: yoy_pct.get(i),
            yoy_pp: yoy_pp.get(i),
            share_pct: share_pct.get(i),
            share_of: share_of.get(i),
        },
        new,
    );
    let wanted: Vec<usize> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Changed(i, ..) | Step::Removed(i) => Some(*i),
            Step::Added(_) => None,
        })
        .collect();
    // Only the rows that changed or went become facts, in one pass over those rows.
    let take = IdxCa::from_vec("".into(), wanted.iter().map(|&i| i as IdxSize).collect());
    let built = Fact::from_frame(&old.take(&take)?)?;
    let at: HashMap<usize, usize> = wanted.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    Ok(rows(steps, |i| at.get(&i).and_then(|&p| built.get(p)), new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_fact as fact;

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
            let got = diff_facts_frame(&frame, &new).unwrap();
            assert_eq!(got, diff_facts(&old, &new));
            let kinds: Vec<&str> = got.iter().map(|c| c.change).collect();
            assert_eq!(kinds.iter().filter(|k| **k == "changed").count(), changes);
            assert_eq!(kinds.iter().filter(|k| **k == "removed").count(), 1);
            assert_eq!(kinds.iter().filter(|k| **k == "added").count(), 1);
        }
    }
}
