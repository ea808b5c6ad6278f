//! Reconcile, derive and check, one small input set per scenario with asserted output
//! (issue "Reconcile sources and corrections…", scenarios (a)–(i)).

mod common;

use std::path::PathBuf;

use common::*;
use parkstat::model::{Check, Fact, Monthly, Share, Table};
use parkstat::publish::read_back;
use rust_xlsxwriter::Workbook;

const PIPELINE: &str = r#"[pipeline]
name = "s"
root = ".."
year = 2024

[[entities]]
id = "city"
name = "江北市"
scope = "city"
aliases = ["全市"]

[[entities]]
id = "p1"
name = "江北高新技术产业开发区"
aliases = ["江北高新区"]
parent = "city"

[[entities]]
id = "p2"
name = "江北经济开发区"
aliases = ["江北经开区"]
parent = "city"

[[sources]]
kind = "csv"
paths = ["data/*.csv"]

[[sources]]
kind = "sheet"
paths = ["data/*.xlsx"]

[[sources]]
kind = "text"
paths = ["data/*.txt"]

[[sources]]
kind = "correction"
paths = ["data/corrections/*.csv"]
"#;

/// A project of its own: the scenario pipeline and whatever inputs a test writes.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pipelines")).unwrap();
        std::fs::create_dir_all(dir.path().join("data/corrections")).unwrap();
        std::fs::write(dir.path().join("pipelines/s.toml"), PIPELINE).unwrap();
        Case { dir }
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join("data").join(rel), text).unwrap();
    }

    /// A sheet of the indicators-as-rows layout: (indicator, 累计 in 万元, 同比 %).
    fn sheet(&self, name: &str, title: &str, rows: &[(&str, f64, f64)]) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, title).unwrap();
        ws.write_string(1, 3, "单位:万元").unwrap();
        for (c, h) in ["指标名称", "1-8月累计", "同比增长(%)"].iter().enumerate() {
            ws.write_string(2, c as u16, *h).unwrap();
        }
        for (r, (ind, v, g)) in rows.iter().enumerate() {
            ws.write_string(3 + r as u32, 0, *ind).unwrap();
            ws.write_number(3 + r as u32, 1, *v).unwrap();
            ws.write_number(3 + r as u32, 2, *g).unwrap();
        }
        wb.save(self.dir.path().join("data").join(name)).unwrap();
    }

    fn run(&self) -> (i32, String) {
        let out = parkstat()
            .arg("run")
            .arg(self.dir.path().join("pipelines/s.toml"))
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), stderr(&out))
    }

    fn current(&self) -> PathBuf {
        self.dir.path().join("out/s/current")
    }

    fn table<T: Table>(&self) -> Vec<T> {
        read_back::table::<T>(&std::fs::canonicalize(self.current()).unwrap()).unwrap()
    }

    fn checks(&self, rule: &str) -> Vec<Check> {
        self.table::<Check>()
            .into_iter()
            .filter(|c| c.rule == rule)
            .collect()
    }

    fn fact(&self, entity: &str, indicator: &str, year: i32, to: u8) -> Fact {
        self.table::<Fact>()
            .into_iter()
            .find(|f| {
                f.entity_id == entity
                    && f.indicator == indicator
                    && f.year == year
                    && f.month_to == Some(to)
                    && f.month_from == Some(1)
            })
            .unwrap_or_else(|| panic!("no fact {entity} {indicator} {year} 1-{to}"))
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const REPORT_TITLE: &str = "江北高新区2024年1-8月经济运行情况\n\n";
const SHEET_TITLE: &str = "江北高新区2024年1-8月主要经济指标";

fn report(case: &Case, sentence: &str) {
    case.write(
        "江北高新区2024年1-8月经济运行情况.txt",
        &format!("{REPORT_TITLE}{sentence}\n"),
    );
}

/// (a) 7亿 in a report and 70,312万 in a sheet agree within the report's rounding.
#[test]
fn a_text_and_sheet_that_agree_within_rounding_make_one_fact() {
    let c = Case::new();
    report(
        &c,
        "1-8月，江北高新区完成规上工业总产值7亿元，同比增长11%。",
    );
    c.sheet(
        "江北高新区_1-8月.xlsx",
        SHEET_TITLE,
        &[("规上工业总产值", 70312.0, 11.2)],
    );
    let (code, err) = c.run();
    assert_eq!(code, 0, "{err}");
    let f = c.fact("p1", "industrial_output", 2024, 8);
    assert_eq!((f.n_sources, f.conflict), (2, false));
    assert_eq!(
        f.value,
        Some(703_120_000.0),
        "the sheet wins and is the more precise"
    );
    assert_eq!(f.winner_source_kind.as_str(), "sheet");
    assert!(c.checks("conflict").is_empty());
}

/// (b) 7.6亿 against 70,312万: a conflict check names both; the sheet wins by precedence.
#[test]
fn b_sources_that_disagree_make_a_conflict_check_and_precedence_decides() {
    let c = Case::new();
    report(
        &c,
        "1-8月，江北高新区完成规上工业总产值7.6亿元，同比增长11%。",
    );
    c.sheet(
        "江北高新区_1-8月.xlsx",
        SHEET_TITLE,
        &[("规上工业总产值", 70312.0, 11.2)],
    );
    let (code, err) = c.run();
    assert_eq!(code, 0, "{err}");
    let f = c.fact("p1", "industrial_output", 2024, 8);
    assert!(f.conflict);
    assert_eq!(f.value, Some(703_120_000.0));
    let conflicts = c.checks("conflict");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let m = &conflicts[0].message;
    assert!(
        m.contains("70312万元") && m.contains("7.6亿元") && m.contains("source precedence"),
        "{m}"
    );
    assert_eq!(conflicts[0].obs_ids.split(';').count(), 2);
}

/// Two files of one kind, equally precise, that disagree: the newer file wins, whichever
/// its name, and the conflict says why.
#[test]
fn the_newer_file_wins_when_kind_and_precision_tie() {
    let c = Case::new();
    let row = |v: &str| {
        format!("园区,指标,年份,期间,数值,单位\n江北高新区,营业收入,2024,1-8月,{v},万元\n")
    };
    c.write("a.csv", &row("500"));
    c.write("b.csv", &row("520"));
    let touch = |name: &str, secs: u64| {
        let f = std::fs::File::options()
            .write(true)
            .open(c.dir.path().join("data").join(name))
            .unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    };
    for (newer, older, want) in [
        ("b.csv", "a.csv", 5_200_000.0),
        ("a.csv", "b.csv", 5_000_000.0),
    ] {
        touch(older, 1_700_000_000);
        touch(newer, 1_700_086_400);
        assert_eq!(c.run().0, 0);
        let f = c.fact("p1", "revenue", 2024, 8);
        assert_eq!(
            (f.value, f.conflict),
            (Some(want), true),
            "{newer} is newer"
        );
        let m = &c.checks("conflict")[0].message;
        assert!(m.contains(&format!("newer file, data/{newer}")), "{m}");
    }
}

/// (c) A correction changes the fact, sets `corrected`, keeps the original in lineage,
/// and `diff` shows exactly that change.
#[test]
fn c_a_correction_changes_one_fact_and_diff_shows_only_that() {
    let c = Case::new();
    c.sheet(
        "江北高新区_1-8月.xlsx",
        SHEET_TITLE,
        &[
            ("规上工业总产值", 70312.0, 11.2),
            ("营业收入", 90000.0, 5.0),
        ],
    );
    assert_eq!(c.run().0, 0);
    let before = c.fact("p1", "industrial_output", 2024, 8);
    c.write(
        "corrections/2024-09.csv",
        "entity,indicator,year,period,value,unit,yoy_pct,reason,author\np1,规上工业总产值,2024,1-8月,71312,万元,12.7,报表漏报一家企业,张三\n",
    );
    let (code, err) = c.run();
    assert_eq!(code, 0, "{err}");
    let after = c.fact("p1", "industrial_output", 2024, 8);
    assert_eq!(after.value, Some(713_120_000.0));
    assert_eq!(after.yoy_pct, Some(12.7));
    assert!(after.corrected && !after.conflict);
    assert_eq!(after.n_sources, 2);
    assert!(c.checks("correction_unmatched").is_empty());
    assert!(
        after.sources.contains(&before.winner_obs_id),
        "the original stays in lineage: {}",
        after.sources
    );
    let out = parkstat()
        .args(["diff", "--format", "jsonl", "--pipeline"])
        .arg(c.dir.path().join("pipelines/s.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let d = &lines[0];
    assert_eq!(d["change"], "changed");
    assert_eq!(d["indicator"], "industrial_output");
    assert_eq!(d["old_value"], 703_120_000.0);
    assert_eq!(d["new_value"], 713_120_000.0);
    assert_eq!(d["fields"], "value,yoy_pct");
    assert_eq!(d["corrected"], true);

    // A correction naming a period no input states is applied but flagged.
    c.write(
        "corrections/2024-10.csv",
        "entity,indicator,year,period,value,unit,yoy_pct,reason,author\np1,营业收入,2024,1-7月,80000,万元,,月报补录,李四\n",
    );
    assert_eq!(c.run().0, 0);
    let unmatched = c.checks("correction_unmatched");
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert_eq!(unmatched[0].month_to, Some(7));
}

/// A correction without a reason or an author is rejected, not applied.
#[test]
fn a_correction_without_reason_or_author_is_rejected() {
    let c = Case::new();
    c.sheet(
        "江北高新区_1-8月.xlsx",
        SHEET_TITLE,
        &[("规上工业总产值", 70312.0, 11.2)],
    );
    c.write(
        "corrections/x.csv",
        "entity,indicator,year,period,value,unit,yoy_pct,reason,author\np1,规上工业总产值,2024,1-8月,71312,万元,,,\n",
    );
    assert_eq!(c.run().0, 0);
    assert_eq!(
        c.fact("p1", "industrial_output", 2024, 8).value,
        Some(703_120_000.0)
    );
    let rejects = c.table::<parkstat::model::Reject>();
    assert!(
        rejects
            .iter()
            .any(|r| r.reason.contains("without a reason")),
        "{rejects:?}"
    );
}

/// (d) January and February only as `1-2月`: the first increment covers both months.
#[test]
fn d_a_series_starting_with_jan_feb_combined() {
    let c = Case::new();
    c.write(
        "p1.csv",
        "园区,指标,年份,期间,数值,单位\n江北高新区,营业收入,2024,1-2月,200,万元\n江北高新区,营业收入,2024,1-3月,320,万元\n江北高新区,营业收入,2024,1-4月,430,万元\n",
    );
    assert_eq!(c.run().0, 0);
    let m: Vec<(u8, Option<f64>, String, Option<u8>)> = c
        .table::<Monthly>()
        .into_iter()
        .filter(|m| m.indicator == "revenue")
        .map(|m| (m.month, m.month_value, m.derivation, m.month_value_from))
        .collect();
    assert_eq!(
        m,
        [
            (2, Some(2_000_000.0), "ytd_diff_span".into(), Some(1)),
            (3, Some(1_200_000.0), "ytd_diff".into(), Some(3)),
            (4, Some(1_100_000.0), "ytd_diff".into(), Some(4)),
        ]
    );
}

/// (e) A month filed in 元 under a 万元 label: ×10⁴ against its neighbours.
#[test]
fn e_a_unit_slip_is_flagged() {
    let c = Case::new();
    c.write(
        "p1.csv",
        "园区,指标,年份,期间,数值,单位\n江北高新区,营业收入,2024,1-6月,600,万元\n江北高新区,营业收入,2024,1-7月,7100000,万元\n江北高新区,营业收入,2024,1-8月,820,万元\n",
    );
    c.run();
    let jumps = c.checks("unit_jump");
    assert_eq!(jumps.len(), 2, "{jumps:?}");
    assert_eq!(jumps[0].month_to, Some(7));
    assert!(
        jumps[0].message.contains("wrong unit"),
        "{}",
        jumps[0].message
    );
    // Ordinary growth is quiet.
    let q = Case::new();
    q.write(
        "p1.csv",
        "园区,指标,年份,期间,数值,单位\n江北高新区,营业收入,2024,1-6月,600,万元\n江北高新区,营业收入,2024,1-7月,710,万元\n",
    );
    assert_eq!(q.run().0, 0);
    assert!(q.checks("unit_jump").is_empty());
}

/// (f) A decreasing year-to-date is an error (exit 3); profit, which may fall, is not.
#[test]
fn f_a_decreasing_cumulative_is_an_error_except_where_it_may_fall() {
    let c = Case::new();
    c.write(
        "p1.csv",
        "园区,指标,年份,期间,数值,单位\n江北高新区,营业收入,2024,1-7月,500,万元\n江北高新区,营业收入,2024,1-8月,480,万元\n江北高新区,利润总额,2024,1-7月,50,万元\n江北高新区,利润总额,2024,1-8月,45,万元\n",
    );
    let (code, _) = c.run();
    assert_eq!(code, 3);
    let dec = c.checks("cumulative_decreasing");
    assert_eq!(dec.len(), 1, "{dec:?}");
    assert_eq!(
        (dec[0].indicator.as_str(), dec[0].severity.as_str()),
        ("revenue", "error")
    );
}

/// (g) 950 of 1500 is 63.3%: a stated 63.3% agrees, a stated 70% is a check.
#[test]
fn g_stated_shares_against_computed_ones() {
    for (stated, fires) in [("63.3", false), ("70", true)] {
        let c = Case::new();
        c.write(
            "city.csv",
            "园区,指标,年份,期间,数值,单位\n江北市,规上工业总产值,2024,1-8月,1500,亿元\n",
        );
        report(
            &c,
            &format!(
                "1-8月，江北高新区完成规上工业总产值950亿元，占全市规上工业总产值的{stated}%。"
            ),
        );
        assert_eq!(c.run().0, 0);
        let s: Vec<Share> = c
            .table::<Share>()
            .into_iter()
            .filter(|s| s.entity_id == "p1" && s.indicator == "industrial_output")
            .collect();
        assert_eq!(s.len(), 1, "{s:?}");
        assert!((s[0].computed_share_pct.unwrap() - 63.333).abs() < 0.01);
        assert_eq!(s[0].stated_share_pct, Some(stated.parse().unwrap()));
        assert_eq!(
            !c.checks("share_mismatch").is_empty(),
            fires,
            "stated {stated}%"
        );
    }
}

/// (h) Growth on a comparable basis: the implied prior year differs from the published
/// one by a few points → `yoy_basis` info; by far more → `growth_mismatch` warn.
#[test]
fn h_comparable_basis_is_info_and_a_wrong_growth_is_a_warning() {
    for (yoy, rule) in [
        ("10.0", Some("yoy_basis")),
        ("30.0", Some("growth_mismatch")),
        ("7.8", None),
    ] {
        let c = Case::new();
        c.write(
            "p1.csv",
            &format!("园区,指标,年份,期间,数值,单位,同比\n江北高新区,营业收入,2024,1-8月,1100,万元,{yoy}\n江北高新区,营业收入,2023,1-8月,1020,万元,\n"),
        );
        assert_eq!(c.run().0, 0);
        let fired: Vec<String> = c
            .table::<Check>()
            .into_iter()
            .filter(|c| c.rule == "yoy_basis" || c.rule == "growth_mismatch")
            .map(|c| format!("{}:{}", c.rule, c.severity.as_str()))
            .collect();
        let want: Vec<String> = rule
            .map(|r| format!("{r}:{}", if r == "yoy_basis" { "info" } else { "warn" }))
            .into_iter()
            .collect();
        assert_eq!(fired, want, "reported {yoy}% against 1100/1020 = 7.84%");
        let m = c
            .table::<Monthly>()
            .into_iter()
            .find(|m| m.year == 2024 && m.month == 8)
            .unwrap();
        assert_eq!(m.prior_ytd_reported, Some(10_200_000.0));
    }
}

/// (i) A stock (enterprises counted) is never differenced into months, even when a file
/// labels its counts 1-7月 and 1-8月 like cumulatives.
#[test]
fn i_a_stock_is_never_differenced() {
    let c = Case::new();
    c.write(
        "p1.csv",
        "园区,指标,年份,期间,数值,单位\n江北高新区,规上工业企业数,2024,1-7月,120,家\n江北高新区,规上工业企业数,2024,1-8月,126,家\n江北高新区,营业收入,2024,1-7月,500,万元\n江北高新区,营业收入,2024,1-8月,580,万元\n",
    );
    assert_eq!(c.run().0, 0);
    let facts = c.table::<Fact>();
    assert_eq!(
        facts
            .iter()
            .filter(|f| f.indicator == "above_scale_enterprises")
            .count(),
        2,
        "{facts:?}"
    );
    let monthly = c.table::<Monthly>();
    assert!(
        monthly.iter().all(|m| m.indicator == "revenue"),
        "{monthly:?}"
    );
    assert_eq!(monthly.len(), 2);
}

/// Rates outside what is possible (办结率 above 100%) are errors; 98.5% is quiet.
#[test]
fn a_rate_out_of_range_is_an_error() {
    for (v, fires) in [("101.5", true), ("98.5", false)] {
        let c = Case::new();
        c.write(
            "p1.csv",
            &format!("园区,指标,年份,期间,数值,单位\n江北高新区,企业诉求办结率,2024,1-8月,{v},%\n"),
        );
        let (code, _) = c.run();
        assert_eq!(code, if fires { 3 } else { 0 });
        assert_eq!(c.checks("rate_out_of_range").len(), usize::from(fires));
    }
}
