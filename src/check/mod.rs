//! Check: rules over facts and derived tables, each writing plain-words rows to `checks`.

use polars::prelude::{
    BooleanChunked, ChunkApply, ChunkCompareEq, ChunkCompareIneq, ChunkFilter, ChunkShift,
    DataFrame, Float64Chunked, GroupsIndicator, IdxCa, IdxSize, IntoSeries, NamedFrom,
    PlHashMap as HashMap, PolarsResult, Series,
};

use crate::model::{
    column, take_rows, true_rows, Check, FactRef, MonthlyRef, PeriodKind, Severity, ShareRef,
    SourceKind,
};
use crate::normalize::indicator::IndicatorTable;
use crate::reconcile::Conflict;

/// A step between neighbouring months this large (10^3.3 ≈ 2000×) is a unit slip, not growth.
const UNIT_JUMP: f64 = 1995.0;
/// Reported growth further than this (in points) from the growth computed from both
/// years is an error of a figure, not a comparable-basis adjustment (可比口径).
const BASIS_MAX_PP: f64 = 5.0;

/// Runs every rule over the facts `frame` and the derived `monthly` and `shares` frames. Each rule finds its rows with column operations and reads only
/// those rows in place to word its checks.
pub fn check(
    indicators: &IndicatorTable,
    frame: &DataFrame,
    conflicts: &[Conflict],
    monthly: &DataFrame,
    shares: &DataFrame,
) -> PolarsResult<Vec<Check>> {
    // The rules are independent: each runs on its own, their rows are joined in rule order.
    type Rule<'a> = Box<dyn Fn(&mut Vec<Check>) -> PolarsResult<()> + Send + Sync + 'a>;
    // Rows of `monthly` that carry on the series of the row before: neighbouring months.
    let same_series = crate::model::same_as_previous(monthly, &SERIES)?;
    let rules: Vec<Rule> = vec![
        Box::new(|out| {
            conflict_rule(conflicts, out);
            Ok(())
        }),
        Box::new(|out| correction_rule(frame, out)),
        Box::new(|out| range_rule(indicators, frame, out)),
        Box::new(|out| growth_rules(frame, out)),
        Box::new(|out| cumulative_rules(indicators, monthly, &same_series, frame, out)),
        Box::new(|out| share_rules(shares, out)),
        Box::new(|out| monthly_rule(monthly, &same_series, out)),
    ];
    use rayon::prelude::*;
    let mut out: Vec<Check> = rules
        .par_iter()
        .map(|rule| {
            let mut rows = Vec::new();
            rule(&mut rows)?;
            Ok(rows)
        })
        .collect::<PolarsResult<Vec<_>>>()?
        .concat();
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
    Ok(out)
}

fn period_text(kind: PeriodKind, from: Option<u8>, to: Option<u8>) -> String {
    match (kind, from, to) {
        (PeriodKind::Month, _, Some(m)) => format!("{m}月"),
        (PeriodKind::AsOf, _, Some(m)) => format!("{m}月末"),
        (_, Some(a), Some(b)) => format!("{a}-{b}月"),
        _ => kind.as_str().to_string(),
    }
}

