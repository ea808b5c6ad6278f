//! Parks against each other and against their area: shares of the area's value, and rankings.

use polars::prelude::{
    ChunkCompareEq, ChunkFilter, DataFrame, DataFrameJoinOps, Float64Chunked, GroupsIndicator,
    IdxSize, JoinArgs, JoinType, MaintainOrderJoin, NamedFrom, PolarsResult, Series, StringChunked,
    UniqueKeepStrategy,
};

use crate::config::pipeline::Pipeline;
use std::collections::HashSet;

use crate::model::{column, is_in, take_rows, true_rows, Ranking, Scope, Share};

/// What one period of one indicator is, across entities.
const PERIOD: [&str; 5] = ["indicator", "year", "period_kind", "month_from", "month_to"];

/// `values` where `keep` is true, null elsewhere.
fn only_where(values: &Float64Chunked, keep: &polars::prelude::BooleanChunked) -> Float64Chunked {
    values
        .iter()
        .zip(keep.iter())
        .map(|(v, k)| if k == Some(true) { v } else { None })
        .collect()
}

/// A row number column, to carry a fact's row through filters and joins.
fn numbered(mut df: DataFrame, rows: Vec<IdxSize>) -> PolarsResult<DataFrame> {
    df.with_column(Series::new("row".into(), rows).into())?;
    Ok(df)
}

