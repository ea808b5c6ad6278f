//! Spreadsheets: layouts built here with rust_xlsxwriter, each read back
//! through `parkstat extract` with asserted observations and rejects; bad
//! files fail alone with a one-line reason.

mod common;

use common::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};

/// (locator, indicator, period_kind, year, month_to, value, unit, yoy) of each observation, and (locator, reason) of each reject.
type Obs = (
    String,
    String,
    String,
    i64,
    i64,
    Option<f64>,
    String,
    Option<f64>,
);

fn extract(path: &std::path::Path) -> (Vec<Obs>, Vec<(String, String)>, std::process::Output) {
    let out = parkstat()
        .args(["extract", "--format", "jsonl"])
        .arg(path)
        .output()
        .expect("extract runs");
    let mut obs = Vec::new();
    let mut rejects = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let o: serde_json::Value = serde_json::from_str(line).expect("json line");
        if o["table"] == "observations" {
            obs.push((
                o["locator"].as_str().unwrap().to_string(),
                o["indicator"].as_str().unwrap().to_string(),
                o["period_kind"].as_str().unwrap().to_string(),
                o["year"].as_i64().unwrap(),
                o["month_to"].as_i64().unwrap_or(0),
                o["value"].as_f64(),
                o["unit"].as_str().unwrap().to_string(),
                o["yoy_pct"].as_f64(),
            ));
        } else {
            rejects.push((
                o["locator"].as_str().unwrap().to_string(),
                o["reason"].as_str().unwrap().to_string(),
            ));
        }
    }
    obs.sort_by(|a, b| a.0.cmp(&b.0));
    (obs, rejects, out)
}

fn save(wb: &mut Workbook, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    wb.save(&p).expect("save workbook");
    p
}

/// Rows 1-2 of a park report: a merged title and the unit row.
fn title(ws: &mut Worksheet, text: &str, unit: &str) {
    ws.merge_range(0, 0, 0, 5, text, &Format::new()).unwrap();
    ws.write_string(1, 0, "填报单位:示范园区管委会").unwrap();
    ws.write_string(1, 5, unit).unwrap();
}

fn find<'a>(obs: &'a [Obs], loc: &str) -> &'a Obs {
    obs.iter()
        .find(|o| o.0 == loc)
        .unwrap_or_else(|| panic!("no observation at {loc}: {obs:#?}"))
}

