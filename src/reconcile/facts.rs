//! One fact per key, chosen by source precedence; disagreements beyond rounding are conflicts.

use std::cmp::Ordering;

use polars::prelude::{
    polars_err, DataFrame, IdxCa, IdxSize, IntoSeries, NamedFrom, PolarsResult, Series,
    StringChunked, StringChunkedBuilder,
};

use crate::config::pipeline::Pipeline;
use crate::model::{Fact, FactRef, Observation, PeriodKind, Scope, SourceKind, Table};
use crate::normalize::frame::{MTIME, TOLERANCE};

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
pub fn fact_key<'a>(f: &FactRef<'a>) -> KeyRef<'a> {
    (
        f.entity_id,
        f.scope,
        f.indicator,
        f.year,
        f.period_kind,
        f.month_from,
        f.month_to,
        f.qualifier,
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
    /// The facts table, in key order (`FactRef::rows` reads it in place).
    pub frame: DataFrame,
    pub conflicts: Vec<Conflict>,
}

/// Whether two values agree within half a unit of the last stated digit of the less precise one.
pub fn agree(a: f64, tol_a: f64, b: f64, tol_b: f64) -> bool {
    let tol = tol_a.max(tol_b);
    (a - b).abs() <= tol + 1e-9 * a.abs().max(b.abs())
}

/// The columns a key's decision reads, from the sorted observations frame.
struct Cols<'a> {
    value: Vec<Option<f64>>,
    tolerance: Vec<f64>,
    kind: Vec<SourceKind>,
    rank: Vec<usize>,
    mtime: Vec<i64>,
    yoy_pct: Vec<Option<f64>>,
    yoy_pp: Vec<Option<f64>>,
    share_pct: Vec<Option<f64>>,
    source_path: &'a StringChunked,
    locator: &'a StringChunked,
}

impl Cols<'_> {
    fn path(&self, i: usize) -> &str {
        self.source_path.get(i).unwrap_or("")
    }
    fn locator(&self, i: usize) -> &str {
        self.locator.get(i).unwrap_or("")
    }
    /// Orders rows of one key: precedence, then the more precise, then a stable tie-break.
    fn better(&self, a: usize, b: usize) -> Ordering {
        self.rank[a]
            .cmp(&self.rank[b])
            .then(self.tolerance[a].total_cmp(&self.tolerance[b]))
            .then_with(|| self.path(b).cmp(self.path(a)))
            .then_with(|| self.locator(a).cmp(self.locator(b)))
    }
}

/// One key's decision, as row numbers of the observations frame.
struct Decided {
    winner: usize,
    yoy_pct: Option<f64>,
    yoy_pp: Option<f64>,
    share: Option<usize>,
    /// (winner, loser) pairs that disagree beyond rounding.
    conflicts: Vec<(usize, usize)>,
}

/// The columns of a fact's key (`KeyRef`), in observations and facts alike: in sorted
/// observations, a row whose key equals the previous row's continues its group.
pub const KEY: [&str; 8] = [
    "entity_id",
    "scope",
    "indicator",
    "year",
    "period_kind",
    "month_from",
    "month_to",
    "qualifier",
];

