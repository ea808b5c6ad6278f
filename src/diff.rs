//! Facts added, removed and changed between two published runs.
//!
//! A fact is matched by its key (entity, scope, indicator, period, qualifier);
//! it changed when a published figure differs: value, unit, growth, share or
//! the approximate flag. Lineage (sources, winner) alone is not a change.

use polars::prelude::{polars_err, DataFrame, IdxSize, PolarsResult};

use serde::Serialize;

use crate::model::{FactRef, PeriodKind, Scope};

use crate::publish::parquet::RowGroup;
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

/// The figure columns a change is about, as `Figures` reads them.
const FIGURES: [&str; 7] = [
    "value",
    "unit",
    "approx",
    "yoy_pct",
    "yoy_pp",
    "share_pct",
    "share_of",
];

/// Each row's fact key, read down the key columns in place.
fn keys(df: &DataFrame) -> PolarsResult<impl Iterator<Item = PolarsResult<Key<'_>>>> {
    let text = |c: &str| df.column(c).and_then(|c| c.str());
    let (entity, scope, indicator) = (text("entity_id")?, text("scope")?, text("indicator")?);
    let (period, qualifier) = (text("period_kind")?, text("qualifier")?);
    let year = df.column("year")?.i32()?;
    let (from, to) = (df.column("month_from")?.u8()?, df.column("month_to")?.u8()?);
    let null = || polars_err!(ComputeError: "a null in a key column of a facts table");
    Ok(entity
        .iter()
        .zip(scope.iter())
        .zip(indicator.iter())
        .zip(year.iter())
        .zip(period.iter())
        .zip(from.iter())
        .zip(to.iter())
        .zip(qualifier.iter())
        .map(move |(((((((e, s), i), y), p), f), t), q)| {
            Ok((
                e.ok_or_else(null)?,
                Scope::parse(s)?,
                i.ok_or_else(null)?,
                y.ok_or_else(null)?,
                PeriodKind::parse(p)?,
                f,
                t,
                q,
            ))
        }))
}

/// Rows of `old` and `new` matched by key: (old row, new row), either missing for a fact
/// added or removed.
type Pairs = Vec<(Option<IdxSize>, Option<IdxSize>)>;

/// Matches the rows by one walk down both frames, when both are in key order as runs
/// publish them; `None` when either is not (a file of another version or another tool).
fn walk(old: &DataFrame, new: &DataFrame) -> PolarsResult<Option<Pairs>> {
    use std::cmp::Ordering::{Greater, Less};
    let (mut a, mut b) = (keys(old)?, keys(new)?);
    let (mut ka, mut kb) = (a.next().transpose()?, b.next().transpose()?);
    let (mut i, mut j): (IdxSize, IdxSize) = (0, 0);
    let mut pairs = Pairs::with_capacity(new.height().max(old.height()));
    let rising = |before: Option<Key>, after: Option<Key>| match (before, after) {
        (Some(x), Some(y)) => y > x,
        _ => true,
    };
    loop {
        let order = match (ka, kb) {
            (None, None) => break,
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
        };
        pairs.push((
            (order != Greater).then_some(i),
            (order != Less).then_some(j),
        ));
        if order != Greater {
            let next = a.next().transpose()?;
            if !rising(ka, next) {
                return Ok(None);
            }
            (ka, i) = (next, i + 1);
        }
        if order != Less {
            let next = b.next().transpose()?;
            if !rising(kb, next) {
                return Ok(None);
            }
            (kb, j) = (next, j + 1);
        }
    }
    Ok(Some(pairs))
}

/// Matches the rows in one full join on the key (nulls equal), whatever their order.
fn join(old: &DataFrame, new: &DataFrame) -> PolarsResult<Pairs> {
    use crate::reconcile::facts::KEY;
    use polars::prelude::{DataFrameJoinOps, JoinArgs, JoinCoalesce, JoinType, NamedFrom, Series};
    let side = |df: &DataFrame, tag: &str| -> PolarsResult<DataFrame> {
        let mut s = df.select(KEY)?;
        let rows: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
        s.with_column(Series::new(format!("row_{tag}").into(), rows).into())?;
        Ok(s)
    };
    let args = JoinArgs {
        nulls_equal: true,
        coalesce: JoinCoalesce::CoalesceColumns,
        ..JoinArgs::new(JoinType::Full)
    };
    let met = side(old, "old")?.join(&side(new, "new")?, KEY, KEY, args, None)?;
    let (was, is) = (met.column("row_old")?.idx()?, met.column("row_new")?.idx()?);
    Ok(was.iter().zip(is.iter()).collect())
}

