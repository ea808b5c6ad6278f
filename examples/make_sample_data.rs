//! Writes the sample inputs under `data/` that the default pipeline runs on.
//!
//!     cargo run --release --example make_sample_data -- data
//!
//! Deterministic: the same program writes the same bytes (a test checks
//! that `data/` is exactly its output). Three parks of the fictional city
//! 江州市 and the city itself, January–August 2024, in the layouts and
//! encodings parks really send: tidy rows with a period (UTF-8), month rows
//! with 本月/累计/上年同期累计/同比 (UTF-8 with BOM), 亿元 figures in
//! GB18030, and city totals. Two rows are deliberately bad, to show rejects.

use std::fmt::Write as _;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

/// A small deterministic generator (SplitMix64), so no crate is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A flow indicator as the sample files write it.
struct Flow {
    name: &'static str,
    /// Monthly level in yuan (or kWh, or counts).
    level: f64,
}

const FLOWS: [Flow; 6] = [
    Flow {
        name: "规上工业总产值",
        level: 9.0e8,
    },
    Flow {
        name: "营业收入",
        level: 1.1e9,
    },
    Flow {
        name: "税收收入",
        level: 4.5e7,
    },
    Flow {
        name: "固定资产投资",
        level: 2.2e8,
    },
    Flow {
        name: "工业用电量",
        level: 6.0e7,
    },
    Flow {
        name: "新签约项目数",
        level: 3.0,
    },
];

/// Monthly increments (Jan..=Aug) and the prior year's cumulative, in `tick` units.
#[derive(Clone)]
struct Series {
    month: Vec<i64>,
    prior_cum: Vec<i64>,
}

fn series(rng: &mut Rng, level: f64, park_scale: f64, tick: f64) -> Series {
    let mut month = Vec::new();
    let mut prior_month = Vec::new();
    for m in 1..=8 {
        // February is short (Spring Festival); later months grow a little.
        let season = if m == 2 { 0.7 } else { 1.0 + 0.015 * m as f64 };
        let v = level * park_scale * season * rng.range(0.85, 1.15);
        month.push(((v / tick).round() as i64).max(1));
        let g = rng.range(-0.04, 0.18);
        prior_month.push(((v / (1.0 + g) / tick).round() as i64).max(1));
    }
    let prior_cum = prior_month.iter().scan(0i64, |s, v| {
        *s += v;
        Some(*s)
    });
    Series {
        month,
        prior_cum: prior_cum.collect(),
    }
}

fn cum(s: &Series, m: usize) -> i64 {
    s.month[..m].iter().sum()
}

fn yoy(cur: i64, prior: i64) -> String {
    format!("{:.1}", (cur - prior) as f64 / prior as f64 * 100.0)
}

/// `ticks` × 10^-decimals as text with exactly `decimals` digits.
fn fixed(ticks: i64, decimals: u32) -> String {
    if decimals == 0 {
        return ticks.to_string();
    }
    let p = 10i64.pow(decimals);
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.abs();
    format!(
        "{sign}{}.{:0width$}",
        t / p,
        t % p,
        width = decimals as usize
    )
}

/// Unit, tick size (in base units) and decimals for an indicator in a file that states money in `money`.
fn unit_of(name: &str, money: &str) -> (&'static str, f64, u32) {
    match (name, money) {
        ("工业用电量", _) => ("万千瓦时", 1e3, 1),
        ("新签约项目数", _) => ("个", 1.0, 0),
        (_, "亿元") => ("亿元", 1e6, 2),
        _ => ("万元", 1e3, 1),
    }
}

struct Park {
    id: &'static str,
    name: &'static str,
    scale: f64,
    enterprises: i64,
}

const PARKS: [Park; 3] = [
    Park {
        id: "jz_hitech",
        name: "江州高新区",
        scale: 1.0,
        enterprises: 212,
    },
    Park {
        id: "jz_econ",
        name: "江州经开区",
        scale: 1.35,
        enterprises: 268,
    },
    Park {
        id: "jz_port",
        name: "临港园区",
        scale: 0.6,
        enterprises: 97,
    },
];

