//! Parks against each other and against their area: shares of the area's value, and rankings.

use std::collections::BTreeMap;

use crate::config::pipeline::Pipeline;
use crate::model::{FactRef, PeriodKind, Ranking, Scope, Share};

type PeriodKey<'a> = (&'a str, i32, PeriodKind, Option<u8>, Option<u8>);

fn period_key<'a>(f: &FactRef<'a>) -> PeriodKey<'a> {
    (f.indicator, f.year, f.period_kind, f.month_from, f.month_to)
}

/// Each park's value as a share of its parent area's value for the same indicator and period,
/// next to the share a source states.
pub fn shares(p: &Pipeline, facts: &[FactRef]) -> Vec<Share> {
    let mut by_entity: BTreeMap<(&str, PeriodKey), &FactRef> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.qualifier.is_none()) {
        if f.value.is_some() || f.share_pct.is_some() {
            by_entity.insert((f.entity_id, period_key(f)), f);
        }
    }
    let mut out = Vec::new();
    for f in facts
        .iter()
        .filter(|f| f.scope == Scope::Park && f.qualifier.is_none())
    {
        let parent = p
            .entities
            .get(&f.entity_id)
            .and_then(|e| e.parent.as_deref())
            .and_then(|id| p.entities.get(id));
        let whole = parent
            .and_then(|e| by_entity.get(&(e.id.as_str(), period_key(f))))
            .filter(|w| w.scope == e_scope(parent));
        let stated = f.share_pct.filter(|_| {
            f.share_of
                .as_deref()
                .is_some_and(|s| parent.is_some_and(|e| e.scope.as_str() == s))
        });
        let (part_value, whole_value) = (f.value, whole.and_then(|w| w.value));
        let computed = match (part_value, whole_value) {
            (Some(a), Some(b)) if b != 0.0 => Some(a / b * 100.0),
            _ => None,
        };
        if computed.is_none() && stated.is_none() {
            continue;
        }
        out.push(Share {
            entity_id: f.entity_id.to_string(),
            entity_name: f.entity_name.to_string(),
            indicator: f.indicator.to_string(),
            indicator_name: f.indicator_name.to_string(),
            year: f.year,
            period_kind: f.period_kind,
            month_from: f.month_from,
            month_to: f.month_to,
            share_of: parent
                .map(|e| e.id.clone())
                .unwrap_or_else(|| f.share_of.clone().unwrap_or_default().to_string()),
            part_value,
            whole_value,
            computed_share_pct: computed,
            stated_share_pct: stated,
        });
    }
    out
}

fn e_scope(e: Option<&crate::config::pipeline::EntityDef>) -> Scope {
    e.map(|e| e.scope).unwrap_or(Scope::Other)
}

/// Rank of each park among the parks with a value for the same indicator and period, by value and by growth (1 = largest).
pub fn rankings(facts: &[FactRef]) -> Vec<Ranking> {
    let mut groups: BTreeMap<PeriodKey, Vec<&FactRef>> = BTreeMap::new();
    for f in facts.iter().filter(|f| {
        f.scope == Scope::Park
            && f.qualifier.is_none()
            && (f.value.is_some() || f.yoy_pct.is_some())
    }) {
        groups.entry(period_key(f)).or_default().push(f);
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
        /// 1 + how many values are larger (ties share a rank; nothing is larger than NaN).
        fn rank(&self, v: Option<f64>) -> Option<u32> {
            let v = v?;
            Some(1 + self.desc.partition_point(|w| *w > v) as u32)
        }
    }
    let mut out = Vec::new();
    for group in groups.values().filter(|g| g.len() >= 2) {
        let by_value = Ranked::of(group.iter().filter_map(|f| f.value));
        let by_growth = Ranked::of(group.iter().filter_map(|f| f.yoy_pct));
        if by_value.len() < 2 && by_growth.len() < 2 {
            continue;
        }
        for f in group {
            out.push(Ranking {
                entity_id: f.entity_id.to_string(),
                entity_name: f.entity_name.to_string(),
                indicator: f.indicator.to_string(),
                indicator_name: f.indicator_name.to_string(),
                year: f.year,
                period_kind: f.period_kind,
                month_from: f.month_from,
                month_to: f.month_to,
                value: f.value,
                rank_by_value: if by_value.len() >= 2 {
                    by_value.rank(f.value)
                } else {
                    None
                },
                yoy_pct: f.yoy_pct,
                rank_by_growth: if by_growth.len() >= 2 {
                    by_growth.rank(f.yoy_pct)
                } else {
                    None
                },
                n_ranked: by_value.len().max(by_growth.len()) as u32,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::test_fact as fact;

    #[test]
    fn ties_share_a_rank_and_a_missing_figure_has_none() {
        let facts = [
            fact("a", Some(5.0), Some(1.0)),
            fact("b", Some(9.0), None),
            fact("c", Some(5.0), Some(f64::NAN)),
            fact("d", Some(1.0), Some(3.0)),
        ];
        let r = rankings(&facts.each_ref().map(|f| f.borrow()));
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
