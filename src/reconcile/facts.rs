//! One fact per key, chosen by source precedence; disagreements beyond rounding are conflicts.

use std::cmp::Ordering;

use crate::config::pipeline::Pipeline;
use crate::model::{Fact, Observation, PeriodKind, Scope, SourceKind};

/// The key of a fact (DESIGN.md, Reconcile, plus `qualifier`), borrowed from the observation.
pub type KeyRef<'a> = (
    &'a str,
    Scope,
    &'a str,
    i32,
    PeriodKind,
    Option<u8>,
    Option<u8>,
    Option<&'a str>,
);

/// The same key of a published fact (for comparing two runs' facts).
pub fn fact_key(f: &Fact) -> KeyRef<'_> {
    (
        f.entity_id.as_str(),
        f.scope,
        f.indicator.as_str(),
        f.year,
        f.period_kind,
        f.month_from,
        f.month_to,
        f.qualifier.as_deref(),
    )
}

pub fn key_ref(o: &Observation) -> KeyRef<'_> {
    (
        o.entity_id.as_str(),
        o.scope,
        o.indicator.as_str(),
        o.year,
        o.period_kind,
        o.month_from,
        o.month_to,
        o.qualifier.as_deref(),
    )
}

/// Two observations of one key whose values differ beyond their stated precision.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub winner: Observation,
    pub loser: Observation,
}

/// Facts and the conflicts found while choosing them.
#[derive(Debug, Default)]
pub struct Reconciled {
    pub facts: Vec<Fact>,
    pub conflicts: Vec<Conflict>,
}

/// Whether two values agree within half a unit of the last stated digit of the less precise one.
pub fn agree(a: f64, tol_a: f64, b: f64, tol_b: f64) -> bool {
    let tol = tol_a.max(tol_b);
    (a - b).abs() <= tol + 1e-9 * a.abs().max(b.abs())
}

/// Orders observations of one key: precedence, then the more precise, then a stable tie-break.
fn better(p: &Pipeline, a: &Observation, b: &Observation) -> Ordering {
    p.precedence_rank(a.source_kind)
        .cmp(&p.precedence_rank(b.source_kind))
        .then(a.tolerance.total_cmp(&b.tolerance))
        .then_with(|| b.source_path.cmp(&a.source_path))
        .then_with(|| a.locator.cmp(&b.locator))
}

/// Chooses one fact per key. `observations` need not be sorted; when they are sorted
/// by key (as the run sorts them) only each key's few rows are ordered here.
pub fn reconcile(p: &Pipeline, observations: &[Observation]) -> Reconciled {
    use rayon::prelude::*;
    let o = observations;
    let mut idx: Vec<usize> = (0..o.len()).collect();
    if !o.is_sorted_by(|a, b| key_ref(a) <= key_ref(b)) {
        idx.par_sort_by(|&a, &b| key_ref(&o[a]).cmp(&key_ref(&o[b])));
    }
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for end in 1..=idx.len() {
        if end == idx.len() || key_ref(&o[idx[end]]) != key_ref(&o[idx[start]]) {
            groups.push((start, end));
            start = end;
        }
    }
    // Keys are independent: decided in parallel, each fact written in its place.
    let (facts, conflicts): (Vec<Fact>, Vec<Vec<Conflict>>) = groups
        .par_iter()
        .map(|&(s, e)| {
            let mut group: Vec<&Observation> = idx[s..e].iter().map(|&i| &o[i]).collect();
            group.sort_by(|a, b| better(p, a, b));
            let mut conflicts = Vec::new();
            (one_fact(&group, &mut conflicts), conflicts)
        })
        .unzip();
    Reconciled {
        facts,
        conflicts: conflicts.into_iter().flatten().collect(),
    }
}

fn one_fact(group: &[&Observation], conflicts: &mut Vec<Conflict>) -> Fact {
    let head = group[0];
    let mut with_value = group.iter().find(|o| o.value.is_some()).copied();
    // Precedence and precision cannot decide between two files of one kind that state
    // the same figure differently: the newer file is the revised one.
    if let Some(w) = with_value {
        let tied: Vec<&Observation> = group
            .iter()
            .copied()
            .filter(|o| {
                o.value.is_some() && o.source_kind == w.source_kind && o.tolerance == w.tolerance
            })
            .collect();
        let disagree = tied.iter().any(|o| {
            !agree(
                w.value.unwrap_or(0.0),
                w.tolerance,
                o.value.unwrap_or(0.0),
                o.tolerance,
            )
        });
        if disagree {
            with_value = tied.iter().copied().max_by(|a, b| {
                a.source_mtime
                    .cmp(&b.source_mtime)
                    .then_with(|| b.source_path.cmp(&a.source_path))
                    .then_with(|| b.locator.cmp(&a.locator))
            });
        }
    }
    let winner = with_value.unwrap_or(head);
    // A correction overrides the inputs on purpose: that is not a conflict.
    let corrected = with_value.is_some_and(|w| w.source_kind == SourceKind::Correction);
    if let (Some(w), Some(wv), false) = (with_value, with_value.and_then(|o| o.value), corrected) {
        for o in group.iter().filter(|o| !std::ptr::eq(**o, w)) {
            if let Some(v) = o.value {
                if !agree(wv, w.tolerance, v, o.tolerance) {
                    conflicts.push(Conflict {
                        winner: w.clone(),
                        loser: (*o).clone(),
                    });
                }
            }
        }
    }
    let first = |f: fn(&Observation) -> Option<f64>| group.iter().find_map(|o| f(o));
    let share = group.iter().find(|o| o.share_pct.is_some());
    let mut sources: Vec<&str> = vec![winner.obs_id.as_str()];
    sources.extend(
        group
            .iter()
            .filter(|o| !std::ptr::eq(**o, winner))
            .map(|o| o.obs_id.as_str()),
    );
    let conflict = conflicts
        .last()
        .is_some_and(|c| c.winner.obs_id == winner.obs_id);
    Fact {
        entity_id: winner.entity_id.clone(),
        entity_name: winner.entity_name.clone(),
        scope: winner.scope,
        indicator: winner.indicator.clone(),
        indicator_name: winner.indicator_name.clone(),
        year: winner.year,
        period_kind: winner.period_kind,
        month_from: winner.month_from,
        month_to: winner.month_to,
        value: winner.value,
        unit: winner.unit.clone(),
        approx: winner.approx,
        yoy_pct: first(|o| o.yoy_pct),
        yoy_pp: first(|o| o.yoy_pp),
        share_pct: share.and_then(|o| o.share_pct),
        share_of: share.and_then(|o| o.share_of.clone()),
        n_sources: group.len() as u32,
        sources: sources.join(";"),
        conflict,
        corrected: winner.source_kind == SourceKind::Correction,
        winner_obs_id: winner.obs_id.clone(),
        winner_source_kind: winner.source_kind,
        qualifier: winner.qualifier.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_aware_agreement() {
        // 7亿 (±0.5亿) agrees with 70,312万 (±0.5万).
        assert!(agree(7e8, 0.5e8, 703_120_000.0, 5_000.0));
        assert!(!agree(7e8, 0.5e8, 760_000_000.0, 5_000.0));
        assert!(agree(63.3, 0.05, 63.333, 0.0005));
        assert!(!agree(70.0, 0.5, 63.333, 0.0005));
    }
}