/// A value outside what is possible at all for its indicator (办结率 above 100%).
/// The facts whose value lies outside its indicator's `range` (from the dictionary),
/// found by joining the facts with a frame of the ranges.
fn range_rule(
    indicators: &IndicatorTable,
    frame: &DataFrame,
    out: &mut Vec<Check>,
) -> PolarsResult<()> {
    use polars::prelude::{DataFrameJoinOps, JoinArgs, JoinType, MaintainOrderJoin};
    let ranged: Vec<(&str, f64, f64)> = indicators
        .all()
        .iter()
        .filter_map(|d| d.range.map(|[lo, hi]| (d.code.as_str(), lo, hi)))
        .collect();
    if ranged.is_empty() {
        return Ok(());
    }
    let ranges = DataFrame::new_infer_height(vec![
        column("indicator", ranged.iter().map(|r| r.0)),
        column("lo", ranged.iter().map(|r| r.1)),
        column("hi", ranged.iter().map(|r| r.2)),
    ])?;
    let mut values = frame.select(["indicator", "value"])?;
    let rows: Vec<IdxSize> = (0..frame.height() as IdxSize).collect();
    values.with_column(Series::new("row".into(), rows).into())?;
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Inner)
    };
    let met = values.join(&ranges, ["indicator"], ["indicator"], args, None)?;
    let (value, lo, hi) = (
        met.column("value")?.f64()?,
        met.column("lo")?.f64()?,
        met.column("hi")?.f64()?,
    );
    let outside = value.lt(lo) | value.gt(hi);
    let hits = met.filter(&outside)?;
    let rows: Vec<IdxSize> = hits.column("row")?.idx()?.iter().flatten().collect();
    let hit_facts = take_rows(frame, rows)?;
    let facts = FactRef::rows(&hit_facts)?;
    let (lo, hi) = (hits.column("lo")?.f64()?, hits.column("hi")?.f64()?);
    for ((f, lo), hi) in facts.iter().zip(lo.iter()).zip(hi.iter()) {
        let (Some(lo), Some(hi)) = (lo, hi) else {
            continue;
        };
        // As IEEE compares: a NaN is in no range and out of none.
        let Some(v) = f.value.filter(|v| *v < lo || *v > hi) else {
            continue;
        };
        let mut c =
            check_row(
                "rate_out_of_range",
                Severity::Error,
                f.entity_id,
                f.indicator,
                f.year,
                (f.period_kind, f.month_from, f.month_to),
                format!(
                "{} {} {}年{}: {} {} is outside the possible range [{lo}, {hi}]; check the figure",
                f.entity_name, f.indicator_name, f.year,
                period_text(f.period_kind, f.month_from, f.month_to), v, f.unit
            ),
                Some(v),
                Some(if v < lo { lo } else { hi }),
            );
        c.scope = f.scope;
        c.obs_ids = f.winner_obs_id.to_string();
        out.push(c);
    }
    Ok(())
}

/// Decimals a stated percentage was written with (5.3 → 1), to know its rounding.
fn decimals(x: f64) -> i32 {
    (0..4)
        .find(|d| {
            let s = x * 10f64.powi(*d);
            (s - s.round()).abs() < 1e-6
        })
        .unwrap_or(4)
}