#[test]
fn indicators_as_rows_with_a_two_row_merged_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("主要指标").unwrap();
    title(ws, "示范园区2024年1-8月主要经济指标完成情况", "单位:万元");
    let f = Format::new();
    ws.merge_range(2, 0, 3, 0, "指标名称", &f).unwrap();
    ws.merge_range(2, 1, 3, 1, "本月", &f).unwrap();
    ws.merge_range(2, 2, 2, 4, "累计", &f).unwrap();
    ws.write_string(3, 2, "1-8月").unwrap();
    ws.write_string(3, 3, "上年同期").unwrap();
    ws.write_string(3, 4, "增速(%)").unwrap();
    // row 5: numbers
    ws.write_string(4, 0, "规上工业总产值").unwrap();
    ws.write_number(4, 1, 1200.5).unwrap();
    ws.write_number(4, 2, 9850.3).unwrap();
    ws.write_number(4, 3, 9000.0).unwrap();
    ws.write_number(4, 4, 9.45).unwrap();
    // row 6: an indented sub-item, numbers as text with separators, growth as text with %
    ws.write_string(5, 0, "　　其中：高新技术产业产值").unwrap();
    ws.write_string(5, 1, "—").unwrap();
    ws.write_string(5, 2, "4,120.0").unwrap();
    ws.write_string(5, 3, "/").unwrap();
    ws.write_string(5, 4, "12.5%").unwrap();
    // row 7: its own unit in the label; a formula error for growth
    ws.write_string(6, 0, "工业用电量（万千瓦时）").unwrap();
    ws.write_number(6, 1, 812.0).unwrap();
    ws.write_number(6, 2, 6543.2).unwrap();
    ws.write_number(6, 3, 0.0).unwrap();
    ws.write_formula(6, 4, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // row 8: a cell that is no number; row 9: an indicator no dictionary knows
    ws.write_string(7, 0, "营业收入").unwrap();
    ws.write_string(7, 2, "约一万").unwrap();
    ws.write_string(8, 0, "园区绿化覆盖率(%)").unwrap();
    ws.write_number(8, 2, 41.5).unwrap();
    ws.merge_range(10, 0, 10, 4, "注:本表为快报数。", &f)
        .unwrap();
    ws.write_string(11, 0, "填报人:张伟").unwrap();
    ws.write_number(11, 2, 13800000000.0).unwrap(); // a phone number in the footer: not read
    let path = save(&mut wb, dir.path(), "示范园区_2024年1-8月.xlsx");

    let (obs, rejects, out) = extract(&path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        find(&obs, "主要指标!B5"),
        &(
            "主要指标!B5".into(),
            "industrial_output".into(),
            "month".into(),
            2024,
            8,
            Some(12_005_000.0),
            "元".into(),
            None
        )
    );
    assert_eq!(
        find(&obs, "主要指标!C5"),
        &(
            "主要指标!C5".into(),
            "industrial_output".into(),
            "ytd".into(),
            2024,
            8,
            Some(98_503_000.0),
            "元".into(),
            Some(9.45)
        )
    );
    assert_eq!(
        find(&obs, "主要指标!D5"),
        &(
            "主要指标!D5".into(),
            "industrial_output".into(),
            "ytd".into(),
            2023,
            8,
            Some(90_000_000.0),
            "元".into(),
            None
        )
    );
    assert_eq!(
        find(&obs, "主要指标!C6"),
        &(
            "主要指标!C6".into(),
            "high_tech_output".into(),
            "ytd".into(),
            2024,
            8,
            Some(41_200_000.0),
            "元".into(),
            Some(12.5)
        )
    );
    assert_eq!(find(&obs, "主要指标!C7").5, Some(65_432_000.0));
    assert_eq!(find(&obs, "主要指标!C7").6, "千瓦时");
    assert_eq!(
        find(&obs, "主要指标!C7").7,
        None,
        "#DIV/0! is no value, not zero"
    );
    assert_eq!(obs.len(), 7, "{obs:#?}");
    let reasons: Vec<String> = rejects.iter().map(|(l, r)| format!("{l} {r}")).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("主要指标!C8 not a number")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("主要指标!C9 unmapped indicator")),
        "{reasons:?}"
    );
    assert_eq!(rejects.len(), 2, "{reasons:?}");
}

#[test]
fn header_templates_group_and_code_rows() {
    let dir = tempfile::tempdir().unwrap();
    let f = Format::new();
    // B: 2024年 over 本月 | 1-8月累计; 上年同期累计 and 同比增长(%) merged down. Units in a column.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    title(ws, "2024年1—8月示范园区主要经济指标完成情况表", "");
    ws.merge_range(2, 0, 3, 0, "指标", &f).unwrap();
    ws.merge_range(2, 1, 3, 1, "计量单位", &f).unwrap();
    ws.merge_range(2, 2, 2, 3, "2024年", &f).unwrap();
    ws.write_string(3, 2, "8月").unwrap();
    ws.write_string(3, 3, "1-8月累计").unwrap();
    ws.merge_range(2, 4, 3, 4, "上年同期累计", &f).unwrap();
    ws.merge_range(2, 5, 3, 5, "同比增长(%)", &f).unwrap();
    ws.write_string(4, 0, "营业收入").unwrap();
    ws.write_string(4, 1, "亿元").unwrap();
    ws.write_number(4, 2, 1.25).unwrap();
    ws.write_number(4, 3, 10.5).unwrap();
    ws.write_number(4, 4, 9.8).unwrap();
    ws.write_number(4, 5, 7.14).unwrap();
    let b = save(&mut wb, dir.path(), "b.xlsx");
    let (obs, rejects, _) = extract(&b);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(
        obs.iter()
            .map(|o| (o.2.as_str(), o.3, o.5))
            .collect::<Vec<_>>(),
        [
            ("month", 2024, Some(1.25e8)),
            ("ytd", 2024, Some(1.05e9)),
            ("ytd", 2023, Some(9.8e8))
        ]
    );
    assert_eq!(obs[1].7, Some(7.14));

    // C: flat labels over a statistical code row 甲 乙 1 2 3 4.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("经济指标").unwrap();
    title(ws, "示范园区2024年1-3月经济运行情况", "单位:万元");
    for (c, t) in [
        "项目",
        "计量单位",
        "本月完成",
        "累计完成",
        "去年同期",
        "增幅(%)",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, c as u16, *t).unwrap();
    }
    for (c, t) in ["甲", "乙", "1", "2", "3", "4"].iter().enumerate() {
        ws.write_string(3, c as u16, *t).unwrap();
    }
    ws.write_string(4, 0, "税收收入").unwrap();
    ws.write_string(4, 1, "万元").unwrap();
    ws.write_number(4, 2, 320.0).unwrap();
    ws.write_number(4, 3, 980.0).unwrap();
    ws.write_number(4, 4, 900.0).unwrap();
    ws.write_number(4, 5, 8.9).unwrap();
    let c = save(&mut wb, dir.path(), "c.xlsx");
    let (obs, rejects, _) = extract(&c);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(
        obs.iter()
            .map(|o| (o.2.as_str(), o.4, o.5))
            .collect::<Vec<_>>(),
        [
            ("month", 3, Some(3.2e6)),
            ("ytd", 3, Some(9.8e6)),
            ("ytd", 3, Some(9.0e6))
        ]
    );
}