/// Chooses one fact per key from observations sorted by key (`normalize::frame::sort`).
/// Keys are found and facts gathered column by column; only a key with several rows
/// orders them, and only conflicts become rows again.
pub fn reconcile(p: &Pipeline, obs: &DataFrame) -> PolarsResult<Reconciled> {
    use rayon::prelude::*;
    let obs = &*crate::model::one_chunk(obs);
    let n = obs.height();
    let same = crate::model::same_as_previous(obs, &KEY)?;
    let mut starts: Vec<usize> = same
        .iter()
        .enumerate()
        .filter_map(|(i, s)| (s != Some(true)).then_some(i))
        .collect();
    starts.push(n);
    // Every key with one row (every fact from one observation): nothing to decide.
    if starts.len() - 1 == n && obs.column("obs_id")?.null_count() == 0 {
        return one_each(obs);
    }
    let f64s = |name: &str| -> PolarsResult<Vec<Option<f64>>> {
        Ok(obs.column(name)?.f64()?.iter().collect())
    };
    let kind = source_kinds(obs)?;
    let cols = Cols {
        value: f64s("value")?,
        tolerance: f64s(TOLERANCE)?
            .into_iter()
            .map(|t| t.unwrap_or(0.0))
            .collect(),
        rank: kind.iter().map(|k| p.precedence_rank(*k)).collect(),
        kind,
        mtime: obs
            .column(MTIME)?
            .i64()?
            .iter()
            .map(|t| t.unwrap_or(0))
            .collect(),
        yoy_pct: f64s("yoy_pct")?,
        yoy_pp: f64s("yoy_pp")?,
        share_pct: f64s("share_pct")?,
        source_path: obs.column("source_path")?.str()?,
        locator: obs.column("locator")?.str()?,
    };
    // Rows of each key, the key's several rows (rare) in the order they are chosen by.
    let mut order: Vec<usize> = (0..n).collect();
    for w in starts.windows(2) {
        if w[1] - w[0] > 1 {
            order[w[0]..w[1]].sort_by(|a, b| cols.better(*a, *b));
        }
    }
    // Keys are independent: decided in parallel, in key order.
    let decided: Vec<Decided> = starts
        .par_windows(2)
        .map(|w| decide(&cols, &order[w[0]..w[1]]))
        .collect();

    let obs_id = crate::model::strs(obs, "obs_id")?;
    let share_col = crate::model::strs(obs, "share_of")?;
    let mut winners = Vec::with_capacity(decided.len());
    let mut sources = StringChunkedBuilder::new("sources".into(), decided.len());
    let mut buf = String::new();
    let mut share_of: Vec<Option<&str>> = Vec::with_capacity(decided.len());
    let mut pairs: Vec<IdxSize> = Vec::new();
    for (d, w) in decided.iter().zip(starts.windows(2)) {
        let group = &order[w[0]..w[1]];
        winners.push(d.winner as IdxSize);
        buf.clear();
        buf.push_str(obs_id(d.winner).unwrap_or(""));
        for &i in group.iter().filter(|&&i| i != d.winner) {
            buf.push(';');
            buf.push_str(obs_id(i).unwrap_or(""));
        }
        sources.append_value(&buf);
        share_of.push(d.share.and_then(share_col));
        for &(w, l) in &d.conflicts {
            pairs.extend([w as IdxSize, l as IdxSize]);
        }
    }
    let winner_idx = IdxCa::from_vec("winner".into(), winners.clone());
    let renamed = |from: &str, to: &str| -> PolarsResult<Series> {
        let mut s = obs
            .column(from)?
            .take(&winner_idx)?
            .as_materialized_series()
            .clone();
        s.rename(to.into());
        Ok(s)
    };
    let sources = sources.finish().into_series();
    let each = |f: &dyn Fn(&Decided) -> Option<f64>| -> Vec<Option<f64>> {
        decided.iter().map(f).collect()
    };
    let frame = crate::model::assemble::<Fact>(
        obs,
        winners,
        vec![
            Series::new("yoy_pct".into(), each(&|d| d.yoy_pct)),
            Series::new("yoy_pp".into(), each(&|d| d.yoy_pp)),
            Series::new(
                "share_pct".into(),
                each(&|d| d.share.and_then(|i| cols.share_pct[i])),
            ),
            Series::new("share_of".into(), share_of),
            Series::new(
                "n_sources".into(),
                starts
                    .windows(2)
                    .map(|w| (w[1] - w[0]) as u32)
                    .collect::<Vec<_>>(),
            ),
            sources,
            Series::new(
                "conflict".into(),
                decided
                    .iter()
                    .map(|d| !d.conflicts.is_empty())
                    .collect::<Vec<_>>(),
            ),
            Series::new(
                "corrected".into(),
                decided
                    .iter()
                    .map(|d| cols.kind[d.winner] == SourceKind::Correction)
                    .collect::<Vec<_>>(),
            ),
            renamed("obs_id", "winner_obs_id")?,
            renamed("source_kind", "winner_source_kind")?,
        ],
    )?;

    // Only the rows of conflicts are read back as observations (for the check's words).
    let both = obs.take(&IdxCa::from_vec("pairs".into(), pairs))?;
    let mut rows = Observation::from_frame(&both)?;
    let tol = both.column(TOLERANCE)?.f64()?;
    for (o, t) in rows.iter_mut().zip(tol.iter()) {
        o.tolerance = t.unwrap_or(0.0);
    }
    let mut rows = rows.into_iter();
    let mut conflicts = Vec::new();
    while let (Some(winner), Some(loser)) = (rows.next(), rows.next()) {
        conflicts.push(Conflict { winner, loser });
    }
    Ok(Reconciled { frame, conflicts })
}