/// Each fact and last year's fact of its key (rows of `frame`), in the order of the
/// first: one walk down facts in key order (`reconcile` gives them so), where a key's
/// two years are neighbouring runs of one entity, scope and indicator; `None` when the
/// frame is not in key order.
fn prior_year_walk(frame: &DataFrame) -> PolarsResult<Option<(Vec<IdxSize>, Vec<IdxSize>)>> {
    let frame = &*crate::model::one_chunk(frame);
    let n = frame.height();
    let same = crate::model::same_as_previous(frame, &["entity_id", "scope", "indicator"])?;
    let same = crate::model::single(&same)?;
    let text = |c: &str| crate::model::strs(frame, c);
    let (entity, indicator, qualifier) =
        (text("entity_id")?, text("indicator")?, text("qualifier")?);
    let scope = crate::normalize::frame::ordinals(frame, "scope", |v| {
        crate::model::Scope::parse(v).map(|s| s as u8)
    })?;
    let kind = crate::normalize::frame::ordinals(frame, "period_kind", |v| {
        PeriodKind::parse(v).map(|k| k as u8)
    })?;
    let year = crate::model::nums(frame.column("year")?.i32()?)?;
    let from = crate::model::nums(frame.column("month_from")?.u8()?)?;
    let to = crate::model::nums(frame.column("month_to")?.u8()?)?;
    let block = |i: usize| (entity(i), scope[i], indicator(i));
    let tail = |i: usize| (kind[i], from(i), to(i), qualifier(i));
    let (mut this, mut prior) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < n {
        let end = (start + 1..n)
            .find(|&i| same.is_some_and(|s| !s.value(i)))
            .unwrap_or(n);
        if start > 0 && block(start - 1) >= block(start) {
            return Ok(None);
        }
        // The block's years, each a run of rows in tail order.
        let mut last: Option<(i32, std::ops::Range<usize>)> = None;
        let mut i = start;
        while i < end {
            let y = year(i);
            let j = (i + 1..end).find(|&k| year(k) != y).unwrap_or(end);
            if (i + 1..j).any(|k| tail(k - 1) >= tail(k)) {
                return Ok(None);
            }
            let Some(y) = y else {
                i = j;
                continue;
            };
            match &last {
                Some((ly, _)) if *ly >= y => return Ok(None),
                Some((ly, before)) if *ly == y - 1 => {
                    let (mut a, mut b) = (before.start, i);
                    while a < before.end && b < j {
                        match tail(a).cmp(&tail(b)) {
                            std::cmp::Ordering::Less => a += 1,
                            std::cmp::Ordering::Greater => b += 1,
                            std::cmp::Ordering::Equal => {
                                this.push(b as IdxSize);
                                prior.push(a as IdxSize);
                                a += 1;
                                b += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
            last = Some((y, i..j));
            i = j;
        }
        start = end;
    }
    Ok(Some((this, prior)))
}

/// `prior_year_walk` for a frame in any order: the facts frame joined with itself, its
/// years moved on by one.
fn prior_year_join(frame: &DataFrame) -> PolarsResult<(Vec<IdxSize>, Vec<IdxSize>)> {
    use crate::reconcile::facts::KEY;
    use polars::prelude::{DataFrameJoinOps, JoinArgs, JoinType, MaintainOrderJoin};
    let rows: Vec<IdxSize> = (0..frame.height() as IdxSize).collect();
    let mut this = frame.select(KEY)?;
    this.with_column(Series::new("row".into(), rows.clone()).into())?;
    let mut last = frame.select(KEY)?;
    let next_year = last.column("year")?.i32()? + 1;
    last.replace("year", next_year.into_series().into())?;
    last.with_column(Series::new("prior_row".into(), rows).into())?;
    let args = JoinArgs {
        nulls_equal: true,
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Inner)
    };
    let met = this.join(&last, KEY, KEY, args, None)?;
    let all = |c: &str| -> PolarsResult<Vec<IdxSize>> {
        Ok(met.column(c)?.idx()?.iter().flatten().collect())
    };
    Ok((all("row")?, all("prior_row")?))
}

/// Reported growth against the growth computed from this year's and last year's
/// published values: within rounding, nothing; a few points off, a comparable-basis
/// adjustment (`yoy_basis`, info); further off, `growth_mismatch` (warn).
fn growth_rules(frame: &DataFrame, out: &mut Vec<Check>) -> PolarsResult<()> {
    let (row, prior_row) = match prior_year_walk(frame)? {
        Some(pairs) => pairs,
        None => prior_year_join(frame)?,
    };
    let (row, prior_row) = (
        IdxCa::from_vec("row".into(), row),
        IdxCa::from_vec("prior_row".into(), prior_row),
    );
    // Pairs whose growth is off by more than the least tolerance, as columns.
    let now = frame.select(["value", "yoy_pct", "unit"])?.take(&row)?;
    let then = frame.select(["value", "unit"])?.take(&prior_row)?;
    let (v, yoy, pv) = (
        now.column("value")?.f64()?,
        now.column("yoy_pct")?.f64()?,
        then.column("value")?.f64()?,
    );
    let gap = &((&(v / pv) - 1.0) * 100.0) - yoy;
    let off = pv.gt(0.0)
        & now
            .column("unit")?
            .str()?
            .equal(then.column("unit")?.str()?)
        & (gap.gt(0.1) | gap.lt(-0.1));
    let rows = |at: &IdxCa| -> PolarsResult<DataFrame> {
        take_rows(frame, at.filter(&off)?.into_no_null_iter().collect())
    };
    let (this_year, last_year) = (rows(&row)?, rows(&prior_row)?);
    let (this_year, last_year) = (FactRef::rows(&this_year)?, FactRef::rows(&last_year)?);
    for (f, p) in this_year.iter().zip(&last_year) {
        let (Some(v), Some(yoy), Some(pv)) = (f.value, f.yoy_pct, p.value) else {
            continue;
        };
        if pv <= 0.0 || p.unit != f.unit {
            continue;
        }
        let computed = (v / pv - 1.0) * 100.0;
        let gap = (computed - yoy).abs();
        // Half a unit of the stated growth's last digit, plus what rounding the two values can move it.
        let tol = 0.5 * 10f64.powi(-decimals(yoy)) + 0.1;
        if gap <= tol {
            continue;
        }
        let (rule, severity, what) = if gap <= BASIS_MAX_PP {
            (
                "yoy_basis",
                Severity::Info,
                "a comparable-basis (可比口径) adjustment, as statistics offices make",
            )
        } else {
            (
                "growth_mismatch",
                Severity::Warn,
                "more than a comparable-basis adjustment: check both years' figures and the growth",
            )
        };
        let mut c = check_row(
            rule,
            severity,
            f.entity_id,
            f.indicator,
            f.year,
            (f.period_kind, f.month_from, f.month_to),
            format!(
                "{} {} {}年{}: reported growth {yoy}% but {} against last year's {} gives {:.1}%; {what}",
                f.entity_name, f.indicator_name, f.year,
                period_text(f.period_kind, f.month_from, f.month_to), v, pv, computed
            ),
            Some(yoy),
            Some(computed),
        );
        c.scope = f.scope;
        c.obs_ids = format!("{};{}", p.winner_obs_id, f.winner_obs_id);
        out.push(c);
    }
    Ok(())
}

/// A correction whose key no input states: most likely a typo in its park, indicator or period.
fn correction_rule(frame: &DataFrame, out: &mut Vec<Check>) -> PolarsResult<()> {
    let alone = frame
        .column("winner_source_kind")?
        .str()?
        .equal(SourceKind::Correction.as_str())
        & frame.column("n_sources")?.u32()?.equal(1);
    let alone = take_rows(frame, true_rows(&alone))?;
    for f in &FactRef::rows(&alone)? {
        let mut c = check_row(
            "correction_unmatched",
            Severity::Warn,
            f.entity_id,
            f.indicator,
            f.year,
            (f.period_kind, f.month_from, f.month_to),
            format!(
                "{} {} {}年{}: this correction matches no figure of any input; check its park, indicator and period",
                f.entity_name,
                f.indicator_name,
                f.year,
                period_text(f.period_kind, f.month_from, f.month_to)
            ),
            f.value,
            None,
        );
        c.scope = f.scope;
        c.obs_ids = f.winner_obs_id.to_string();
        out.push(c);
    }
    Ok(())
}

/// Sources that disagree beyond rounding: which one was kept and why.
fn conflict_rule(conflicts: &[Conflict], out: &mut Vec<Check>) {
    for c in conflicts {
        let (w, l) = (&c.winner, &c.loser);
        let why = if w.source_kind != l.source_kind {
            format!(
                "kept the {} value by source precedence ({} over {})",
                w.source_kind.as_str(),
                w.source_kind.as_str(),
                l.source_kind.as_str()
            )
        } else if w.tolerance < l.tolerance {
            format!("kept the more precise {} value", w.source_kind.as_str())
        } else {
            format!("kept the value of the newer file, {}", w.source_path)
        };
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
                "{} {} {}年{}: {} ({}) says {}{}, {} ({}) says {}{}; {why}",
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
            ),
            observed: l.value,
            expected: w.value,
            obs_ids: format!("{};{}", w.obs_id, l.obs_id),
        });
    }
}

/// What one series of `monthly` is (it is sorted by these, then month): neighbouring
/// rows of one series are neighbouring months.
const SERIES: [&str; 5] = ["entity_id", "scope", "indicator", "year", "unit"];

/// Neighbouring months of one series (`same_series` of the later) where `mask` holds of
/// the later one, read in place as (earlier, later) frames.
fn month_pairs(
    monthly: &DataFrame,
    same_series: &BooleanChunked,
    mask: &BooleanChunked,
) -> PolarsResult<(DataFrame, DataFrame)> {
    let mask = same_series & mask;
    let later: Vec<IdxSize> = true_rows(&mask).into_iter().filter(|&i| i > 0).collect();
    let earlier = later.iter().map(|i| i - 1).collect();
    Ok((take_rows(monthly, earlier)?, take_rows(monthly, later)?))
}

/// The winner obs_id of the year-to-date fact of each (entity, indicator, year, month) of
/// `wanted`, found with one join of those keys with the facts.
fn ytd_fact_ids(
    facts: &DataFrame,
    wanted: &[(&str, &str, i32, u8)],
) -> PolarsResult<HashMap<(String, String, i32, u8), String>> {
    use polars::prelude::{DataFrameJoinOps, JoinArgs, JoinType, MaintainOrderJoin};
    let mut ids = HashMap::default();
    if wanted.is_empty() {
        return Ok(ids);
    }
    let keys = DataFrame::new_infer_height(vec![
        column("entity_id", wanted.iter().map(|w| w.0)),
        column("indicator", wanted.iter().map(|w| w.1)),
        column("year", wanted.iter().map(|w| w.2)),
        column("month", wanted.iter().map(|w| w.3)),
    ])?;
    let kind = facts.column("period_kind")?.str()?;
    let ytd = facts.column("month_from")?.u8()?.equal(1)
        & (kind.equal(PeriodKind::Ytd.as_str()) | kind.equal(PeriodKind::Year.as_str()));
    let ytd = facts
        .select([
            "entity_id",
            "indicator",
            "year",
            "month_to",
            "winner_obs_id",
        ])?
        .filter(&ytd)?;
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::LeftRight,
        ..JoinArgs::new(JoinType::Inner)
    };
    let met = keys.join(
        &ytd,
        ["entity_id", "indicator", "year", "month"],
        ["entity_id", "indicator", "year", "month_to"],
        args,
        None,
    )?;
    let cols = (
        met.column("entity_id")?.str()?,
        met.column("indicator")?.str()?,
        met.column("year")?.i32()?,
        met.column("month")?.u8()?,
        met.column("winner_obs_id")?.str()?,
    );
    for i in 0..met.height() {
        if let (Some(e), Some(ind), Some(y), Some(m), Some(id)) = (
            cols.0.get(i),
            cols.1.get(i),
            cols.2.get(i),
            cols.3.get(i),
            cols.4.get(i),
        ) {
            // Of several facts of one month (units, scopes), the last in key order names it.
            ids.insert((e.to_string(), ind.to_string(), y, m), id.to_string());
        }
    }
    Ok(ids)
}