#[test]
fn hidden_sheets_are_skipped_and_said_so() {
    let s = Scratch::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("主要指标").unwrap();
    title(ws, "江州高新区2024年1-8月主要经济指标", "单位:万元");
    ws.write_string(2, 0, "指标名称").unwrap();
    ws.write_string(2, 1, "1-8月累计").unwrap();
    ws.write_string(3, 0, "营业收入").unwrap();
    ws.write_number(3, 1, 888154.5).unwrap();
    let h = wb.add_worksheet().set_name("草稿").unwrap();
    h.write_string(0, 0, "指标名称").unwrap();
    h.write_number(1, 1, 1.0).unwrap();
    h.set_hidden(true);
    save(&mut wb, &s.path().join("data/xlsx"), "hidden.xlsx");
    let out = s.run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
    let input = run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "data/xlsx/hidden.xlsx")
        .unwrap();
    assert_eq!(input["rows"], 1);
    assert_eq!(input["notes"][0], "sheet `草稿` is hidden: skipped");
}

#[test]
fn broken_workbooks_fail_alone_with_a_one_line_reason() {
    let s = Scratch::new();
    let x = s.path().join("data/xlsx");
    let good = std::fs::read(x.join("江州高新区_2024年1-8月主要经济指标.xlsx")).unwrap();
    std::fs::write(x.join("truncated.xlsx"), &good[..good.len() / 2]).unwrap();
    std::fs::write(x.join("text.xlsx"), "园区,指标\n江州高新区,营业收入\n").unwrap();
    std::fs::write(x.join("empty.xlsx"), b"").unwrap();
    std::fs::write(
        x.join("ole.xlsx"),
        [0xD0u8, 0xCF, 0x11, 0xE0, 0x00, 0x01, 0x02],
    )
    .unwrap();
    let out = s.run(&[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "published, with failed inputs: {}",
        stderr(&out)
    );
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
    for name in ["truncated.xlsx", "text.xlsx", "empty.xlsx", "ole.xlsx"] {
        let i = run["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == format!("data/xlsx/{name}"))
            .unwrap();
        assert_eq!(i["status"], "failed", "{name}");
        let e = i["error"].as_str().unwrap();
        assert!(
            !e.contains('\n') && e.len() > 10,
            "{name}: one line that says why: {e:?}"
        );
    }
    let obs = read_parquet(&s.current().join("observations.parquet"));
    assert!(obs.height() > 300, "the other inputs are published");
}

#[test]
fn tidy_tables_and_total_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("长表").unwrap();
    for (c, t) in ["园区", "指标", "年份", "期间", "数值", "单位", "同比"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *t).unwrap();
    }
    let rows: [(&str, &str, f64, &str, f64, &str, f64); 3] = [
        ("甲园区", "营业收入", 2024.0, "1-6月", 12.5, "亿元", 8.1),
        ("乙园区", "营业收入", 2024.0, "1-6月", 20.0, "亿元", 5.0),
        ("合计", "营业收入", 2024.0, "1-6月", 32.5, "亿元", 6.1),
    ];
    for (r, (p, i, y, per, v, u, g)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *p).unwrap();
        ws.write_string(r, 1, *i).unwrap();
        ws.write_number(r, 2, *y).unwrap();
        ws.write_string(r, 3, *per).unwrap();
        ws.write_number(r, 4, *v).unwrap();
        ws.write_string(r, 5, *u).unwrap();
        ws.write_number(r, 6, *g).unwrap();
    }
    let path = save(&mut wb, dir.path(), "tidy.xlsx");
    let (obs, rejects, _) = extract(&path);
    assert_eq!(
        obs.iter()
            .map(|o| (o.0.as_str(), o.2.as_str(), o.4, o.5, o.7))
            .collect::<Vec<_>>(),
        [
            ("长表!E2", "ytd", 6, Some(1.25e9), Some(8.1)),
            ("长表!E3", "ytd", 6, Some(2.0e9), Some(5.0))
        ]
    );
    assert!(
        rejects.iter().all(|(l, r)| l.starts_with("长表!")
            && l.ends_with('4')
            && r.starts_with("a total row")),
        "{rejects:?}"
    );
    assert_eq!(
        rejects.len(),
        2,
        "the total's value and growth are accounted for: {rejects:?}"
    );
}