/// Each park's value as a share of its parent area's value for the same indicator and
/// period, next to the share a source states: the parks' facts joined with their
/// parents' facts of the same period.
pub fn shares(p: &Pipeline, frame: &DataFrame) -> PolarsResult<DataFrame> {
    // Each entity's parent, where both are in the pipeline.
    let mut links: Vec<(&str, &str, &str)> = p
        .entities
        .all()
        .iter()
        .filter_map(|e| {
            let me = p.entities.get(&e.id)?;
            let parent = p.entities.get(me.parent.as_deref()?)?;
            Some((me.id.as_str(), parent.id.as_str(), parent.scope.as_str()))
        })
        .collect();
    links.sort_unstable();
    links.dedup();
    let children: HashSet<&str> = links.iter().map(|l| l.0).collect();
    let parents: HashSet<&str> = links.iter().map(|l| l.1).collect();
    if children.is_empty() {
        // No park has a parent (a pipeline of open entities): no share to compute, and
        // no pass over the facts to find that out.
        let none = |name: &str| Series::new(name.into(), Vec::<f64>::new());
        return crate::model::assemble::<Share>(
            frame,
            Vec::new(),
            vec![
                Series::new("share_of".into(), Vec::<&str>::new()),
                none("part_value"),
                none("whole_value"),
                none("computed_share_pct"),
                none("stated_share_pct"),
            ],
        );
    }
    let entity = frame.column("entity_id")?.str()?;

    // Only a park with a parent has a share: it needs the parent's value or scope.
    let unqualified = frame.column("qualifier")?.is_null();
    let park_rows = true_rows(
        &(frame.column("scope")?.str()?.equal(Scope::Park.as_str())
            & unqualified.clone()
            & is_in(entity, &children)),
    );
    let mut columns: Vec<&str> = vec!["entity_id"];
    columns.extend(PERIOD);
    columns.extend(["value", "share_pct", "share_of"]);
    let parts = numbered(
        take_rows(&frame.select(columns)?, park_rows.clone())?,
        park_rows,
    )?;
    let links = DataFrame::new_infer_height(vec![
        column("entity_id", links.iter().map(|l| l.0)),
        column("parent_id", links.iter().map(|l| l.1)),
        column("parent_scope", links.iter().map(|l| l.2)),
    ])?;
    let left = |nulls_equal| JoinArgs {
        nulls_equal,
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let parts = parts.join(&links, ["entity_id"], ["entity_id"], left(false), None)?;

    // The fact an area states for a period: of several (units, scopes), the last in key order.
    let stated = frame.column("value")?.is_not_null() | frame.column("share_pct")?.is_not_null();
    let mut wholes = frame
        .select(["entity_id", "scope", "value"].into_iter().chain(PERIOD))?
        .filter(&(unqualified & stated & is_in(entity, &parents)))?;
    let mut subset = vec!["entity_id".to_string()];
    subset.extend(PERIOD.iter().map(|c| c.to_string()));
    wholes = wholes.unique_stable(Some(&subset), UniqueKeepStrategy::Last, None)?;
    wholes.rename("entity_id", "parent_id".into())?;
    wholes.rename("scope", "whole_scope".into())?;
    wholes.rename("value", "whole_value".into())?;
    let mut by_parent = vec!["parent_id"];
    by_parent.extend(PERIOD);
    let met = parts.join(&wholes, &by_parent, &by_parent, left(true), None)?;

    let parent_scope = met.column("parent_scope")?.str()?;
    let whole = only_where(
        met.column("whole_value")?.f64()?,
        &met.column("whole_scope")?.str()?.equal(parent_scope),
    );
    let stated = only_where(
        met.column("share_pct")?.f64()?,
        &met.column("share_of")?.str()?.equal(parent_scope),
    );
    let part = met.column("value")?.f64()?;
    let computed = only_where(&((part / &whole) * 100.0), &whole.not_equal(0.0));
    let keep = computed.is_not_null() | stated.is_not_null();
    let share_of: StringChunked = met
        .column("parent_id")?
        .str()?
        .iter()
        .zip(met.column("share_of")?.str()?.iter())
        .map(|(parent, said)| Some(parent.or(said).unwrap_or_default()))
        .collect();
    let keep_f = |c: &Float64Chunked| -> PolarsResult<Series> { Ok(c.filter(&keep)?.into()) };
    let rows: Vec<IdxSize> = met
        .column("row")?
        .idx()?
        .filter(&keep)?
        .into_no_null_iter()
        .collect();
    crate::model::assemble::<Share>(
        frame,
        rows,
        vec![
            share_of.filter(&keep)?.with_name("share_of".into()).into(),
            keep_f(part)?.with_name("part_value".into()),
            keep_f(&whole)?.with_name("whole_value".into()),
            keep_f(&computed)?.with_name("computed_share_pct".into()),
            keep_f(&stated)?.with_name("stated_share_pct".into()),
        ],
    )
}

/// Rank of each park among the parks with a value for the same indicator and period, by
/// value and by growth (1 = largest): the parks' facts grouped by period, each group
/// ranked over its column values. Rows are in the facts' key order (entity, indicator,
/// period), as the other tables are: when every fact is ranked, the table shares the
/// facts' columns instead of gathering a copy of them.
pub fn rankings(frame: &DataFrame) -> PolarsResult<DataFrame> {
    let ranked = frame.column("scope")?.str()?.equal(Scope::Park.as_str())
        & frame.column("qualifier")?.is_null()
        & (frame.column("value")?.is_not_null() | frame.column("yoy_pct")?.is_not_null());
    let fact_rows = true_rows(&ranked);
    let mut columns: Vec<&str> = PERIOD.to_vec();
    columns.extend(["value", "yoy_pct"]);
    let parks = take_rows(&frame.select(columns)?, fact_rows.clone())?;
    let by_period = parks.group_by_stable(PERIOD)?;
    let parks = crate::model::one_chunk(&parks);
    let (value, yoy) = (
        crate::model::nums(parks.column("value")?.f64()?)?,
        crate::model::nums(parks.column("yoy_pct")?.f64()?)?,
    );

    // Each park row's ranks; `n_ranked` stays 0 where its period has fewer than two
    // parks to rank (those rows are left out).
    let h = parks.height();
    let (mut by_value, mut by_growth) = (vec![None; h], vec![None; h]);
    let mut n_ranked = vec![0u32; h];
    let mut sorted: Vec<(f64, IdxSize)> = Vec::new();
    let mut rank_group = |group: &[IdxSize]| {
        if group.len() < 2 {
            return;
        }
        let n_values = rank(group, &value, &mut sorted, &mut by_value);
        let n_growth = rank(group, &yoy, &mut sorted, &mut by_growth);
        let n = n_values.max(n_growth);
        if n >= 2 {
            for &i in group {
                n_ranked[i as usize] = n as u32;
            }
        }
    };
    for g in by_period.get_groups().iter() {
        match g {
            GroupsIndicator::Idx((_, rows)) => rank_group(rows),
            GroupsIndicator::Slice([first, len]) => {
                rank_group(&(first..first + len).collect::<Vec<_>>())
            }
        }
    }
    let kept = |ranks: Vec<Option<u32>>| -> Vec<Option<u32>> {
        ranks
            .into_iter()
            .zip(&n_ranked)
            .filter_map(|(r, &n)| (n > 0).then_some(r))
            .collect()
    };
    let (by_value, by_growth) = (kept(by_value), kept(by_growth));
    let rows = fact_rows
        .iter()
        .zip(&n_ranked)
        .filter_map(|(&row, &n)| (n > 0).then_some(row))
        .collect();
    n_ranked.retain(|&n| n > 0);
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

/// Ranks one period's `values` of rows `group` into `out` (1 + how many values are
/// larger: ties share a rank, and nothing is larger than NaN) where at least two rows
/// have a value; returns how many have one. Sorted once, largest first, then walked.
fn rank(
    group: &[IdxSize],
    values: &impl Fn(usize) -> Option<f64>,
    sorted: &mut Vec<(f64, IdxSize)>,
    out: &mut [Option<u32>],
) -> usize {
    let n = group
        .iter()
        .filter(|&&i| values(i as usize).is_some())
        .count();
    if n < 2 {
        return n;
    }
    sorted.clear();
    for &i in group {
        match values(i as usize) {
            Some(v) if v.is_nan() => out[i as usize] = Some(1),
            Some(v) => sorted.push((v, i)),
            None => {}
        }
    }
    sorted.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut r = 1;
    for (j, &(v, i)) in sorted.iter().enumerate() {
        if j > 0 && sorted[j - 1].0 > v {
            r = j as u32 + 1;
        }
        out[i as usize] = Some(r);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::{test_fact as fact, Fact, PeriodKind, Table};

    /// Without parent links the shares come back without a pass over the facts, as the
    /// frame the full path gives when no park has a parent in the facts.
    #[test]
    fn no_parent_links_give_the_empty_shares_of_the_full_path() {
        let mut p =
            crate::config::pipeline::Pipeline::load(std::path::Path::new("pipelines/default.toml"))
                .unwrap();
        let frame = crate::model::Fact::to_frame(&[fact("a", Some(5.0), None)]).unwrap();
        let full = shares(&p, &frame).unwrap();
        p.entities = crate::config::pipeline::Entities::open();
        let early = shares(&p, &frame).unwrap();
        assert_eq!(full.height(), 0);
        assert_eq!(full.schema(), early.schema());
        assert!(full.equals_missing(&early));
        assert_eq!(
            **early.schema(),
            **Share::to_frame(&[]).unwrap().schema(),
            "the published schema"
        );
    }

    /// A ranking row as the rules give it: entity, indicator, year, period kind, months,
    /// rank by value, rank by growth, how many were ranked.
    type RankRow = (
        String,
        String,
        i32,
        PeriodKind,
        Option<u8>,
        Option<u8>,
        Option<u32>,
        Option<u32>,
        u32,
    );

    /// Rankings as the rules state them: parks' unqualified facts with a figure, grouped
    /// by indicator and period, each figure ranked among its group's (1 + how many are
    /// larger; NaN counts but is never larger), where two or more are; in the facts'
    /// order.
    fn ranks_by_the_rules(facts: &[Fact]) -> Vec<RankRow> {
        use std::collections::BTreeMap;
        type Period<'a> = (&'a str, i32, PeriodKind, Option<u8>, Option<u8>);
        let mut groups: BTreeMap<Period, Vec<(usize, &Fact)>> = BTreeMap::new();
        for (at, f) in facts.iter().enumerate() {
            if f.scope == Scope::Park
                && f.qualifier.is_none()
                && (f.value.is_some() || f.yoy_pct.is_some())
            {
                groups
                    .entry((
                        &f.indicator,
                        f.year,
                        f.period_kind,
                        f.month_from,
                        f.month_to,
                    ))
                    .or_default()
                    .push((at, f));
            }
        }
        let rank = |all: &[Option<f64>], v: Option<f64>| -> Option<u32> {
            let n = all.iter().flatten().count();
            let v = v.filter(|_| n >= 2)?;
            Some(
                1 + all
                    .iter()
                    .flatten()
                    .filter(|w| !w.is_nan() && **w > v)
                    .count() as u32,
            )
        };
        let mut out = BTreeMap::new();
        for ((indicator, year, kind, from, to), members) in groups {
            let values: Vec<Option<f64>> = members.iter().map(|(_, f)| f.value).collect();
            let growth: Vec<Option<f64>> = members.iter().map(|(_, f)| f.yoy_pct).collect();
            let (nv, ng) = (
                values.iter().flatten().count(),
                growth.iter().flatten().count(),
            );
            if members.len() < 2 || nv < 2 && ng < 2 {
                continue;
            }
            for (at, f) in members {
                out.insert(
                    at,
                    (
                        f.entity_id.clone(),
                        indicator.to_string(),
                        year,
                        kind,
                        from,
                        to,
                        rank(&values, f.value),
                        rank(&growth, f.yoy_pct),
                        nv.max(ng) as u32,
                    ),
                );
            }
        }
        out.into_values().collect()
    }

    proptest::proptest! {
        #[test]
        fn rankings_are_what_the_rules_say(parts in proptest::collection::vec(
            (0..4u8, 0..2u8, 0..3u8, 2023..2026i32, 0..3u8, 1..4u8, 0..4u8,
             proptest::option::of(-3..4i8), proptest::option::of(-3..4i8)),
            0..40,
        )) {
            let mut facts: Vec<Fact> = parts
                .into_iter()
                .map(|(e, scope, indicator, year, kind, m, q, v, g)| {
                    // -3 stands for NaN, to rank beside numbers.
                    let figure = |x: Option<i8>| x.map(|x| if x == -3 { f64::NAN } else { x as f64 });
                    let mut f = fact(["d", "a", "c", "b"][e as usize], figure(v), figure(g));
                    f.scope = [Scope::Park, Scope::City][scope as usize];
                    f.indicator = ["revenue", "tax", "output"][indicator as usize].into();
                    f.year = year;
                    (f.period_kind, f.month_from, f.month_to) = match kind {
                        0 => (PeriodKind::Ytd, Some(1), Some(m)),
                        1 => (PeriodKind::Month, Some(m), Some(m)),
                        _ => (PeriodKind::AsOf, None, Some(m)),
                    };
                    f.qualifier = (q == 3).then(|| "累计".to_string());
                    f
                })
                .collect();
            facts.sort_by(|a, b| crate::reconcile::facts::fact_key(&a.borrow())
                .cmp(&crate::reconcile::facts::fact_key(&b.borrow())));
            facts.dedup_by(|a, b| crate::reconcile::facts::fact_key(&a.borrow())
                == crate::reconcile::facts::fact_key(&b.borrow()));
            let frame = Fact::to_frame(&facts).unwrap();
            let got: Vec<_> = Ranking::from_frame(&rankings(&frame).unwrap())
                .unwrap()
                .into_iter()
                .map(|r| (r.entity_id, r.indicator, r.year, r.period_kind, r.month_from, r.month_to,
                          r.rank_by_value, r.rank_by_growth, r.n_ranked))
                .collect();
            proptest::prop_assert_eq!(got, ranks_by_the_rules(&facts));
        }
    }

    #[test]
    fn ties_share_a_rank_and_a_missing_figure_has_none() {
        let facts = [
            fact("a", Some(5.0), Some(1.0)),
            fact("b", Some(9.0), None),
            fact("c", Some(5.0), Some(f64::NAN)),
            fact("d", Some(1.0), Some(3.0)),
        ];
        let frame = crate::model::Fact::to_frame(&facts).unwrap();
        let ranked = rankings(&frame).unwrap();
        // Every fact is ranked: the table shares the facts' columns, copying none.
        let views = |df: &DataFrame| {
            let ca = df.column("entity_name").unwrap().str().unwrap();
            ca.downcast_iter().next().unwrap().views().as_ptr() as usize
        };
        assert_eq!(views(&ranked), views(&frame));
        let r = crate::model::Ranking::from_frame(&ranked).unwrap();
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