/// The changes from the facts frame `old` to `new`, in key order. Rows meet by key (one
/// walk down both, or a join when either is out of order); the figures of facts on
/// both sides are compared column by column; only the facts a change is about are read
/// in place.
pub fn diff_frames(old: &DataFrame, new: &DataFrame) -> PolarsResult<Vec<FactChange>> {
    use polars::prelude::{ChunkCompareEq, ChunkFull, IdxCa};
    let pairs = match walk(old, new)? {
        Some(p) => p,
        None => join(old, new)?,
    };
    let both: Vec<(IdxSize, IdxSize)> = pairs.iter().filter_map(|p| Some((p.0?, p.1?))).collect();
    let (was, is) = (
        IdxCa::from_vec("old".into(), both.iter().map(|p| p.0).collect()),
        IdxCa::from_vec("new".into(), both.iter().map(|p| p.1).collect()),
    );
    // Figures that may differ (NaN against NaN is settled below, as `same` does).
    let mut differs = polars::prelude::BooleanChunked::full("differs".into(), false, both.len());
    for f in FIGURES {
        let a = old.column(f)?.as_materialized_series().take(&was)?;
        let b = new.column(f)?.as_materialized_series().take(&is)?;
        differs = differs | a.not_equal_missing(&b)?;
    }
    // A fact on both sides stays a candidate where its figures may differ.
    let mut differing = differs.iter();
    let pairs: Pairs = pairs
        .into_iter()
        .filter(|p| p.0.is_none() || p.1.is_none() || differing.next().flatten() == Some(true))
        .collect();
    let take = |df: &DataFrame, rows: Vec<IdxSize>| crate::model::take_rows(df, rows);
    let old_rows = take(old, pairs.iter().filter_map(|p| p.0).collect())?;
    let new_rows = take(new, pairs.iter().filter_map(|p| p.1).collect())?;
    let (olds, news) = (FactRef::rows(&old_rows)?, FactRef::rows(&new_rows)?);
    let (mut olds, mut news) = (olds.iter(), news.iter());
    let mut out: Vec<(Key, FactChange)> = Vec::new();
    for (a, b) in pairs {
        let (o, n) = (a.and_then(|_| olds.next()), b.and_then(|_| news.next()));
        let change = match (o, n) {
            (Some(o), Some(n)) => {
                let fields = changed_fields(&figures(o), &figures(n));
                if fields.is_empty() {
                    continue;
                }
                (key(n), row("changed", Some(o), Some(n), fields.join(",")))
            }
            (Some(o), None) => (key(o), row("removed", Some(o), None, String::new())),
            (None, Some(n)) => (key(n), row("added", None, Some(n), String::new())),
            (None, None) => continue,
        };
        out.push(change);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// Row ranges of each side.
pub type Ranges = Vec<std::ops::Range<usize>>;

/// The rows of two facts tables written in digested row groups (`write_grouped_table`)
/// that may differ: on each side, the groups whose digest the other side lacks. Groups
/// with one digest on both sides hold the same rows, so the same entities, and a group
/// holds whole entities: no other group on either side has a fact of theirs, so none of
/// their facts can have changed. None when a side has no groups (a table written
/// otherwise, or empty), a group has no digest, or the groups do not add up to the
/// tables' rows (`rows`: old, new).
pub fn unmatched(
    old: &[RowGroup],
    new: &[RowGroup],
    rows: (usize, usize),
) -> Option<(Ranges, Ranges)> {
    use std::collections::HashSet;
    let sound = |g: &[RowGroup], n: usize| {
        !g.is_empty()
            && g.iter().all(|x| !x.digest.is_empty())
            && g.iter().map(|x| x.rows).sum::<usize>() == n
    };
    if !sound(old, rows.0) || !sound(new, rows.1) {
        return None;
    }
    let digests =
        |g: &[RowGroup]| -> HashSet<String> { g.iter().map(|x| x.digest.clone()).collect() };
    let ranges = |g: &[RowGroup], other: &HashSet<String>| -> Ranges {
        let mut out: Ranges = Vec::new();
        let mut start = 0;
        for x in g {
            let r = start..start + x.rows;
            start = r.end;
            if other.contains(&x.digest) {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => out.push(r),
            }
        }
        out
    };
    Some((ranges(old, &digests(new)), ranges(new, &digests(old))))
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
    fn frames_diff_by_key_whatever_their_order() {
        for changes in [2, 80] {
            let (old, new) = old_and_new(100, changes);
            let old_frame = Fact::to_frame(&old).unwrap();
            let got = diff_frames(&old_frame, &Fact::to_frame(&new).unwrap()).unwrap();
            // Out of key order, the same changes in the same order.
            let shuffled: Vec<Fact> = new.iter().rev().cloned().collect();
            let again = diff_frames(&old_frame, &Fact::to_frame(&shuffled).unwrap()).unwrap();
            assert_eq!(got, again);
            let kinds: Vec<&str> = got.iter().map(|c| c.change).collect();
            assert_eq!(kinds.iter().filter(|k| **k == "changed").count(), changes);
            assert_eq!(kinds.iter().filter(|k| **k == "removed").count(), 1);
            assert_eq!(kinds.iter().filter(|k| **k == "added").count(), 1);
            let first = &got[0];
            assert_eq!(
                (first.change, first.entity_id.as_str()),
                ("changed", "p000")
            );
            assert_eq!((first.old_value, first.new_value), (Some(0.0), Some(0.5)));
            assert_eq!(first.fields, "value");
            // Key order: p099 was removed, zz_new added last.
            assert_eq!(got[got.len() - 2].change, "removed");
            assert_eq!(got[got.len() - 1].entity_id, "zz_new");
        }
    }

    #[test]
    fn frames_in_key_order_are_walked_and_others_joined_to_the_same_pairs() {
        let (old, new) = old_and_new(50, 5);
        let (a, b) = (Fact::to_frame(&old).unwrap(), Fact::to_frame(&new).unwrap());
        let mut walked = walk(&a, &b).unwrap().expect("both in key order");
        let mut joined = join(&a, &b).unwrap();
        walked.sort();
        joined.sort();
        assert_eq!(walked, joined);
        // 49 kept, one removed (p049), one added (zz_new).
        assert_eq!(walked.len(), 51);
        let reversed: Vec<Fact> = new.iter().rev().cloned().collect();
        assert!(walk(&a, &Fact::to_frame(&reversed).unwrap())
            .unwrap()
            .is_none());
        assert!(walk(&Fact::to_frame(&reversed).unwrap(), &b)
            .unwrap()
            .is_none());
    }

    /// Groups with a digest on both sides are skipped on both; the others become row
    /// ranges, neighbours joined; a group without a digest, or groups that do not add up
    /// to the rows, mean every row is compared.
    #[test]
    fn only_groups_without_a_twin_are_compared() {
        let g = |rows: usize, digest: &str| RowGroup {
            rows,
            digest: digest.into(),
            copied: false,
        };
        let old = [g(3, "a"), g(2, "b"), g(4, "c"), g(1, "d")];
        let new = [g(3, "a"), g(5, "b2"), g(4, "c"), g(2, "e"), g(1, "f")];
        let (was, is) = unmatched(&old, &new, (10, 15)).unwrap();
        assert_eq!(was, vec![3..5, 9..10]);
        assert_eq!(is, vec![3..8, 12..15]);
        let same = unmatched(&old, &old, (10, 10)).unwrap();
        assert_eq!(same, (vec![], vec![]));
        assert_eq!(unmatched(&old, &new, (10, 14)), None);
        let undigested = [g(3, "a"), g(7, "")];
        assert_eq!(unmatched(&undigested, &new, (10, 15)), None);
        // No groups: an unreadable manifest gives none and 0 rows, never "all added".
        assert_eq!(unmatched(&old, &[], (10, 0)), None);
        assert_eq!(unmatched(&[], &new, (0, 15)), None);
    }

    #[test]
    fn nan_against_nan_and_lineage_alone_are_no_change() {
        let mut a = fact("p", Some(f64::NAN), Some(1.0));
        a.sources = "x".into();
        let mut b = a.clone();
        b.sources = "y".into();
        b.winner_obs_id = "other".into();
        let (a, b) = (Fact::to_frame(&[a]).unwrap(), Fact::to_frame(&[b]).unwrap());
        assert_eq!(diff_frames(&a, &b).unwrap(), vec![]);
    }
}