/// The facts when every key has one observation and every observation an id: each
/// fact is its observation, so the facts share the observations' columns (a fact's
/// `sources` is its `obs_id`), and nothing is decided, sorted or collected per row.
/// The same facts as `decide` gives each key of one row.
fn one_each(obs: &DataFrame) -> PolarsResult<Reconciled> {
    let n = obs.height();
    let shared = |from: &str, to: &str| -> PolarsResult<Series> {
        let mut s = obs.column(from)?.as_materialized_series().clone();
        s.rename(to.into());
        Ok(s)
    };
    let corrected: Vec<bool> = source_kinds(obs)?
        .into_iter()
        .map(|k| k == SourceKind::Correction)
        .collect();
    // Every other column (values, growth, shares) is the observations' own, except that
    // a fact names what its share is of only where it has a share.
    let mut computed = vec![
        Series::new("n_sources".into(), vec![1u32; n]),
        shared("obs_id", "sources")?,
        Series::new("conflict".into(), vec![false; n]),
        Series::new("corrected".into(), corrected),
        shared("obs_id", "winner_obs_id")?,
        shared("source_kind", "winner_source_kind")?,
    ];
    let (share_pct, share_of) = (
        obs.column("share_pct")?.f64()?,
        obs.column("share_of")?.str()?,
    );
    if (share_of.is_not_null() & share_pct.is_null()).any() {
        let masked: StringChunked = share_of
            .iter()
            .zip(share_pct.iter())
            .map(|(of, pct)| pct.and(of))
            .collect();
        computed.push(masked.with_name("share_of".into()).into_series());
    }
    let frame = crate::model::assemble::<Fact>(obs, (0..n as IdxSize).collect(), computed)?;
    Ok(Reconciled {
        frame,
        conflicts: Vec::new(),
    })
}

/// Each observation's source kind; one no table writes is an error.
fn source_kinds(obs: &DataFrame) -> PolarsResult<Vec<SourceKind>> {
    crate::model::by_runs(obs.column("source_kind")?.str()?, |k| {
        SourceKind::parse(Some(k)).ok()
    })
    .map(|k| {
        k.flatten()
            .ok_or_else(|| polars_err!(ComputeError: "an observation without a known source kind"))
    })
    .collect()
}