#[test]
fn percent_formatted_growth_is_read_in_percent() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    title(ws, "示范园区2024年1-6月主要经济指标", "单位:万元");
    for (c, t) in ["指标名称", "1-6月累计", "同比增长(%)"].iter().enumerate() {
        ws.write_string(2, c as u16, *t).unwrap();
    }
    let pct = Format::new().set_num_format("0.0%");
    ws.write_string(3, 0, "营业收入").unwrap();
    ws.write_number(3, 1, 5000.0).unwrap();
    ws.write_number_with_format(3, 2, 0.125, &pct).unwrap();
    // A growth of 0.8 written as a plain number stays 0.8 (%).
    ws.write_string(4, 0, "税收收入").unwrap();
    ws.write_number(4, 1, 300.0).unwrap();
    ws.write_number(4, 2, 0.8).unwrap();
    let path = save(&mut wb, dir.path(), "pct.xlsx");
    let (obs, rejects, _) = extract(&path);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(
        obs.iter().map(|o| (o.1.as_str(), o.7)).collect::<Vec<_>>(),
        [("revenue", Some(12.5)), ("tax_revenue", Some(0.8))]
    );
}

/// A title with no period, and the report month as a date cell (`报告期 | 2024-08-31`); the
/// filling-in date below it (September) must not be taken for the report month.
#[test]
fn report_month_from_a_date_cell_above_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "示范园区主要经济指标完成情况")
        .unwrap();
    ws.write_string(1, 0, "填报日期").unwrap();
    let filled = ExcelDateTime::from_ymd(2024, 9, 5).unwrap();
    ws.write_datetime_with_format(1, 1, &filled, &date).unwrap();
    ws.write_string(2, 0, "报告期").unwrap();
    let period = ExcelDateTime::from_ymd(2024, 8, 31).unwrap();
    ws.write_datetime_with_format(2, 1, &period, &date).unwrap();
    ws.write_string(2, 3, "单位:万元").unwrap();
    for (c, t) in ["指标名称", "本月", "累计", "同比增长(%)"]
        .iter()
        .enumerate()
    {
        ws.write_string(3, c as u16, *t).unwrap();
    }
    ws.write_string(4, 0, "营业收入").unwrap();
    ws.write_number(4, 1, 1000.0).unwrap();
    ws.write_number(4, 2, 8000.0).unwrap();
    ws.write_number(4, 3, 5.5).unwrap();
    let path = save(&mut wb, dir.path(), "示范园区.xlsx");
    let (obs, rejects, out) = extract(&path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(rejects.is_empty(), "{rejects:?}\n{}", stderr(&out));
    let got: Vec<(&str, &str, i64, i64, Option<f64>)> = obs
        .iter()
        .map(|o| (o.0.as_str(), o.2.as_str(), o.3, o.4, o.5))
        .collect();
    assert_eq!(
        got,
        [
            ("Sheet1!B5", "month", 2024, 8, Some(10_000_000.0)),
            ("Sheet1!C5", "ytd", 2024, 8, Some(80_000_000.0)),
        ]
    );
}

/// (locator, period kind, year, value, growth) of an observation.
type Brief<'a> = (&'a str, &'a str, i64, Option<f64>, Option<f64>);

