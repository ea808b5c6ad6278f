//! Derived tables of the default pipeline: quarters from quarter-end cumulatives,
//! shares next to stated shares, rankings among parks, whole years.

mod common;

use common::*;
use polars::prelude::*;

fn col_u8(df: &DataFrame, c: &str) -> Vec<Option<u8>> {
    let ca = df.column(c).unwrap().u8().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

fn col_u32(df: &DataFrame, c: &str) -> Vec<Option<u32>> {
    let ca = df.column(c).unwrap().u32().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

fn col_i32(df: &DataFrame, c: &str) -> Vec<Option<i32>> {
    let ca = df.column(c).unwrap().i32().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

#[test]
fn quarters_shares_rankings_and_years() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let cur = s.current();

    // Q2 of a park = ytd(6) − ytd(3); Q1 = ytd(3).
    let monthly = read_parquet(&cur.join("monthly.parquet"));
    let (me, mi, mm, my, mv) = (
        strings(&monthly, "entity_id"),
        strings(&monthly, "indicator"),
        col_u8(&monthly, "month"),
        col_i32(&monthly, "year"),
        floats(&monthly, "ytd_value"),
    );
    let ytd = |m: u8| {
        (0..monthly.height())
            .find(|&r| {
                me[r].as_deref() == Some("jz_hitech")
                    && mi[r].as_deref() == Some("industrial_output")
                    && mm[r] == Some(m)
                    && my[r] == Some(2024)
            })
            .and_then(|r| mv[r])
            .unwrap()
    };
    let q = read_parquet(&cur.join("quarterly.parquet"));
    let (qe, qi, qq, qv, qd) = (
        strings(&q, "entity_id"),
        strings(&q, "indicator"),
        col_u8(&q, "quarter"),
        floats(&q, "value"),
        strings(&q, "derivation"),
    );
    let quarter = |n: u8| {
        (0..q.height())
            .find(|&r| {
                qe[r].as_deref() == Some("jz_hitech")
                    && qi[r].as_deref() == Some("industrial_output")
                    && qq[r] == Some(n)
            })
            .map(|r| (qv[r].unwrap(), qd[r].clone().unwrap()))
            .unwrap()
    };
    assert_eq!(quarter(1), (ytd(3), "ytd".to_string()));
    let (q2, d2) = quarter(2);
    assert!((q2 - (ytd(6) - ytd(3))).abs() < 1e-3 && d2 == "ytd_diff");
    // A quarter a report states (临港园区 三季度 16.1亿元) is taken as reported.
    let port_q3 = (0..q.height())
        .find(|&r| {
            qe[r].as_deref() == Some("jz_port")
                && qi[r].as_deref() == Some("industrial_output")
                && qq[r] == Some(3)
        })
        .unwrap();
    assert_eq!(
        (qv[port_q3], qd[port_q3].as_deref()),
        (Some(1.61e9), Some("reported"))
    );

    // The share a report states sits next to the share computed from both values.
    let sh = read_parquet(&cur.join("shares.parquet"));
    let (se, si, sm, sc, ss) = (
        strings(&sh, "entity_id"),
        strings(&sh, "indicator"),
        col_u8(&sh, "month_to"),
        floats(&sh, "computed_share_pct"),
        floats(&sh, "stated_share_pct"),
    );
    let r = (0..sh.height())
        .find(|&r| {
            se[r].as_deref() == Some("jz_hitech")
                && si[r].as_deref() == Some("industrial_output")
                && sm[r] == Some(8)
        })
        .unwrap();
    assert_eq!(ss[r], Some(20.6));
    assert!((sc[r].unwrap() - 20.6).abs() < 0.05, "computed {:?}", sc[r]);

    // Rankings among the three parks agree with their values.
    let rk = read_parquet(&cur.join("rankings.parquet"));
    let (ri, ry, rm, rv, rr, rn) = (
        strings(&rk, "indicator"),
        col_i32(&rk, "year"),
        col_u8(&rk, "month_to"),
        floats(&rk, "value"),
        col_u32(&rk, "rank_by_value"),
        col_u32(&rk, "n_ranked"),
    );
    let mut group: Vec<(f64, u32)> = (0..rk.height())
        .filter(|&r| {
            ri[r].as_deref() == Some("industrial_output")
                && ry[r] == Some(2024)
                && rm[r] == Some(8)
                && rv[r].is_some()
                && strings(&rk, "period_kind")[r].as_deref() == Some("ytd")
        })
        .map(|r| (rv[r].unwrap(), rr[r].unwrap()))
        .collect();
    assert_eq!(group.len(), 3);
    assert!((0..rk.height()).all(|r| rn[r].unwrap() >= 2));
    group.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert_eq!(group.iter().map(|g| g.1).collect::<Vec<_>>(), [1, 2, 3]);

    // Whole years come from the reports' 2023 figures.
    let an = read_parquet(&cur.join("annual.parquet"));
    assert!(col_i32(&an, "year").iter().all(|y| *y == Some(2023)) && an.height() >= 3);
}

fn rules(dir: &std::path::Path) -> Vec<String> {
    strings(&read_parquet(&dir.join("checks.parquet")), "rule")
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn share_parts_and_month_rules_fire_and_stay_quiet() {
    // Quiet: the sample's shares agree and its parks stay under the city; a stated August
    // that matches the cumulatives is no finding.
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let r = rules(&s.current());
    assert!(
        !r.iter()
            .any(|x| x == "share_mismatch" || x == "parts_exceed_whole"),
        "{r:?}"
    );
    // Fires: the city report's July (45.2亿) is not 1-7月 minus 1-6月.
    assert!(r.iter().any(|x| x == "month_mismatch"), "{r:?}");

    // A stated share the values contradict.
    let s = Scratch::new();
    let report = s
        .path()
        .join("data/reports/江州高新区_2024年1-8月工作情况汇报.txt");
    let text = std::fs::read_to_string(&report)
        .unwrap()
        .replace("占全市规上工业总产值的20.6%", "占全市规上工业总产值的30.6%");
    std::fs::write(&report, text).unwrap();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert!(rules(&s.current()).iter().any(|x| x == "share_mismatch"));

    // A city total below the sum of its parks: an error, so the run exits 3.
    let s = Scratch::new();
    let city = s.path().join("data/csv/江州市_2024年1-8月_全市.csv");
    let text = std::fs::read_to_string(&city).unwrap().replace(
        "全市,规上工业总产值,2024,1-8月,369.2,亿元",
        "全市,规上工业总产值,2024,1-8月,169.2,亿元",
    );
    std::fs::write(&city, text).unwrap();
    assert_eq!(s.run(&[]).status.code(), Some(3));
    assert!(rules(&s.current())
        .iter()
        .any(|x| x == "parts_exceed_whole"));
}

/// For every flow series of the default pipeline, the month values sum to the latest
/// year-to-date value; where a reported month differs from the difference of the
/// cumulatives, a `month_mismatch` check says by exactly how much.
#[test]
fn month_values_of_every_series_sum_to_the_latest_ytd() {
    use parkstat::model::{Check, Monthly};
    use parkstat::publish::read_back;
    use std::collections::BTreeMap;

    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let dir = std::fs::canonicalize(s.current()).unwrap();
    let monthly = read_back::table::<Monthly>(&dir).unwrap();
    let checks = read_back::table::<Check>(&dir).unwrap();
    for (name, rows) in [
        ("monthly", monthly.len()),
        ("checks", checks.len()),
        (
            "quarterly",
            read_parquet(&dir.join("quarterly.parquet")).height(),
        ),
        ("shares", read_parquet(&dir.join("shares.parquet")).height()),
        (
            "rankings",
            read_parquet(&dir.join("rankings.parquet")).height(),
        ),
    ] {
        assert!(rows > 0, "{name} is empty");
    }
    let mut series: BTreeMap<(String, &str, String, i32), Vec<&Monthly>> = BTreeMap::new();
    for m in &monthly {
        series
            .entry((
                m.entity_id.clone(),
                m.scope.as_str(),
                m.indicator.clone(),
                m.year,
            ))
            .or_default()
            .push(m);
    }
    let mut checked = 0;
    for ((entity, scope, indicator, year), rows) in &series {
        let last = rows.iter().max_by_key(|m| m.month).unwrap();
        let Some(ytd) = last.ytd_value else { continue };
        // A series whose first known cumulative is not from January cannot be split.
        let first = rows.iter().min_by_key(|m| m.month).unwrap();
        if first.month_value.is_none() {
            continue;
        }
        let sum: f64 = rows.iter().filter_map(|m| m.month_value).sum();
        let explained: f64 = checks
            .iter()
            .filter(|c| {
                c.rule == "month_mismatch"
                    && &c.entity_id == entity
                    && c.scope.as_str() == *scope
                    && &c.indicator == indicator
                    && c.year == *year
            })
            .map(|c| c.observed.unwrap() - c.expected.unwrap())
            .sum();
        assert!(
            (sum - explained - ytd).abs() <= 1e-6 * ytd.abs().max(1.0),
            "{entity} {scope} {indicator} {year}: months sum to {sum}, ytd is {ytd}, mismatches explain {explained}"
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} series checked");
}