/// One key's fact: which row wins, and what the others add.
fn decide(c: &Cols, group: &[usize]) -> Decided {
    if let [only] = *group {
        return Decided {
            winner: only,
            yoy_pct: c.yoy_pct[only],
            yoy_pp: c.yoy_pp[only],
            share: c.share_pct[only].map(|_| only),
            conflicts: Vec::new(),
        };
    }
    let mut with_value = group.iter().copied().find(|&i| c.value[i].is_some());
    // Precedence and precision cannot decide between two files of one kind that state
    // the same figure differently: the newer file is the revised one.
    if let Some(w) = with_value {
        let tied: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| {
                c.value[i].is_some() && c.kind[i] == c.kind[w] && c.tolerance[i] == c.tolerance[w]
            })
            .collect();
        let wv = c.value[w].unwrap_or(0.0);
        let disagree = tied.iter().any(|&i| {
            !agree(
                wv,
                c.tolerance[w],
                c.value[i].unwrap_or(0.0),
                c.tolerance[i],
            )
        });
        if disagree {
            with_value = tied.iter().copied().max_by(|&a, &b| {
                c.mtime[a]
                    .cmp(&c.mtime[b])
                    .then_with(|| c.path(b).cmp(c.path(a)))
                    .then_with(|| c.locator(b).cmp(c.locator(a)))
            });
        }
    }
    let winner = with_value.unwrap_or(group[0]);
    let mut conflicts = Vec::new();
    // A correction overrides the inputs on purpose: that is not a conflict.
    if let Some(w) = with_value.filter(|&w| c.kind[w] != SourceKind::Correction) {
        let wv = c.value[w].unwrap_or(0.0);
        for &i in group.iter().filter(|&&i| i != w) {
            if let Some(v) = c.value[i] {
                if !agree(wv, c.tolerance[w], v, c.tolerance[i]) {
                    conflicts.push((w, i));
                }
            }
        }
    }
    let first = |col: &[Option<f64>]| group.iter().find_map(|&i| col[i]);
    Decided {
        winner,
        yoy_pct: first(&c.yoy_pct),
        yoy_pp: first(&c.yoy_pp),
        share: group.iter().copied().find(|&i| c.share_pct[i].is_some()),
        conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{BooleanChunked, NewChunkedArray};

    /// The default inputs' observations, sorted as a run sorts them.
    fn sorted_observations(p: &Pipeline) -> DataFrame {
        use crate::ingest::parse_bytes;
        let dir = std::path::Path::new("data");
        let inputs = [
            ("csv/临港园区_2024年1-8月_gb18030.csv", SourceKind::Csv),
            ("csv/江州高新区_2024年1-8月_utf8.csv", SourceKind::Csv),
            (
                "reports/江州高新区_2024年1-8月工作情况汇报.txt",
                SourceKind::Text,
            ),
            (
                "reports/临港园区_2024年三季度工作报告.txt",
                SourceKind::Text,
            ),
            (
                "xlsx/江州高新区_2024年1-8月主要经济指标.xlsx",
                SourceKind::Sheet,
            ),
        ];
        let results: Vec<_> = inputs
            .iter()
            .map(|(name, kind)| parse_bytes(p, *kind, name, std::fs::read(dir.join(name)).unwrap()))
            .collect();
        let gathered = crate::normalize::frame::gather(&results, None).unwrap();
        crate::normalize::frame::sort(&gathered).unwrap()
    }

    /// Facts from keys of one observation each come out as the general path gives them,
    /// and share the observations' columns instead of copying them.
    #[test]
    fn facts_of_one_observation_each_share_its_columns() {
        let p = Pipeline::load(std::path::Path::new("pipelines/default.toml")).unwrap();
        let mut obs = sorted_observations(&p);
        // The observations whose key no other observation has.
        let starts = crate::model::same_as_previous(&obs, &KEY).unwrap();
        let starts: Vec<bool> = starts.iter().map(|s| s != Some(true)).collect();
        let alone: Vec<bool> = (0..obs.height())
            .map(|i| starts[i] && starts.get(i + 1).copied().unwrap_or(true))
            .collect();
        // One of them names a whole without stating a share: its fact names none.
        let share_pct = obs.column("share_pct").unwrap().f64().unwrap().clone();
        let stray = (0..obs.height())
            .find(|&i| alone[i] && share_pct.get(i).is_none())
            .unwrap();
        let share_of: StringChunked = obs
            .column("share_of")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, v)| if i == stray { Some("全市") } else { v })
            .collect();
        obs.replace(
            "share_of",
            share_of.with_name("share_of".into()).into_series().into(),
        )
        .unwrap();
        let all = reconcile(&p, &obs).unwrap();
        let n_sources = all.frame.column("n_sources").unwrap().u32().unwrap();
        assert!(
            n_sources.into_no_null_iter().any(|n| n > 1),
            "the inputs state some figures twice"
        );
        let single = obs
            .filter(&BooleanChunked::from_slice("alone".into(), &alone))
            .unwrap();
        assert!(single.height() > 10);

        let one_each = reconcile(&p, &single).unwrap();
        let once: Vec<bool> = n_sources.into_no_null_iter().map(|n| n == 1).collect();
        let expected = all
            .frame
            .filter(&BooleanChunked::from_slice("once".into(), &once))
            .unwrap();
        assert!(one_each.frame.equals_missing(&expected));
        let facts_share_of = one_each.frame.column("share_of").unwrap().str().unwrap();
        assert!(facts_share_of.iter().all(|v| v != Some("全市")));
        let views = |df: &DataFrame, c: &str| {
            let ca = df.column(c).unwrap().str().unwrap();
            ca.downcast_iter().next().unwrap().views().as_ptr() as usize
        };
        assert_eq!(
            views(&one_each.frame, "entity_id"),
            views(&single, "entity_id")
        );
        assert_eq!(views(&one_each.frame, "sources"), views(&single, "obs_id"));
    }

    #[test]
    fn precision_aware_agreement() {
        // 7亿 (±0.5亿) agrees with 70,312万 (±0.5万).
        assert!(agree(7e8, 0.5e8, 703_120_000.0, 5_000.0));
        assert!(!agree(7e8, 0.5e8, 760_000_000.0, 5_000.0));
        assert!(agree(63.3, 0.05, 63.333, 0.0005));
        assert!(!agree(70.0, 0.5, 63.333, 0.0005));
    }
}
