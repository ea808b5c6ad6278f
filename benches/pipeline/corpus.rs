//! A deterministic corpus of park monthly workbooks, in the layouts parks send.
//!
//! Park `k` of month `m` is a pure function of (seed, k, m): the same seed gives
//! byte-identical files at every scale (zip timestamps and document dates are
//! fixed), and a smaller scale is a prefix of a larger one. The layouts vary the
//! way ../shared/bench's do: a merged title, the reporting unit, units in their own
//! column or once in the header, one- or two-row headers with many wordings, a
//! sequence column, `其中:` sub-items indented, numbers stored as text with
//! thousands separators, placeholders (`—`, `/`, `#DIV/0!`) for growth, empty
//! extra sheets, a notes sheet, and a signature footer.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

/// Parks per scale; every park sends one workbook a month for eight months.
pub fn parks_of(scale: &str) -> Option<usize> {
    match scale {
        "small" => Some(20),
        "medium" => Some(300),
        "large" => Some(1200),
        _ => None,
    }
}

pub const MONTHS: u32 = 8;
const YEAR: i32 = 2024;

/// What a corpus holds, for the bench's own accounting.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub generator: u32,
    pub seed: u64,
    pub parks: usize,
    pub files: usize,
    pub bytes: u64,
    /// Numeric value cells (this month, year to date, prior year to date): each
    /// is one observation when read right.
    pub value_cells: usize,
    /// Growth cells with a number; they ride on the year-to-date observation.
    pub growth_cells: usize,
}

/// Bumped whenever the output of the generator changes, so a stale corpus is rebuilt.
pub const GENERATOR_VERSION: u32 = 1;

