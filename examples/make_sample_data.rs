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
    files
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