/// .xls, .ods and .xlsb, made by scripts/make_legacy_fixtures.py (rust_xlsxwriter writes only xlsx).
#[test]
fn xls_ods_and_xlsb_read_like_xlsx() {
    for ext in ["xls", "ods", "xlsb"] {
        let path = project().join(format!("tests/fixtures/sheets/示范园区_2024年1-8月.{ext}"));
        let (obs, rejects, out) = extract(&path);
        assert!(out.status.success(), "{ext}: {}", stderr(&out));
        assert!(rejects.is_empty(), "{ext}: {rejects:?}");
        let got: Vec<Brief> = obs
            .iter()
            .map(|o| (o.0.as_str(), o.2.as_str(), o.3, o.5, o.7))
            .collect();
        assert_eq!(
            got,
            [
                ("主要指标!B5", "month", 2024, Some(12_005_000.0), None),
                ("主要指标!C5", "ytd", 2024, Some(98_503_000.0), Some(9.45)),
                ("主要指标!C6", "ytd", 2024, Some(120_000_000.0), None),
                ("主要指标!D5", "ytd", 2023, Some(90_000_000.0), None),
                ("主要指标!D6", "ytd", 2023, Some(110_000_000.0), None),
            ],
            "{ext}"
        );
    }
}

#[test]
fn pipeline_overrides_read_what_detection_cannot_and_are_checked() {
    let s = Scratch::new();
    let dir = s.path().join("odd");
    std::fs::create_dir_all(&dir).unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("数据").unwrap();
    ws.write_string(0, 0, "江州高新区报表").unwrap();
    for (c, t) in ["名称", "数据A", "数据B"].iter().enumerate() {
        ws.write_string(2, c as u16, *t).unwrap();
    }
    ws.write_string(3, 0, "营业收入").unwrap();
    ws.write_number(3, 1, 658894.4).unwrap();
    ws.write_number(3, 2, 4.4).unwrap();
    save(&mut wb, &dir, "odd.xlsx");
    let pipeline = |extra: &str| {
        format!(
            "[pipeline]\nname = \"odd\"\nroot = \"..\"\nyear = 2024\n\n[[entities]]\nid = \"jz_hitech\"\nname = \"江州高新技术产业开发区\"\naliases = [\"江州高新区\"]\n\n[[sources]]\nkind = \"sheet\"\npaths = [\"odd/*.xlsx\"]\nunit = \"万元\"\nmonth = 6\n{extra}"
        )
    };
    let file = s.path().join("pipelines/odd.toml");
    // Without overrides the sheet has no recognizable table: its numbers are rejects, not lost.
    std::fs::write(&file, pipeline("")).unwrap();
    let out = parkstat().arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rejects = read_parquet(&s.path().join("out/odd/current/rejects.parquet"));
    assert_eq!(rejects.height(), 2);
    // With them, two figures: the ytd value in 元 and its growth.
    std::fs::write(
        &file,
        pipeline("header_row = 3\ncolumns = { A = \"indicator\", B = \"ytd\", C = \"yoy\" }\n"),
    )
    .unwrap();
    let out = parkstat().arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let obs = read_parquet(&s.path().join("out/odd/current/observations.parquet"));
    assert_eq!(strings(&obs, "locator"), [Some("数据!B4".to_string())]);
    assert_eq!(floats(&obs, "value"), [Some(6_588_944_000.0)]);
    assert_eq!(floats(&obs, "yoy_pct"), [Some(4.4)]);
    // An override the sheet contradicts fails that file with a message saying what to fix.
    std::fs::write(&file, pipeline("header_row = 40\n")).unwrap();
    let out = parkstat().arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path().join("out/odd/current/run.json")).unwrap())
            .unwrap();
    let e = run["inputs"][0]["error"].as_str().unwrap();
    assert!(
        e.contains("header_row = 40") && e.contains("数据") && e.contains("fix header_row"),
        "{e}"
    );
}

/// Made by scripts/make_legacy_fixtures.py --bad.
#[test]
fn password_protected_and_empty_workbooks_say_why() {
    for (name, want) in [
        ("password.xlsx", "password-protected workbook"),
        ("empty_workbook.xlsx", "empty workbook"),
    ] {
        let out = parkstat()
            .args(["extract", "--format", "jsonl"])
            .arg(project().join("tests/fixtures/sheets").join(name))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains(want) && err.lines().count() == 1,
            "{name}: {err}"
        );
    }
}