/// SplitMix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(parts: &[u64]) -> Rng {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for p in parts {
            s = Rng(s ^ p.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64();
        }
        Rng(s)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// Roughly normal (sum of uniforms), mean 0, sd 1.
    pub fn gauss(&mut self) -> f64 {
        (0..12).map(|_| self.f()).sum::<f64>() - 6.0
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Money,
    Power,
    Usd,
    Other(&'static str, u32),
    Count(&'static str),
}

/// (canonical name, synonyms, unit kind, parent index or none, monthly size at park size 1)
type Ind = (
    &'static str,
    &'static [&'static str],
    Kind,
    Option<usize>,
    f64,
);

const CATALOG: &[Ind] = &[
    (
        "规上工业总产值",
        &["规模以上工业总产值", "规上工业产值"],
        Kind::Money,
        None,
        50000.0,
    ),
    (
        "高新技术产业产值",
        &["高新技术产业总产值"],
        Kind::Money,
        Some(0),
        20000.0,
    ),
    ("战略性新兴产业产值", &[], Kind::Money, Some(0), 15000.0),
    (
        "规上工业增加值",
        &["规模以上工业增加值"],
        Kind::Money,
        None,
        12000.0,
    ),
    ("规上工业销售产值", &[], Kind::Money, None, 48000.0),
    ("出口交货值", &[], Kind::Money, Some(4), 8000.0),
    ("营业收入", &["营业总收入"], Kind::Money, None, 60000.0),
    ("工业企业营业收入", &[], Kind::Money, Some(6), 40000.0),
    ("服务业企业营业收入", &[], Kind::Money, Some(6), 12000.0),
    ("利润总额", &["利润"], Kind::Money, None, 3300.0),
    ("税收收入", &["全口径税收收入"], Kind::Money, None, 2600.0),
    ("增值税", &["国内增值税"], Kind::Money, Some(10), 1100.0),
    ("企业所得税", &[], Kind::Money, Some(10), 520.0),
    (
        "一般公共预算收入",
        &["一般预算收入"],
        Kind::Money,
        None,
        1300.0,
    ),
    (
        "固定资产投资",
        &["固定资产投资额"],
        Kind::Money,
        None,
        15000.0,
    ),
    ("工业投资", &[], Kind::Money, Some(14), 8000.0),
    ("基础设施投资", &[], Kind::Money, Some(14), 3000.0),
    ("重点项目完成投资", &[], Kind::Money, None, 6500.0),
    (
        "工业用电量",
        &["全社会工业用电量"],
        Kind::Power,
        None,
        3000.0,
    ),
    (
        "综合能源消费量",
        &[],
        Kind::Other("吨标准煤", 0),
        None,
        9000.0,
    ),
    ("工业用水量", &[], Kind::Other("万吨", 2), None, 60.0),
    ("进出口总额", &["外贸进出口总额"], Kind::Usd, None, 8000.0),
    ("出口额", &["出口总额"], Kind::Usd, Some(21), 5000.0),
    ("进口额", &["进口总额"], Kind::Usd, Some(21), 3000.0),
    ("实际使用外资", &["实际利用外资"], Kind::Usd, None, 800.0),
    ("实际到位内资", &[], Kind::Money, None, 6000.0),
    ("招商引资到位资金", &[], Kind::Money, None, 9000.0),
    ("新增注册企业数", &[], Kind::Count("个"), None, 30.0),
    ("新签约项目数", &[], Kind::Count("个"), None, 4.0),
    ("新开工项目数", &[], Kind::Count("个"), None, 3.0),
    ("竣工投产项目数", &[], Kind::Count("个"), None, 2.0),
    (
        "社会消费品零售总额",
        &["社零总额"],
        Kind::Money,
        None,
        8000.0,
    ),
    ("规上服务业营业收入", &[], Kind::Money, None, 7000.0),
    ("研发经费支出", &[], Kind::Money, None, 1500.0),
    ("专利授权量", &[], Kind::Count("件"), None, 25.0),
    ("新增就业人数", &[], Kind::Count("人"), None, 180.0),
    ("建筑业总产值", &[], Kind::Money, None, 4000.0),
    ("批发零售业销售额", &[], Kind::Money, None, 12000.0),
    ("技术合同成交额", &[], Kind::Money, None, 900.0),
    ("物流业营业收入", &[], Kind::Money, None, 2500.0),
];
/// Reported by every park.
const CORE: &[usize] = &[0, 1, 3, 6, 7, 9, 10, 11, 14, 15, 18, 21, 22, 23, 24, 27];
const SEASON: [f64; 12] = [
    0.78, 0.62, 1.0, 0.98, 1.0, 1.05, 0.98, 0.97, 1.0, 1.02, 1.06, 1.22,
];

const CITIES: &[&str] = &[
    "江州", "临川", "云岭", "北塘", "南屏", "东陵", "西江", "青浦", "白沙", "金湖", "玉泉", "清河",
    "丰城", "安平", "长乐", "永宁", "新河", "桐乡", "龙泉", "凤阳", "湖口", "石门", "泰和", "嘉禾",
    "宁远", "华容", "平江", "望城", "武康", "德清", "海盐", "柳林", "梅川", "桃源", "兰溪", "松阳",
];
const DISTRICTS: &[&str] = &[
    "城东", "滨江", "临港", "高铁", "空港", "沿江", "滨海", "新城",
];
const SUFFIXES: &[&str] = &[
    "工业园区",
    "经济技术开发区",
    "高新技术产业开发区",
    "经济开发区",
    "高新区",
    "产业园",
    "工业集中区",
    "综合保税区",
    "化工园区",
    "智能制造产业园",
    "新材料产业园",
    "生物医药产业园",
];
const PEOPLE: &[&str] = &[
    "王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵军", "周杰", "徐涛", "孙明",
];

/// A park's name: unique for every index below the scale's maximum.
fn park_name(seed: u64, k: usize) -> String {
    let mut r = Rng::new(&[seed, 1, k as u64]);
    let n = CITIES.len() * DISTRICTS.len() * SUFFIXES.len();
    // 7919 is prime to n (3456), so this spreads the first n parks over distinct names.
    let i = (k * 7919) % n;
    let city = CITIES[i % CITIES.len()];
    let dist = DISTRICTS[(i / CITIES.len()) % DISTRICTS.len()];
    let suffix = SUFFIXES[(i / (CITIES.len() * DISTRICTS.len())) % SUFFIXES.len()];
    if r.chance(0.5) {
        format!("{city}{dist}{suffix}")
    } else {
        format!("{city}市{dist}{suffix}")
    }
}

/// How one park lays out its workbooks, fixed for the year.
struct Profile {
    size: f64,
    yi_yuan: bool,
    yi_kwh: bool,
    unit_column: bool,
    two_row_header: bool,
    seq: bool,
    text_numbers: f64,
    growth_decimals: usize,
    div0: &'static str,
    qizhong: &'static str,
    extra_sheets: usize,
    notes: bool,
    sheet_name: usize,
    labels: [usize; 5],
    indicators: Vec<usize>,
    names: Vec<&'static str>,
}

fn profile(seed: u64, k: usize) -> Profile {
    let mut r = Rng::new(&[seed, 2, k as u64]);
    let size = (0.9 * r.gauss()).exp().clamp(0.05, 30.0);
    let target = 25 + r.below(16);
    let mut chosen: Vec<usize> = CORE.to_vec();
    let mut optional: Vec<usize> = (0..CATALOG.len()).filter(|i| !CORE.contains(i)).collect();
    for i in (1..optional.len()).rev() {
        optional.swap(i, r.below(i + 1));
    }
    for i in optional {
        if chosen.len() >= target {
            break;
        }
        if CATALOG[i].3.is_none_or(|p| chosen.contains(&p)) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    let names = chosen
        .iter()
        .map(|&i| {
            let (name, syn, ..) = CATALOG[i];
            if syn.is_empty() || r.chance(0.6) {
                name
            } else {
                *r.pick(syn)
            }
        })
        .collect();
    Profile {
        size,
        yi_yuan: r.chance(0.15),
        yi_kwh: r.chance(0.15),
        unit_column: r.chance(0.6),
        two_row_header: r.chance(0.35),
        seq: r.chance(0.25),
        text_numbers: *r.pick(&[0.0, 0.0, 0.0, 0.3, 1.0]),
        growth_decimals: *r.pick(&[1, 1, 1, 2]),
        div0: r.pick::<&str>(&["#DIV/0!", "—", "/"]),
        qizhong: r.pick::<&str>(&["其中:", "其中：", ""]),
        extra_sheets: *r.pick(&[0, 0, 0, 2]),
        notes: r.chance(0.1),
        sheet_name: r.below(4),
        labels: [r.below(8), r.below(8), r.below(8), r.below(8), r.below(8)],
        indicators: chosen,
        names,
    }
}

/// (unit text, divisor from base units, decimals shown)
fn unit_of(kind: Kind, p: &Profile) -> (&'static str, f64, u32) {
    match kind {
        Kind::Money if p.yi_yuan => ("亿元", 10000.0, 2),
        Kind::Money => ("万元", 1.0, 1),
        Kind::Power if p.yi_kwh => ("亿千瓦时", 10000.0, 2),
        Kind::Power => ("万千瓦时", 1.0, 1),
        Kind::Usd => ("万美元", 1.0, 1),
        Kind::Other(u, d) => (u, 1.0, d),
        Kind::Count(u) => (u, 1.0, 0),
    }
}

/// Cumulative current and prior-year values, in shown units (already rounded), months 1..=MONTHS.
fn series(seed: u64, k: usize, ind: usize, p: &Profile) -> (Vec<f64>, Vec<f64>) {
    let mut r = Rng::new(&[seed, 3, k as u64, ind as u64]);
    let (_, _, kind, _, scale) = CATALOG[ind];
    let (_, div, dec) = unit_of(kind, p);
    let g = (0.06 + 0.10 * r.gauss()).clamp(-0.35, 0.6);
    let base = scale * p.size * (0.3 * r.gauss()).exp();
    let pow = 10f64.powi(dec as i32);
    let (mut a, mut b) = (0.0, 0.0);
    let (mut cur, mut prior) = (Vec::new(), Vec::new());
    for s in SEASON.iter().take(MONTHS as usize) {
        let py = base * s * (1.0 + 0.08 * r.gauss()).max(0.3);
        let cy = py * (1.0 + g) * (1.0 + 0.06 * r.gauss()).max(0.3);
        let (py, cy) = if matches!(kind, Kind::Count(_)) {
            (py.round(), cy.round())
        } else {
            (py, cy)
        };
        a += cy;
        b += py;
        cur.push((a / div * pow).round() / pow);
        prior.push((b / div * pow).round() / pow);
    }
    (cur, prior)
}

fn period(m: u32) -> String {
    if m == 1 {
        "1月".into()
    } else {
        format!("1-{m}月")
    }
}

fn thousands(v: f64, dec: usize) -> String {
    let s = format!("{v:.dec$}");
    let (int, frac) = s.split_at(s.find('.').unwrap_or(s.len()));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// Counts of what one workbook holds.
#[derive(Default)]
struct Written {
    bytes: u64,
    value_cells: usize,
    growth_cells: usize,
}

/// Writes park `k`'s workbook of month `m`; a `revision` above 0 is a corrected
/// resend (its first figure raised by the revision, its layout drawn anew).
fn workbook(seed: u64, k: usize, m: u32, path: &Path, revision: u64) -> Result<Written, String> {
    let p = profile(seed, k);
    let park = park_name(seed, k);
    let mut r = if revision == 0 {
        Rng::new(&[seed, 4, k as u64, m as u64])
    } else {
        Rng::new(&[seed, 4, k as u64, m as u64, revision])
    };
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(YEAR as u16, (m + 1).min(12) as u8, 5)
        .map_err(|e| e.to_string())?;
    wb.set_properties(
        &DocProperties::new()
            .set_author("Administrator")
            .set_creation_datetime(&when),
    );
    let border = Format::new().set_border(FormatBorder::Thin);
    let title_fmt = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head = border
        .clone()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let indent = border.clone().set_indent(2);
    let per = period(m);
    let sheet_name = [
        "主要指标".to_string(),
        "Sheet1".to_string(),
        format!("{m}月"),
        format!("{YEAR}年{m}月"),
    ][p.sheet_name]
        .clone();
    let mut out = Written::default();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet_name).map_err(e)?;
        let ci = u16::from(p.seq);
        let cu = p.unit_column.then_some(ci + 1);
        let cv = ci + 1 + u16::from(p.unit_column);
        let last = cv + 3;
        ws.set_column_width(ci, 30).map_err(e)?;
        for c in cv..=last {
            ws.set_column_width(c, 14).map_err(e)?;
        }
        let title = match r.below(3) {
            0 => format!("{park}{YEAR}年{per}主要经济指标完成情况"),
            1 => format!("{YEAR}年{per}{park}主要经济指标"),
            _ => format!("{park}{YEAR}年{per}经济运行情况"),
        };
        ws.merge_range(0, 0, 0, last, &title, &title_fmt)
            .map_err(e)?;
        ws.write_string(1, 0, format!("填报单位：{park}管委会"))
            .map_err(e)?;
        let money_unit = if p.yi_yuan { "亿元" } else { "万元" };
        if !p.unit_column {
            ws.write_string(1, last, format!("单位：{money_unit}"))
                .map_err(e)?;
        }
        let ind_label = ["指标名称", "指标", "项目", "主要指标"][p.labels[0] % 4];
        let m_label = ["本月", "当月", &format!("{m}月"), "本月完成"][p.labels[1] % 4].to_string();
        // A bare `1月` heads January's month column, not its cumulative one.
        let bare = if m > 1 {
            per.clone()
        } else {
            "1月累计".into()
        };
        let c_label = [
            format!("{per}累计"),
            "本年累计".into(),
            "累计完成".into(),
            bare,
        ][p.labels[2] % 4]
            .clone();
        let p_label = ["上年同期累计", "上年同期", "去年同期"][p.labels[3] % 3];
        let y_label = ["同比增长(%)", "增速(%)", "比上年同期±%", "同比(%)"][p.labels[4] % 4];
        let mut row = 2u32;
        let head_cell = |ws: &mut rust_xlsxwriter::Worksheet, r0: u32, r1: u32, c: u16, s: &str| {
            if r1 > r0 {
                ws.merge_range(r0, c, r1, c, s, &head).map(|_| ())
            } else {
                ws.write_string_with_format(r0, c, s, &head).map(|_| ())
            }
        };
        let h_end = if p.two_row_header { row + 1 } else { row };
        if p.seq {
            head_cell(ws, row, h_end, 0, "序号").map_err(e)?;
        }
        head_cell(ws, row, h_end, ci, ind_label).map_err(e)?;
        if let Some(cu) = cu {
            head_cell(ws, row, h_end, cu, "计量单位").map_err(e)?;
        }
        head_cell(ws, row, h_end, cv, &m_label).map_err(e)?;
        if p.two_row_header {
            ws.merge_range(row, cv + 1, row, last, &format!("{per}累计"), &head)
                .map_err(e)?;
            for (c, s) in [(cv + 1, "本年"), (cv + 2, p_label), (cv + 3, y_label)] {
                ws.write_string_with_format(row + 1, c, s, &head)
                    .map_err(e)?;
            }
        } else {
            for (c, s) in [
                (cv + 1, c_label.as_str()),
                (cv + 2, p_label),
                (cv + 3, y_label),
            ] {
                ws.write_string_with_format(row, c, s, &head).map_err(e)?;
            }
        }
        row = h_end + 1;
        for (n, (&ind, &name)) in p.indicators.iter().zip(&p.names).enumerate() {
            let (_, _, kind, parent, _) = CATALOG[ind];
            let (unit, _, dec) = unit_of(kind, &p);
            let (cur, prior) = series(seed, k, ind, &p);
            let i = (m - 1) as usize;
            let ytd = cur[i] + if n == 0 { revision as f64 } else { 0.0 };
            let month = if i == 0 {
                ytd
            } else {
                ((ytd - cur[i - 1]) * 10f64.powi(dec as i32)).round() / 10f64.powi(dec as i32)
            };
            let prior_ytd = prior[i];
            if p.seq {
                ws.write_number_with_format(row, 0, (n + 1) as f64, &border)
                    .map_err(e)?;
            }
            let mut label = String::new();
            if parent.is_some() {
                label.push_str(p.qizhong);
            }
            label.push_str(name);
            if !p.unit_column && unit != money_unit {
                label.push_str(&format!("({unit})"));
            }
            let fmt = if parent.is_some() { &indent } else { &border };
            ws.write_string_with_format(row, ci, &label, fmt)
                .map_err(e)?;
            if let Some(cu) = cu {
                ws.write_string_with_format(row, cu, unit, &border)
                    .map_err(e)?;
            }
            for (c, v) in [(cv, month), (cv + 1, ytd), (cv + 2, prior_ytd)] {
                if r.chance(p.text_numbers) {
                    ws.write_string_with_format(row, c, thousands(v, dec as usize), &border)
                        .map_err(e)?;
                } else {
                    ws.write_number_with_format(row, c, v, &border).map_err(e)?;
                }
                out.value_cells += 1;
            }
            if prior_ytd > 0.0 && ytd >= 0.0 {
                let g = (ytd - prior_ytd) / prior_ytd * 100.0;
                let pow = 10f64.powi(p.growth_decimals as i32);
                ws.write_number_with_format(row, cv + 3, (g * pow).round() / pow, &border)
                    .map_err(e)?;
                out.growth_cells += 1;
            } else {
                ws.write_string_with_format(row, cv + 3, p.div0, &border)
                    .map_err(e)?;
            }
            row += 1;
        }
        row += 1;
        ws.write_string(
            row,
            0,
            format!(
                "单位负责人：{}    填报人：{}    报出日期：{YEAR}年{}月{}日",
                r.pick(PEOPLE),
                r.pick(PEOPLE),
                (m + 1).min(12),
                5 + r.below(8)
            ),
        )
        .map_err(e)?;
    }
    if p.notes {
        let ws = wb.add_worksheet();
        ws.set_name("填报说明").map_err(e)?;
        ws.write_string(0, 0, "1.本表数据为快报数，以统计部门最终公布数据为准。")
            .map_err(e)?;
        ws.write_string(1, 0, "2.增速按可比价计算。").map_err(e)?;
    }
    for i in 0..p.extra_sheets {
        wb.add_worksheet()
            .set_name(format!("Sheet{}", i + 2))
            .map_err(e)?;
    }
    wb.save(path)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    out.bytes = std::fs::metadata(path)
        .map_err(|err| err.to_string())?
        .len();
    Ok(out)
}

fn path_of(dir: &Path, seed: u64, k: usize, m: u32) -> PathBuf {
    let name = format!(
        "{:04}_{}_{YEAR}年{}.xlsx",
        k + 1,
        park_name(seed, k),
        period(m)
    );
    dir.join("xlsx").join(format!("{YEAR}-{m:02}")).join(name)
}

/// Writes `dir/bench.toml`, the pipeline over the corpus's workbooks (output under
/// `dir/out/bench`, keeping `keep_runs` runs when given), and returns its path.
pub fn write_pipeline(dir: &Path, keep_runs: Option<usize>) -> Result<PathBuf, String> {
    let keep = keep_runs.map_or(String::new(), |k| format!("keep_runs = {k}\n"));
    let path = dir.join("bench.toml");
    std::fs::write(
        &path,
        format!(
            "[pipeline]\nname = \"bench\"\nroot = \".\"\noutput = \"out\"\nopen_entities = true\n{keep}\n\
             [[sources]]\nkind = \"sheet\"\npaths = [\"xlsx/**/*.xlsx\"]\n"
        ),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Rewrites the first park's workbook of the first month as resent with `revision`
/// (0 puts the original back); returns its path.
pub fn resend(dir: &Path, seed: u64, revision: u64) -> Result<PathBuf, String> {
    let path = path_of(dir, seed, 0, 1);
    workbook(seed, 0, 1, &path, revision)?;
    Ok(path)
}

/// Writes the corpus for `parks` parks under `dir/xlsx/2024-MM/` (in parallel) and returns its manifest.
pub fn generate(dir: &Path, parks: usize, seed: u64) -> Result<Manifest, String> {
    let jobs: Vec<(usize, u32, PathBuf)> = (1..=MONTHS)
        .flat_map(|m| (0..parks).map(move |k| (k, m, path_of(dir, seed, k, m))))
        .collect();
    for m in 1..=MONTHS {
        std::fs::create_dir_all(dir.join("xlsx").join(format!("{YEAR}-{m:02}")))
            .map_err(|e| e.to_string())?;
    }
    let written: Result<Vec<Written>, String> = jobs
        .par_iter()
        .map(|(k, m, path)| workbook(seed, *k, *m, path, 0))
        .collect();
    let written = written?;
    Ok(Manifest {
        generator: GENERATOR_VERSION,
        seed,
        parks,
        files: written.len(),
        bytes: written.iter().map(|w| w.bytes).sum(),
        value_cells: written.iter().map(|w| w.value_cells).sum(),
        growth_cells: written.iter().map(|w| w.growth_cells).sum(),
    })
}