/// Every sample file: relative path → bytes.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(20240901);
    let mut files = Vec::new();
    // Park totals in base units, for the city file.
    let mut city_cum = vec![[0f64; 8]; FLOWS.len()];
    let mut city_prior = vec![[0f64; 8]; FLOWS.len()];
    // Every park's series as written, for the workbooks.
    let mut kept: Vec<Vec<Kept>> = vec![Vec::new(); PARKS.len()];

    for (pi, park) in PARKS.iter().enumerate() {
        let money = if park.id == "jz_port" {
            "亿元"
        } else {
            "万元"
        };
        let mut text = String::new();
        match pi {
            // Tidy rows with a period column; the year starts with the combined 1-2月.
            0 | 2 => text.push_str("园区,指标,年份,期间,数值,单位,同比\n"),
            // One row per month with 本月 / 累计 / 上年同期累计 / 同比.
            _ => text.push_str(
                "园区名称,指标名称,计量单位,年份,月份,本月,累计,上年同期累计,同比增长(%)\n",
            ),
        }
        for (fi, f) in FLOWS.iter().enumerate() {
            let (unit, tick, dec) = unit_of(f.name, money);
            let s = series(&mut rng, f.level, park.scale, tick);
            kept[pi].push(Kept {
                name: f.name,
                unit,
                tick,
                dec,
                s: s.clone(),
            });
            for m in 1..=8usize {
                city_cum[fi][m - 1] += cum(&s, m) as f64 * tick;
                city_prior[fi][m - 1] += s.prior_cum[m - 1] as f64 * tick;
            }
            for m in 1..=8usize {
                let c = cum(&s, m);
                let pc = s.prior_cum[m - 1];
                if pi == 1 {
                    let _ = writeln!(
                        text,
                        "{},{},{unit},2024,{m},{},{},{},{}",
                        park.name,
                        f.name,
                        fixed(s.month[m - 1], dec),
                        fixed(c, dec),
                        fixed(pc, dec),
                        yoy(c, pc)
                    );
                } else if m >= 2 {
                    let _ = writeln!(
                        text,
                        "{},{},2024,1-{m}月,{},{unit},{}",
                        park.name,
                        f.name,
                        fixed(c, dec),
                        yoy(c, pc)
                    );
                }
            }
        }
        // A stock: counted at the end of the month, never differenced.
        let _ = writeln!(
            text,
            "{}",
            if pi == 1 {
                format!(
                    "{},规上工业企业数,家,2024,8,,{},{},",
                    park.name,
                    park.enterprises,
                    park.enterprises - 9
                )
            } else {
                format!(
                    "{},规上工业企业数,2024,8月末,{},家,",
                    park.name, park.enterprises
                )
            }
        );
        // Deliberately bad rows: an indicator no dictionary knows, and a mistyped number.
        if pi == 0 {
            text.push_str("江州高新区,园区绿化覆盖率,2024,1-8月,42.5,%,\n");
        }
        if pi == 2 {
            text.push_str("临港园区,营业收入,2024,7月,12..5,亿元,\n");
        }
        let bytes = match pi {
            1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            2 => encoding_rs::GB18030.encode(&text).0.into_owned(),
            _ => text.into_bytes(),
        };
        let enc = ["utf8", "utf8bom", "gb18030"][pi];
        files.push((format!("csv/{}_2024年1-8月_{enc}.csv", park.name), bytes));
    }

    // The city: all parks and the rest of the city, in 亿元 to one decimal.
    let mut text = String::from("园区,指标,年份,期间,数值,单位,同比\n");
    for (fi, f) in FLOWS.iter().enumerate() {
        if f.name == "新签约项目数" {
            continue;
        }
        let (unit, div) = if f.name == "工业用电量" {
            ("亿千瓦时", 1e8)
        } else {
            ("亿元", 1e8)
        };
        let rest = rng.range(1.5, 1.9);
        for m in 2..=8usize {
            let c = (city_cum[fi][m - 1] * rest / div * 10.0).round() as i64;
            let pc = (city_prior[fi][m - 1] * rest / div * 10.0).round() as i64;
            let _ = writeln!(
                text,
                "全市,{},2024,1-{m}月,{},{unit},{}",
                f.name,
                fixed(c, 1),
                yoy(c, pc)
            );
        }
    }
    files.push((
        "csv/江州市_2024年1-8月_全市.csv".to_string(),
        text.into_bytes(),
    ));
    files.extend(workbooks(&kept));
    files
}