/// A flow's cumulative value must not fall within a year, and a derived month must not be negative.
fn cumulative_rules(
    indicators: &IndicatorTable,
    monthly: &DataFrame,
    same_series: &BooleanChunked,
    facts: &DataFrame,
    out: &mut Vec<Check>,
) -> PolarsResult<()> {
    let ytd = monthly.column("ytd_value")?.f64()?;
    let prev = ytd.shift(1);
    let derivation = monthly.column("derivation")?.str()?;
    let jump = ytd.gt(0.0)
        & prev.gt(0.0)
        & ((ytd / &prev).gt_eq(UNIT_JUMP) | (&prev / ytd).gt_eq(UNIT_JUMP));
    let falls = ytd.lt(&prev) & derivation.not_equal("reported");
    let (earlier, later) = month_pairs(monthly, same_series, &(jump | falls))?;
    let (earlier, later) = (MonthlyRef::rows(&earlier)?, MonthlyRef::rows(&later)?);
    let month_value = monthly.column("month_value")?.f64()?;
    let negative = month_value.lt(0.0) & derivation.not_equal("reported");
    let negative = take_rows(monthly, true_rows(&negative))?;
    let negative = MonthlyRef::rows(&negative)?;
    let wanted: Vec<(&str, &str, i32, u8)> = earlier
        .iter()
        .chain(&later)
        .chain(&negative)
        .map(|m| (m.entity_id, m.indicator, m.year, m.month))
        .collect();
    let ids = ytd_fact_ids(facts, &wanted)?;
    let fact_id = |m: &MonthlyRef, month: u8| -> String {
        ids.get(&(
            m.entity_id.to_string(),
            m.indicator.to_string(),
            m.year,
            month,
        ))
        .cloned()
        .unwrap_or_default()
    };
    for (a, b) in earlier.iter().zip(&later) {
        let (Some(va), Some(vb)) = (a.ytd_value, b.ytd_value) else {
            continue;
        };
        if va > 0.0 && vb > 0.0 && (vb / va >= UNIT_JUMP || va / vb >= UNIT_JUMP) {
            let mut c = check_row(
                "unit_jump",
                Severity::Warn,
                b.entity_id,
                b.indicator,
                b.year,
                (PeriodKind::Ytd, Some(1), Some(b.month)),
                format!(
                    "{} {} {}年: the cumulative value jumps from {} {} (1-{}月) to {} {} (1-{}月), about {:.0}×; one of them was most likely filed in the wrong unit (元 labelled 万元?)",
                    b.entity_name, b.indicator_name, b.year, va, b.unit, a.month, vb, b.unit, b.month,
                    (vb / va).max(va / vb)
                ),
                Some(vb),
                Some(va),
            );
            c.scope = b.scope;
            c.obs_ids = format!("{};{}", fact_id(a, a.month), fact_id(b, b.month));
            out.push(c);
        }
        let may_decrease = indicators
            .by_code(b.indicator)
            .is_some_and(|d| d.may_decrease);
        if vb < va && b.derivation != "reported" && !may_decrease {
            out.push(Check {
                rule: "cumulative_decreasing".into(),
                severity: Severity::Error,
                entity_id: b.entity_id.to_string(),
                scope: b.scope,
                indicator: b.indicator.to_string(),
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
    for m in &negative {
        let Some(v) = m.month_value.filter(|v| *v < 0.0) else {
            continue;
        };
        out.push(Check {
            rule: "month_negative".into(),
            severity: Severity::Warn,
            entity_id: m.entity_id.to_string(),
            scope: m.scope,
            indicator: m.indicator.to_string(),
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
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn check_row(
    rule: &str,
    severity: Severity,
    entity_id: &str,
    indicator: &str,
    year: i32,
    period: (PeriodKind, Option<u8>, Option<u8>),
    message: String,
    observed: Option<f64>,
    expected: Option<f64>,
) -> Check {
    Check {
        rule: rule.into(),
        severity,
        entity_id: entity_id.into(),
        scope: crate::model::Scope::Park,
        indicator: indicator.into(),
        year,
        period_kind: Some(period.0.as_str().into()),
        month_from: period.1,
        month_to: period.2,
        message,
        observed,
        expected,
        obs_ids: String::new(),
    }
}

/// (area, indicator, year, period kind, first month, last month).
type AreaKey<'a> = (&'a str, &'a str, i32, PeriodKind, Option<u8>, Option<u8>);

/// A stated share must match the share computed from both values (to its stated decimal),
/// and the parks of an area together cannot exceed it.
fn share_rules(shares: &DataFrame, out: &mut Vec<Check>) -> PolarsResult<()> {
    let stated = shares.column("stated_share_pct")?.f64()?;
    let gap = stated - shares.column("computed_share_pct")?.f64()?;
    let off = gap.gt(0.1) | gap.lt(-0.1);
    let off = take_rows(shares, true_rows(&off))?;
    for s in ShareRef::rows(&off)? {
        let (Some(stated), Some(computed)) = (s.stated_share_pct, s.computed_share_pct) else {
            continue;
        };
        // A share printed to one decimal, of values that are themselves rounded.
        if (stated - computed).abs() > 0.1 {
            out.push(check_row(
                "share_mismatch",
                Severity::Warn,
                s.entity_id,
                s.indicator,
                s.year,
                (s.period_kind, s.month_from, s.month_to),
                format!("{} {} {}年: the stated share is {stated}%, but {:.2}% follows from the values ({} of {})", s.entity_name, s.indicator_name, s.year, computed, s.part_value.unwrap_or(f64::NAN), s.whole_value.unwrap_or(f64::NAN)),
                Some(stated),
                Some(computed),
            ));
        }
    }
    // The parks of each area and period: a group-by over the shares with both values.
    let both =
        shares.column("part_value")?.is_not_null() & shares.column("whole_value")?.is_not_null();
    let both = shares.filter(&both)?;
    let by_area = both.group_by_stable([
        "share_of",
        "indicator",
        "year",
        "period_kind",
        "month_from",
        "month_to",
    ])?;
    let part = both.column("part_value")?.f64()?;
    let whole = both.column("whole_value")?.f64()?;
    let mut over: Vec<(usize, f64, f64, usize)> = Vec::new();
    for group in by_area.get_groups().iter() {
        let members: Vec<IdxSize> = match group {
            GroupsIndicator::Idx((_, rows)) => rows.to_vec(),
            GroupsIndicator::Slice([first, len]) => (first..first + len).collect(),
        };
        let Some(&first) = members.first() else {
            continue;
        };
        // Added in row order, as the parks are listed.
        let parts: f64 = members
            .iter()
            .filter_map(|&i| part.get(i as usize))
            .fold(0.0, |a, b| a + b);
        let (Some(w), n) = (whole.get(first as usize), members.len()) else {
            continue;
        };
        // Half a percent of slack for the rounding of every stated figure.
        if n >= 2 && parts > w * 1.005 {
            over.push((first as usize, parts, w, n));
        }
    }
    let firsts = take_rows(&both, over.iter().map(|o| o.0 as IdxSize).collect())?;
    let rows = ShareRef::rows(&firsts)?;
    let mut found: Vec<(AreaKey, f64, f64, usize)> = rows
        .iter()
        .zip(&over)
        .map(|(s, &(_, parts, whole, n))| {
            let key = (
                s.share_of,
                s.indicator,
                s.year,
                s.period_kind,
                s.month_from,
                s.month_to,
            );
            (key, parts, whole, n)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    for ((area, indicator, year, kind, from, to), parts, whole, n) in found {
        out.push(check_row(
            "parts_exceed_whole",
            Severity::Error,
            area,
            indicator,
            year,
            (kind, from, to),
            format!("{indicator} {year}年: its {n} parks together report {parts}, more than {area}'s {whole}; one of the figures is wrong (or in the wrong unit)"),
            Some(parts),
            Some(whole),
        ));
    }
    Ok(())
}

/// A reported month value must equal the difference of the cumulatives around it.
fn monthly_rule(
    monthly: &DataFrame,
    same_series: &BooleanChunked,
    out: &mut Vec<Check>,
) -> PolarsResult<()> {
    let month = monthly.column("month")?.u8()?;
    let ytd = monthly.column("ytd_value")?.f64()?;
    let month_value = monthly.column("month_value")?.f64()?;
    let diff = ytd - &ytd.shift(1);
    let abs = |c: &Float64Chunked| c.apply_values(f64::abs);
    let gap = abs(&(month_value - &diff));
    let next = month.shift(1) + 1;
    let off = month.equal(&next)
        & monthly.column("derivation")?.str()?.equal("reported")
        & gap.gt(&(abs(&diff) * 0.005))
        & gap.gt(&(abs(month_value) * 0.005));
    let (earlier, later) = month_pairs(monthly, same_series, &off)?;
    let (earlier, later) = (MonthlyRef::rows(&earlier)?, MonthlyRef::rows(&later)?);
    for (a, b) in earlier.iter().zip(&later) {
        if b.month != a.month + 1 || b.derivation != "reported" {
            continue;
        }
        let (Some(ya), Some(yb), Some(mv)) = (a.ytd_value, b.ytd_value, b.month_value) else {
            continue;
        };
        let diff = yb - ya;
        // Rounded figures: half a percent of slack.
        if (mv - diff).abs() > 0.005 * diff.abs().max(mv.abs()) {
            let mut c = check_row(
                "month_mismatch",
                Severity::Warn,
                b.entity_id,
                b.indicator,
                b.year,
                (PeriodKind::Month, Some(b.month), Some(b.month)),
                format!("{} {} {}年{}月: the reported month value {mv} differs from the difference of the cumulatives ({diff})", b.entity_name, b.indicator_name, b.year, b.month),
                Some(mv),
                Some(diff),
            );
            c.scope = b.scope;
            out.push(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{test_fact, Fact, Scope, Table};
    use proptest::prelude::*;

    /// Entity, scope, indicator, year, period, qualifier: drawn from few values each, so
    /// keys meet their prior year often.
    type Drawn = (u8, u8, u8, i32, u8, u8, bool);

    fn fact((entity, scope, indicator, year, kind, m, qualified): Drawn) -> Fact {
        let mut f = test_fact(["a", "b", "c"][entity as usize], Some(1.0), Some(1.0));
        f.scope = [Scope::Park, Scope::City][scope as usize];
        f.indicator = ["revenue", "industrial_output"][indicator as usize].into();
        f.year = year;
        (f.period_kind, f.month_from, f.month_to) = match kind {
            0 => (PeriodKind::Ytd, Some(1), Some(m)),
            1 => (PeriodKind::Month, Some(m), Some(m)),
            _ => (PeriodKind::Year, None, None),
        };
        f.qualifier = qualified.then(|| "其中:外资".to_string());
        f
    }

    proptest! {
        /// The walk down facts in key order pairs each fact with last year's of its key as
        /// the join does, in the same order; out of order, it declines.
        #[test]
        fn the_walk_meets_what_the_join_meets(parts in prop::collection::vec(
            (0..3u8, 0..2u8, 0..2u8, 2022..2026i32, 0..3u8, 1..4u8, any::<bool>()),
            0..80,
        )) {
            fn key(f: &Fact) -> crate::reconcile::facts::KeyRef<'_> {
                crate::reconcile::facts::fact_key(&f.borrow())
            }
            let mut facts: Vec<Fact> = parts.into_iter().map(fact).collect();
            facts.sort_by(|a, b| key(a).cmp(&key(b)));
            facts.dedup_by(|a, b| key(a) == key(b));
            let frame = Fact::to_frame(&facts).unwrap();
            let walked = prior_year_walk(&frame).unwrap().expect("facts in key order");
            prop_assert_eq!(&walked, &prior_year_join(&frame).unwrap());
            facts.reverse();
            let reversed = Fact::to_frame(&facts).unwrap();
            if facts.len() > 1 {
                prop_assert_eq!(prior_year_walk(&reversed).unwrap(), None);
            }
        }
    }

    #[test]
    fn a_fact_meets_last_years_of_its_key_only() {
        fn key(f: &Fact) -> crate::reconcile::facts::KeyRef<'_> {
            crate::reconcile::facts::fact_key(&f.borrow())
        }
        let mut facts: Vec<Fact> = [
            (0, 0, 0, 2023, 0, 3, false),
            (0, 0, 0, 2024, 0, 3, false),
            (0, 0, 0, 2024, 0, 3, true),
            (0, 0, 1, 2024, 0, 3, false),
            (1, 0, 0, 2024, 0, 3, false),
            (0, 0, 0, 2024, 1, 3, false),
            (0, 0, 0, 2022, 0, 3, false),
        ]
        .into_iter()
        .map(fact)
        .collect();
        facts.sort_by(|a, b| key(a).cmp(&key(b)));
        let at = |year: i32, qualified: bool, kind: PeriodKind| {
            facts
                .iter()
                .position(|f| {
                    f.entity_id == "a"
                        && f.indicator == "revenue"
                        && f.year == year
                        && f.qualifier.is_some() == qualified
                        && f.period_kind == kind
                })
                .unwrap() as IdxSize
        };
        let ytd = PeriodKind::Ytd;
        let expected = (
            vec![at(2023, false, ytd), at(2024, false, ytd)],
            vec![at(2022, false, ytd), at(2023, false, ytd)],
        );
        let frame = Fact::to_frame(&facts).unwrap();
        assert_eq!(prior_year_walk(&frame).unwrap(), Some(expected));
    }
}
