//! Parks against each other and against their area: shares of the area's value, and rankings.

use std::collections::BTreeMap;

use polars::prelude::{DataFrame, IdxSize, NamedFrom, PolarsResult, Series};

use crate::config::pipeline::Pipeline;
use crate::model::{FactRef, PeriodKind, Ranking, Scope, Share};

type PeriodKey<'a> = (&'a str, i32, PeriodKind, Option<u8>, Option<u8>);

fn period_key<'a>(f: &FactRef<'a>) -> PeriodKey<'a> {
    (f.indicator, f.year, f.period_kind, f.month_from, f.month_to)
}

/// Each park's value as a share of its parent area's value for the same indicator and period,
/// next to the share a source states. `facts` are `frame` read in place.
pub fn shares(p: &Pipeline, frame: &DataFrame, facts: &[FactRef]) -> PolarsResult<DataFrame> {
    let mut by_entity: BTreeMap<(&str, PeriodKey), &FactRef> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.qualifier.is_none()) {
        if f.value.is_some() || f.share_pct.is_some() {
            by_entity.insert((f.entity_id, period_key(f)), f);
        }
    }
    let (mut rows, mut share_of, mut part, mut whole_value, mut computed_pct, mut stated_pct) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (i, f) in facts.iter().enumerate() {
        if f.scope != Scope::Park || f.qualifier.is_some() {
            continue;
        }
        let parent = p
            .entities
            .get(f.entity_id)
            .and_then(|e| e.parent.as_deref())
            .and_then(|id| p.entities.get(id));
        let whole = parent
            .and_then(|e| by_entity.get(&(e.id.as_str(), period_key(f))))
            .filter(|w| w.scope == e_scope(parent));
        let stated = f.share_pct.filter(|_| {
            f.share_of
                .is_some_and(|s| parent.is_some_and(|e| e.scope.as_str() == s))
        });
        let (part_value, whole) = (f.value, whole.and_then(|w| w.value));
        let computed = match (part_value, whole) {
            (Some(a), Some(b)) if b != 0.0 => Some(a / b * 100.0),
            _ => None,
        };
        if computed.is_none() && stated.is_none() {
            continue;
        }
        rows.push(i as IdxSize);
        share_of.push(
            parent
                .map(|e| e.id.as_str())
                .unwrap_or_else(|| f.share_of.unwrap_or_default()),
        );
        part.push(part_value);
        whole_value.push(whole);
        computed_pct.push(computed);
        stated_pct.push(stated);
    }
    crate::model::assemble::<Share>(
        frame,
        rows,
        vec![
            Series::new("share_of".into(), share_of),
            Series::new("part_value".into(), part),
            Series::new("whole_value".into(), whole_value),
            Series::new("computed_share_pct".into(), computed_pct),
            Series::new("stated_share_pct".into(), stated_pct),
        ],
    )
}

fn e_scope(e: Option<&crate::config::pipeline::EntityDef>) -> Scope {
    e.map(|e| e.scope).unwrap_or(Scope::Other)
}

/// Rank of each park among the parks with a value for the same indicator and period, by
/// value and by growth (1 = largest). `facts` are `frame` read in place.
pub fn rankings(frame: &DataFrame, facts: &[FactRef]) -> PolarsResult<DataFrame> {
    let mut groups: BTreeMap<PeriodKey, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate().filter(|(_, f)| {
        f.scope == Scope::Park
            && f.qualifier.is_none()
            && (f.value.is_some() || f.yoy_pct.is_some())
    }) {
        groups.entry(period_key(f)).or_default().push(i);
    }
    /// The ranked values of a group: how many, and the comparable ones largest first.
    struct Ranked {
        n: usize,
        desc: Vec<f64>,
    }
    impl Ranked {
        fn of(vals: impl Iterator<Item = f64>) -> Ranked {
            let mut n = 0;
            let mut desc: Vec<f64> = vals.inspect(|_| n += 1).filter(|v| !v.is_nan()).collect();
            desc.sort_unstable_by(|a, b| b.total_cmp(a));
            Ranked { n, desc }
        }
        fn len(&self) -> usize {
            self.n
        }
        /// 1 + how many values are larger (ties share a rank; nothing is larger than NaN),
        /// where at least two values are ranked.
        fn rank(&self, v: Option<f64>) -> Option<u32> {
            let v = v.filter(|_| self.n >= 2)?;
            Some(1 + self.desc.partition_point(|w| *w > v) as u32)
        }
    }
    let (mut rows, mut by_value, mut by_growth, mut n_ranked) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for group in groups.values().filter(|g| g.len() >= 2) {
        let value = Ranked::of(group.iter().filter_map(|&i| facts[i].value));
        let growth = Ranked::of(group.iter().filter_map(|&i| facts[i].yoy_pct));
        if value.len() < 2 && growth.len() < 2 {
            continue;
        }
        for &i in group {
            rows.push(i as IdxSize);
            by_value.push(value.rank(facts[i].value));
            by_growth.push(growth.rank(facts[i].yoy_pct));
            n_ranked.push(value.len().max(growth.len()) as u32);
        }
    }
    crate::model::assemble::<Ranking>(
        frame,
        rows,
        vec![
            Series::new("rank_by_value".into(), by_value),
            Series::new("rank_by_growth".into(), by_growth),
            Series::new("n_ranked".into(), n_ranked),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::{test_fact as fact, Table};

    #[test]
    fn ties_share_a_rank_and_a_missing_figure_has_none() {
        let facts = [
            fact("a", Some(5.0), Some(1.0)),
            fact("b", Some(9.0), None),
            fact("c", Some(5.0), Some(f64::NAN)),
            fact("d", Some(1.0), Some(3.0)),
        ];
        let frame = crate::model::Fact::to_frame(&facts).unwrap();
        let r = crate::model::Ranking::from_frame(
            &rankings(&frame, &facts.each_ref().map(|f| f.borrow())).unwrap(),
        )
        .unwrap();
        let got: Vec<(&str, Option<u32>, Option<u32>, u32)> = r
            .iter()
            .map(|x| {
                let id = x.entity_id.as_str();
                (id, x.rank_by_value, x.rank_by_growth, x.n_ranked)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", Some(2), Some(2), 4),
                ("b", Some(1), None, 4),
                // Nothing is larger than NaN, as with the comparison it replaces.
                ("c", Some(2), Some(1), 4),
                ("d", Some(4), Some(1), 4),
            ]
        );
    }
}
