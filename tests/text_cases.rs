//! The hard cases of report text (../shared/docs/TEXT.md §2), one sentence each,
//! through the whole text reader: numbers, units, periods, growth, scope,
//! thresholds, names, targets, approximations.

use parkstat::config::pipeline::Pipeline;
use parkstat::ingest::{text, SourceContext};
use parkstat::model::SourceKind;

fn fmt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_else(|| "-".into())
}

/// Observations of a one-paragraph report (a title gives the year 2024) as short strings, and reject reasons.
fn read(body: &str) -> (Vec<String>, Vec<String>) {
    let p = Pipeline::ad_hoc().expect("built-in dictionaries");
    let ctx = SourceContext::standalone(&p, SourceKind::Text, "t.txt");
    let doc = format!("江州高新区2024年工作情况汇报\n{body}\n");
    let out = text::read(&doc, "t.txt", &ctx).expect("reads");
    let mut obs: Vec<String> = out
        .observations
        .iter()
        .map(|o| {
            let period = format!(
                "{}{}",
                o.period_kind.as_str(),
                match (o.month_from, o.month_to) {
                    (Some(a), Some(b)) => format!(" {a}-{b}"),
                    (None, Some(b)) => format!(" -{b}"),
                    _ => String::new(),
                }
            );
            let mut s = format!(
                "{} {} {} {} {} {}",
                o.indicator,
                o.scope.as_str(),
                o.year,
                period,
                fmt(o.value),
                o.unit
            );
            if o.yoy_pct.is_some() {
                s += &format!(" yoy={}", fmt(o.yoy_pct));
            }
            if o.yoy_pp.is_some() {
                s += &format!(" pp={}", fmt(o.yoy_pp));
            }
            if let Some(sh) = o.share_pct {
                s += &format!(" share={sh}/{}", o.share_of.as_deref().unwrap_or(""));
            }
            if o.approx {
                s += " approx";
            }
            if let Some(q) = &o.qualifier {
                s += &format!(" [{q}]");
            }
            s
        })
        .collect();
    obs.sort();
    let rejects = out
        .rejects
        .iter()
        .map(|r| format!("{}: {}", r.raw, r.reason.split(':').next().unwrap_or("")))
        .collect();
    (obs, rejects)
}

fn obs(body: &str) -> Vec<String> {
    read(body).0
}

fn rejects(body: &str) -> Vec<String> {
    read(body).1
}