/// One flow of one park as the CSV states it.
#[derive(Clone)]
struct Kept {
    name: &'static str,
    unit: &'static str,
    tick: f64,
    dec: u32,
    s: Series,
}

fn book() -> Workbook {
    let mut wb = Workbook::new();
    // A fixed creation time keeps the bytes the same on every run.
    let when = ExcelDateTime::from_ymd(2024, 9, 10).expect("valid date");
    wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
    wb
}

fn num(v: i64, dec: u32) -> f64 {
    fixed(v, dec).parse().expect("a number")
}

/// The spreadsheets parks send, in three layouts, with the same figures as the CSV files.
fn workbooks(kept: &[Vec<Kept>]) -> Vec<(String, Vec<u8>)> {
    let bold = Format::new().set_bold();
    let center = Format::new().set_bold().set_align(FormatAlign::Center);
    let mut out = Vec::new();
    let m = 8usize;

    // 1. Indicators as rows: title, unit row, two-row merged header, 其中 sub-item, notes.
    let mut wb = book();
    let ws = wb.add_worksheet().set_name("主要指标").expect("sheet name");
    ws.merge_range(
        0,
        0,
        0,
        5,
        "江州高新区2024年1-8月主要经济指标完成情况",
        &center,
    )
    .expect("merge");
    ws.write_string(1, 0, "填报单位:江州高新区管委会")
        .expect("cell");
    ws.write_string(1, 5, "单位:万元").expect("cell");
    ws.merge_range(2, 0, 3, 0, "指标名称", &bold)
        .expect("merge");
    ws.merge_range(2, 1, 3, 1, "计量单位", &bold)
        .expect("merge");
    ws.merge_range(2, 2, 3, 2, "本月", &bold).expect("merge");
    ws.merge_range(2, 3, 2, 5, "累计", &bold).expect("merge");
    ws.write_string_with_format(3, 3, "1-8月", &bold)
        .expect("cell");
    ws.write_string_with_format(3, 4, "上年同期", &bold)
        .expect("cell");
    ws.write_string_with_format(3, 5, "增速(%)", &bold)
        .expect("cell");
    let mut row = 4u32;
    for k in &kept[0] {
        let (c, p) = (cum(&k.s, m), k.s.prior_cum[m - 1]);
        ws.write_string(row, 0, k.name).expect("cell");
        ws.write_string(row, 1, k.unit).expect("cell");
        ws.write_number(row, 2, num(c - cum(&k.s, m - 1), k.dec))
            .expect("cell");
        ws.write_number(row, 3, num(c, k.dec)).expect("cell");
        ws.write_number(row, 4, num(p, k.dec)).expect("cell");
        ws.write_number(row, 5, yoy(c, p).parse::<f64>().expect("a number"))
            .expect("cell");
        row += 1;
        if k.name == "规上工业总产值" {
            // A sub-item the CSV does not have; its month and growth are not available (—, /).
            let part = (c as f64 * 0.42).round() as i64;
            ws.write_string(row, 0, "　　其中：高新技术产业产值")
                .expect("cell");
            ws.write_string(row, 1, "万元").expect("cell");
            ws.write_string(row, 2, "—").expect("cell");
            ws.write_number(row, 3, num(part, k.dec)).expect("cell");
            ws.write_string(row, 4, "/").expect("cell");
            ws.write_string(row, 5, "—").expect("cell");
            row += 1;
        }
    }
    ws.merge_range(
        row + 1,
        0,
        row + 1,
        5,
        "注:1.本表数据为快报数;2.“—”表示数据暂缺,“/”表示不适用。",
        &Format::new(),
    )
    .expect("merge");
    ws.write_string(row + 2, 0, "填报人:周敏    审核人:王强")
        .expect("cell");
    // A hidden working sheet: skipped, and said so in run.json.
    let hidden = wb.add_worksheet().set_name("底稿").expect("sheet name");
    hidden.write_number(0, 0, 12345.6).expect("cell");
    hidden.set_hidden(true);
    out.push((
        "xlsx/江州高新区_2024年1-8月主要经济指标.xlsx".to_string(),
        wb.save_to_buffer().expect("workbook"),
    ));

    // 2. Parks as rows, indicators as merged column groups (1-8月 | 同比).
    let mut wb = book();
    let ws = wb.add_worksheet().set_name("汇总").expect("sheet name");
    ws.merge_range(
        0,
        0,
        0,
        5,
        "2024年1-8月江州市工业园区主要经济指标汇总表",
        &center,
    )
    .expect("merge");
    ws.write_string(1, 5, "单位:亿元").expect("cell");
    ws.merge_range(2, 0, 3, 0, "序号", &bold).expect("merge");
    ws.merge_range(2, 1, 3, 1, "园区名称", &bold)
        .expect("merge");
    for (g, name) in ["规上工业总产值", "营业收入"].iter().enumerate() {
        let c = 2 + 2 * g as u16;
        ws.merge_range(2, c, 2, c + 1, name, &bold).expect("merge");
        ws.write_string_with_format(3, c, "1-8月", &bold)
            .expect("cell");
        ws.write_string_with_format(3, c + 1, "同比(%)", &bold)
            .expect("cell");
    }
    for (pi, park) in PARKS.iter().enumerate() {
        let r = 4 + pi as u32;
        ws.write_number(r, 0, (pi + 1) as f64).expect("cell");
        ws.write_string(r, 1, park.name).expect("cell");
        for (g, name) in ["规上工业总产值", "营业收入"].iter().enumerate() {
            let k = kept[pi]
                .iter()
                .find(|k| k.name == *name)
                .expect("indicator kept");
            let (c, p) = (cum(&k.s, m), k.s.prior_cum[m - 1]);
            // In 亿元 to two decimals, as summary tables print it.
            let yi = (c as f64 * k.tick / 1e6).round() as i64;
            ws.write_number(r, 2 + 2 * g as u16, num(yi, 2))
                .expect("cell");
            ws.write_number(
                r,
                3 + 2 * g as u16,
                yoy(c, p).parse::<f64>().expect("a number"),
            )
            .expect("cell");
        }
    }
    out.push((
        "xlsx/2024年1-8月江州市工业园区主要经济指标汇总表.xlsx".to_string(),
        wb.save_to_buffer().expect("workbook"),
    ));

    // 3. Months as rows: one column per indicator, the unit in its header.
    let mut wb = book();
    let ws = wb.add_worksheet().set_name("月度").expect("sheet name");
    ws.merge_range(0, 0, 0, 3, "江州经开区2024年主要指标月度累计", &center)
        .expect("merge");
    ws.write_string_with_format(1, 0, "月份", &bold)
        .expect("cell");
    let cols = ["规上工业总产值", "营业收入", "工业用电量"];
    for (j, name) in cols.iter().enumerate() {
        let k = kept[1]
            .iter()
            .find(|k| k.name == *name)
            .expect("indicator kept");
        ws.write_string_with_format(1, 1 + j as u16, format!("{}({})", name, k.unit), &bold)
            .expect("cell");
    }
    for m in 2..=8usize {
        let r = m as u32;
        ws.write_string(r, 0, format!("1-{m}月")).expect("cell");
        for (j, name) in cols.iter().enumerate() {
            let k = kept[1]
                .iter()
                .find(|k| k.name == *name)
                .expect("indicator kept");
            ws.write_number(r, 1 + j as u16, num(cum(&k.s, m), k.dec))
                .expect("cell");
        }
    }
    out.push((
        "xlsx/江州经开区_2024年主要指标月度累计.xlsx".to_string(),
        wb.save_to_buffer().expect("workbook"),
    ));
    out
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "data".into());
    for (rel, bytes) in generate() {
        let path = Path::new(&dir).join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