#[test]
fn numbers_separators_fullwidth_chinese_and_mixed() {
    assert_eq!(
        obs("1-8月,园区营业收入2,350.6万元。"),
        ["revenue park 2024 ytd 1-8 23506000 元"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入1 500亿元。"),
        ["revenue park 2024 ytd 1-8 150000000000 元"]
    );
    assert_eq!(
        obs("１－８月，园区营业收入１２．５亿元，同比增长１２．５％。"),
        ["revenue park 2024 ytd 1-8 1250000000 元 yoy=12.5"]
    );
    assert_eq!(
        obs("截至目前,园区规上工业企业一百二十家。"),
        ["above_scale_enterprises park 2024 as_of 120 家"]
    );
    assert_eq!(
        obs("截至8月末,园区应用工业机器人两千余台。"),
        ["industrial_robots park 2024 as_of -8 2000 台 approx"]
    );
    assert_eq!(
        obs("截至8月末,园区从业人员1.5万人。"),
        ["employees park 2024 as_of -8 15000 人"]
    );
    assert_eq!(
        obs("1-8月,全市营业收入1.2万亿元。"),
        ["revenue city 2024 ytd 1-8 1200000000000 元"]
    );
}

#[test]
fn pairs_and_ranges_are_never_a_silent_pick() {
    assert_eq!(
        obs("截至目前,园区规上工业企业两三家。"),
        Vec::<String>::new()
    );
    assert!(rejects("截至目前,园区规上工业企业两三家。")[0].contains("approximate pair"));
    assert!(rejects("1-8月,园区新签约项目20至30个。")[0].contains("a range"));
    assert!(rejects("1-8月,园区营业收入20-30亿元。")[0].contains("a range"));
    assert!(rejects("截至目前,园区规上工业企业十几家。")[0].contains("approximate count"));
}

#[test]
fn units_and_scales() {
    assert_eq!(
        obs("1至8月,园区工业用电量7亿千瓦时。"),
        ["industrial_electricity park 2024 ytd 1-8 700000000 千瓦时"]
    );
    assert_eq!(
        obs("1至8月,园区工业用电量3.5亿度。"),
        ["industrial_electricity park 2024 ytd 1-8 350000000 千瓦时"]
    );
    assert_eq!(
        obs("1至8月,园区工业用电量86412万千瓦时。"),
        ["industrial_electricity park 2024 ytd 1-8 864120000 千瓦时"]
    );
    assert_eq!(
        obs("1至8月,园区工业用汽量55万立方米。"),
        ["industrial_steam park 2024 ytd 1-8 550000 立方米"]
    );
    assert_eq!(
        obs("1至8月,园区实际使用外资1200万美元。"),
        ["fdi_actual park 2024 ytd 1-8 12000000 美元"]
    );
    assert_eq!(
        obs("截至8月末,园区应用工业机器人200台（套）。"),
        ["industrial_robots park 2024 as_of -8 200 台"]
    );
    assert_eq!(
        obs("1-8月,园区审批时限缩短至15个工作日。"),
        ["approval_days park 2024 ytd 1-8 15 工作日"]
    );
}

#[test]
fn periods_govern_their_sentence() {
    assert_eq!(
        obs("上半年,园区营业收入8亿元。"),
        ["revenue park 2024 ytd 1-6 800000000 元"]
    );
    assert_eq!(
        obs("前三季度,园区营业收入8亿元。"),
        ["revenue park 2024 ytd 1-9 800000000 元"]
    );
    assert_eq!(
        obs("三季度,园区营业收入3亿元。"),
        ["revenue park 2024 quarter 7-9 300000000 元"]
    );
    assert_eq!(
        obs("8月当月,园区营业收入1.1亿元。"),
        ["revenue park 2024 month 8-8 110000000 元"]
    );
    assert_eq!(
        obs("2023年,园区营业收入11亿元。"),
        ["revenue park 2023 year 1-12 1100000000 元"]
    );
    assert_eq!(
        obs("前8个月,园区营业收入8亿元。"),
        ["revenue park 2024 ytd 1-8 800000000 元"]
    );
    // a stock under 截至目前 takes the report's latest month
    assert_eq!(
        obs("1-8月,园区营业收入8亿元。截至目前,园区规上工业企业95家。"),
        [
            "above_scale_enterprises park 2024 as_of -8 95 家",
            "revenue park 2024 ytd 1-8 800000000 元"
        ]
    );
    // a flow in a later sentence of the paragraph keeps the paragraph's period
    assert_eq!(
        obs("1-8月,园区营业收入8亿元。实现税收0.5亿元。"),
        [
            "revenue park 2024 ytd 1-8 800000000 元",
            "tax_revenue park 2024 ytd 1-8 50000000 元"
        ]
    );
}

#[test]
fn growth_signs_multiples_and_points() {
    assert_eq!(
        obs("1-8月,园区营业收入同比下降3.2%。"),
        ["revenue park 2024 ytd 1-8 - 元 yoy=-3.2"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入同比减少3.2%。"),
        ["revenue park 2024 ytd 1-8 - 元 yoy=-3.2"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入增长-2.1%。"),
        ["revenue park 2024 ytd 1-8 - 元 yoy=-2.1"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入负增长1.3%。"),
        ["revenue park 2024 ytd 1-8 - 元 yoy=-1.3"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入8亿元,增长1.2倍。"),
        ["revenue park 2024 ytd 1-8 800000000 元 yoy=120"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入8亿元,同比增长9.4%,增速提高1.2个百分点。"),
        ["revenue park 2024 ytd 1-8 800000000 元 yoy=9.4 pp=1.2"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入同比增长5%,增速回落0.4个百分点。"),
        ["revenue park 2024 ytd 1-8 - 元 yoy=5 pp=-0.4"]
    );
    // points are never a % growth; against another period or area they are no column's
    assert!(
        rejects("1-8月,园区营业收入增长5.8%,比1-7月加快0.1个百分点。")[0]
            .contains("another period")
    );
    assert!(
        rejects("1-8月,园区营业收入增长5.8%,高于全省1.4个百分点。")[0].contains("another area")
    );
    assert!(rejects("1-8月,园区规上工业拉动全市工业增长2.3个百分点。")[0].contains("contribution"));
    assert!(rejects("8月,园区营业收入环比增长3%。")[0].contains("another base"));
    assert!(rejects("1-8月,园区营业收入两年平均增长6.1%。")[0].contains("another base"));
}

#[test]
fn respectively_lists_pair_in_order() {
    assert_eq!(
        obs("1-8月,园区工业用电量、工业用水量分别增长6%和9%。"),
        [
            "industrial_electricity park 2024 ytd 1-8 - 千瓦时 yoy=6",
            "industrial_water park 2024 ytd 1-8 - 立方米 yoy=9"
        ]
    );
    assert_eq!(
        obs("1-8月,园区营业收入、利润总额、税收收入分别比上年同期增长8.6%、12.1%和3.4%。"),
        [
            "revenue park 2024 ytd 1-8 - 元 yoy=8.6",
            "tax_revenue park 2024 ytd 1-8 - 元 yoy=3.4",
            "total_profit park 2024 ytd 1-8 - 元 yoy=12.1"
        ]
    );
}

#[test]
fn scope_shares_and_subsets() {
    assert_eq!(
        obs("1至8月,全市规上工业总产值达1500亿元,同比增长12.5%;其中,园区规上工业总产值为950亿元,占全市总产值的63.3%。"),
        [
            "industrial_output city 2024 ytd 1-8 150000000000 元 yoy=12.5",
            "industrial_output park 2024 ytd 1-8 - % share=63.3/city",
            "industrial_output park 2024 ytd 1-8 95000000000 元",
        ]
    );
    // the comparator's own rate is not the park's
    let (o, r) = read("1-8月,园区营业收入增长6.6%,高于全省(5.2%)1.4个百分点。");
    assert_eq!(o, ["revenue park 2024 ytd 1-8 - 元 yoy=6.6"]);
    assert!(r.iter().any(|x| x.contains("comparator")), "{r:?}");
    assert_eq!(
        obs("1-8月,全省营业收入8亿元。"),
        ["revenue province 2024 ytd 1-8 800000000 元"]
    );
    assert_eq!(
        obs("1-8月,全县营业收入8亿元。"),
        ["revenue county 2024 ytd 1-8 800000000 元"]
    );
}

#[test]
fn thresholds_are_classes_and_counts_of_them_are_facts() {
    assert_eq!(
        obs("1至8月,园区在库5000万元以上工业项目新增23个。"),
        ["projects_by_class park 2024 ytd 1-8 23 个 [在库5000万元以上]"]
    );
    assert_eq!(
        obs("入园企业中,年营收超5亿元的企业有14家,其中外资企业6家。"),
        [
            "enterprises_by_class park 2024 as_of 14 家 [年营收超5亿元]",
            "enterprises_by_class park 2024 as_of 6 家 [年营收超5亿元;外资]"
        ]
    );
    assert_eq!(
        obs("园区纳税300万元以上企业11家。"),
        ["enterprises_by_class park 2024 as_of 11 家 [纳税300万元以上]"]
    );
    assert_eq!(
        obs("园区亩均税收低于15万元的企业有9家。"),
        ["enterprises_by_class park 2024 as_of 9 家 [亩均税收低于15万元]"]
    );
}

#[test]
fn names_dates_phones_and_targets_are_not_facts() {
    assert_eq!(
        obs("园区落实“4221”政策,推进5G和4/5G网络建设,学习二十届三中全会精神,谋划“十四五”规划。"),
        Vec::<String>::new()
    );
    assert_eq!(
        obs("2019年7月9日,园区召开会议,咨询电话0791-88886666,QQ:3966530830。"),
        Vec::<String>::new()
    );
    assert_eq!(
        obs("(一)示范引领。一是强化服务,二是优化环境。"),
        Vec::<String>::new()
    );
    let (o, r) = read("力争全年完成固定资产投资30亿元,营业收入突破100亿元。");
    assert!(o.is_empty(), "{o:?}");
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|x| x.contains("target")));
    assert!(obs("预计全年园区营业收入增长10%。").is_empty());
}

#[test]
fn approximations_are_flagged() {
    assert_eq!(
        obs("1-8月,园区营业收入约12亿元。"),
        ["revenue park 2024 ytd 1-8 1200000000 元 approx"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入近10亿元。"),
        ["revenue park 2024 ytd 1-8 1000000000 元 approx"]
    );
    assert_eq!(
        obs("截至目前,园区规上工业企业超120家。"),
        ["above_scale_enterprises park 2024 as_of 120 家 approx"]
    );
    assert_eq!(
        obs("截至目前,园区规上工业企业百余家。"),
        ["above_scale_enterprises park 2024 as_of 100 家 approx"]
    );
    assert_eq!(
        obs("截至目前,园区产能利用率70%左右。"),
        ["capacity_utilization park 2024 as_of 70 % approx"]
    );
    assert_eq!(
        obs("1-8月,园区营业收入达12亿元。"),
        ["revenue park 2024 ytd 1-8 1200000000 元"],
        "达 alone is not approximate"
    );
}

#[test]
fn ranks_and_rank_changes() {
    assert_eq!(
        obs("上半年,园区在全省96家省级高新区中排名第23位,较上年前移4位。"),
        ["composite_rank park 2024 ytd 1-6 23 位"]
    );
    assert!(
        rejects("上半年,园区在全省96家省级高新区中排名第23位,较上年前移4位。")[0]
            .contains("change of rank")
    );
    assert_eq!(
        obs("2023年,园区综合考核排名第十五位。"),
        ["composite_rank park 2023 year 1-12 15 位"]
    );
}

#[test]
fn unmapped_figures_keep_their_value_for_the_analyst() {
    let p = Pipeline::ad_hoc().unwrap();
    let ctx = SourceContext::standalone(&p, SourceKind::Text, "t.txt");
    let out = text::read(
        "园区2024年工作汇报\n1-8月,园区绿色建筑面积12.5万平方米。\n",
        "t.txt",
        &ctx,
    )
    .unwrap();
    assert!(out.observations.is_empty());
    assert_eq!(out.rejects.len(), 1);
    let r = &out.rejects[0];
    assert!(r.reason.starts_with("unmapped indicator"), "{}", r.reason);
    assert_eq!(r.value, Some(12.5));
    assert_eq!(r.raw, "12.5万平方米");
    assert_eq!(r.locator, "L2:14-21");
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    fn pieces() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "1至8月",
            "截至目前",
            "园区",
            "全市",
            "其中",
            "规上工业总产值",
            "营业收入",
            "同比增长",
            "下降",
            "12.5",
            "-3",
            "亿元",
            "万千瓦时",
            "%",
            "个百分点",
            "倍",
            "分别",
            "、",
            ",",
            "。",
            ";",
            "占",
            "的",
            "以上",
            "第",
            "位",
            "“",
            "”",
            "(",
            ")",
            "5G",
            "两三",
            "十几",
            "一百二十",
            "家",
            "个",
            "至",
            "年",
            "月",
            "2023",
            "力争",
            "\n",
            "\r\n",
            "１２．５",
            "−",
            "－",
            "（",
            "　",
        ]);
        prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn the_text_reader_never_panics_on_report_like_text(s in pieces()) {
            let _ = read(&s);
        }

        #[test]
        fn the_text_reader_never_panics_on_any_string(s in "\\PC*") {
            let _ = read(&s);
        }
    }
}
