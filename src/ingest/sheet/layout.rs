//! Layout detection: where a sheet's title, unit, header rows and data rows
//! are, and what each column holds.

use std::sync::LazyLock;

use regex::Regex;

use super::grid::{Cell, Grid};
use crate::config::dictionary::{ColumnRole, Layout};
use crate::config::pipeline::{ColumnOverride, SheetOverrides};
use crate::normalize::indicator::IndicatorTable;
use crate::normalize::label::fold;
use crate::normalize::period::small_number;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Entity,
    Indicator,
    Unit,
    Year,
    Period,
    /// A value of the period named in the column (or the sheet's period).
    Value,
    /// 本月 / 当月 / 8月: the single month (its month when the header names one).
    Month(Option<u8>),
    /// 累计 / 1-8月 / 本年: year to date.
    Ytd(Option<u8>),
    /// 上年同期(累计): last year's year to date.
    Prior(Option<u8>),
    /// 同比(%) / 增速 / ±%: growth of the year to date.
    Yoy(Option<u8>),
}

/// The detected layout of one sheet.
#[derive(Debug, Clone)]
pub struct SheetLayout {
    /// Title text (the first lines above the header), for year, month and park.
    pub title: String,
    /// The unit stated for the whole sheet (`单位:万元`).
    pub unit: Option<String>,
    pub header_rows: (usize, usize),
    pub first_data_row: usize,
    pub cols: Vec<(usize, Col)>,
    /// Columns whose header names an indicator (parks or months as rows): the label as written.
    pub col_indicator: Vec<(usize, String)>,
}

static RANGE_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"1\s*(?:-|—|–|~|至|－)\s*(\d{1,2})月").expect("static pattern"));
static ANY_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d])(\d{1,2})月").expect("static pattern"));
static UNIT_CELL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:计量)?单位\s*[:：]\s*(\S+)").expect("static pattern"));
static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[甲乙丙丁戊]|\d{1,2})$").expect("static pattern"));

/// The month a header names: `1-8月` → 8, `8月` → 8.
fn month_in(t: &str) -> Option<u8> {
    RANGE_MONTH
        .captures(t)
        .or_else(|| ANY_MONTH.captures(t))
        .and_then(|c| c[1].parse::<u8>().ok())
        .filter(|m| (1..=12).contains(m))
}

/// The role of a column from its (combined) header text. Growth, last year
/// and cumulative are tested before a bare `8月`, which would read as the month.
pub fn column_role(header: &str, layout: &Layout) -> Option<Col> {
    let t = fold(header);
    if t.is_empty() || t == "序号" {
        return None;
    }
    match layout.role_of(&t) {
        Some(ColumnRole::Entity) => return Some(Col::Entity),
        Some(ColumnRole::Indicator) => return Some(Col::Indicator),
        Some(ColumnRole::Unit) => return Some(Col::Unit),
        Some(ColumnRole::Year) => return Some(Col::Year),
        Some(ColumnRole::Period | ColumnRole::Month) => return Some(Col::Period),
        Some(ColumnRole::Value) => return Some(Col::Value),
        _ => {}
    }
    let m = month_in(&t);
    if ["同比", "增速", "增长", "增幅", "增减", "±", "%", "增长率"]
        .iter()
        .any(|w| t.contains(w))
    {
        return Some(Col::Yoy(m));
    }
    if t.contains("上年") || t.contains("去年") {
        return Some(Col::Prior(m));
    }
    if t.contains("累计") || t.contains("本年") || t.contains("完成值") || RANGE_MONTH.is_match(&t)
    {
        return Some(Col::Ytd(m));
    }
    if t.contains("本月") || t.contains("当月") || (m.is_some() && t.ends_with('月')) {
        return Some(Col::Month(m));
    }
    None
}

fn is_label_header(t: &str, layout: &Layout) -> bool {
    matches!(
        layout.role_of(t),
        Some(ColumnRole::Indicator | ColumnRole::Entity)
    )
}

/// Finds the header, column roles and data rows of a sheet; `None` when it holds no table.
pub fn detect(
    g: &Grid,
    layout: &Layout,
    indicators: &IndicatorTable,
    ov: &SheetOverrides,
) -> Option<SheetLayout> {
    let names_indicator = |t: &str| !t.is_empty() && indicators.lookup_label(t).0.is_some();
    let scan = g.rows.min(20);
    let header = ov
        .header_row
        .map(|h| h - 1 - g.origin.0 as usize)
        .or_else(|| {
            let label_row = |r: usize| {
                g.row_texts(r).any(|(_, t)| {
                    is_label_header(t, layout)
                        || matches!(column_role(t, layout), Some(Col::Period))
                })
            };
            let n = |r: usize| {
                g.row_texts(r)
                    .filter(|(_, t)| {
                        matches!(
                            column_role(t, layout),
                            Some(
                                Col::Month(_)
                                    | Col::Ytd(_)
                                    | Col::Prior(_)
                                    | Col::Yoy(_)
                                    | Col::Value
                            )
                        ) || names_indicator(t)
                    })
                    .count()
            };
            // A label row whose value headers are on it or on the row below (a two-row header);
            // not a `报告期 | date` line above the real header.
            (0..scan).find(|&r| {
                label_row(r)
                    && (n(r) >= 1 || (r + 1 < g.rows && n(r + 1) >= 1 && !label_row(r + 1)))
            })
        })?;
    // A second header row: value words under a group, or a code row (甲 乙 1 2 3 4).
    let next = header + 1;
    let mut header_end = header;
    let mut first_data = header + 1;
    if next < g.rows {
        let texts: Vec<(usize, &str)> = g.row_texts(next).collect();
        let has_numbers = (0..g.cols).any(|c| matches!(g.get(next, c), Cell::Number(_)));
        let code_row =
            !texts.is_empty() && texts.iter().all(|(_, t)| CODE.is_match(t)) && !has_numbers;
        let sub_header =
            !has_numbers && texts.iter().any(|(_, t)| column_role(t, layout).is_some());
        if code_row {
            first_data = next + 1;
        } else if sub_header {
            header_end = next;
            first_data = next + 1;
        }
    }
    let mut cols = Vec::new();
    let mut col_indicator = Vec::new();
    let text_at = |r: usize, c: usize| g.get(r, c).text().unwrap_or("").trim().to_string();
    for c in 0..g.cols {
        let mut top = text_at(header, c);
        // Without merged regions (ods, xlsb), a blank group cell continues the group to its left.
        if top.is_empty() && header_end > header && !text_at(header_end, c).is_empty() {
            if let Some(l) = (0..c).rev().find(|&l| !text_at(header, l).is_empty()) {
                if !text_at(header_end, l).is_empty() {
                    top = text_at(header, l);
                }
            }
        }
        let bottom = if header_end > header {
            g.get(header_end, c).text().unwrap_or("").trim().to_string()
        } else {
            String::new()
        };
        let combined = if bottom.is_empty() || bottom == top {
            top.clone()
        } else {
            format!("{top}{bottom}")
        };
        // A header naming an indicator (规上工业总产值(亿元) over 1-8月 | 同比): the column holds that indicator.
        let ind_label = [&top, &combined]
            .into_iter()
            .find(|t| names_indicator(t))
            .cloned();
        let role = column_role(&combined, layout)
            .or_else(|| column_role(&bottom, layout))
            .or_else(|| {
                if ind_label.as_deref() == Some(top.as_str()) && !bottom.is_empty() {
                    None
                } else {
                    column_role(&top, layout)
                }
            });
        match (role, ind_label) {
            (Some(Col::Indicator | Col::Entity | Col::Unit | Col::Year | Col::Period), _)
            | (Some(_), None) => cols.push((c, role.unwrap_or(Col::Value))),
            (role, Some(label)) => {
                cols.push((c, role.unwrap_or(Col::Value)));
                col_indicator.push((c, label));
            }
            (None, None) => {}
        }
    }
    for (letter, role) in &ov.columns {
        if let Some(c) = column_index(letter).and_then(|c| c.checked_sub(g.origin.1 as usize)) {
            cols.retain(|(i, _)| *i != c);
            cols.push((c, overridden(*role)));
        }
    }
    cols.sort_by_key(|(c, _)| *c);
    if !cols.iter().any(|(_, r)| matches!(r, Col::Indicator)) && col_indicator.is_empty() {
        return None;
    }
    let mut title = String::new();
    let mut unit = None;
    for r in 0..header {
        let texts: Vec<&str> = g.row_texts(r).map(|(_, t)| t).collect();
        // A date cell above the header (`报告期 | 2024-08-31`) names the report month, unless
        // its row is the filling-in date, which is usually the month after.
        let filled_in = texts.iter().any(|t| {
            let f = fold(t);
            f.contains("填报") || f.contains("制表") || f.contains("打印")
        });
        for c in 0..g.cols {
            if let (Cell::Date(Some((y, m))), false) = (g.get(r, c), filled_in) {
                title.push_str(&format!("{y}年{m}月 "));
            }
        }
        for (_, t) in g.row_texts(r) {
            let f = fold(t);
            if let Some(c) = UNIT_CELL.captures(&f) {
                unit = Some(c[1].to_string());
            } else if !f.starts_with("填报") && !f.starts_with("制表") {
                title.push_str(t);
                title.push(' ');
            }
        }
    }
    Some(SheetLayout {
        title: title.trim().to_string(),
        unit: ov.unit.clone().or(unit),
        header_rows: (header, header_end),
        first_data_row: first_data,
        cols,
        col_indicator,
    })
}

/// The report month and year a title, sheet name or file name states (`2024年1-8月` → (2024, 8)).
pub fn period_of(texts: &[&str]) -> (Option<i32>, Option<u8>) {
    static YEAR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("static pattern"));
    let mut year = None;
    let mut month = None;
    for t in texts {
        let f = fold(t);
        if year.is_none() {
            year = YEAR.captures(&f).and_then(|c| c[1].parse().ok());
        }
        if month.is_none() {
            month = month_in(&f).or_else(|| {
                static CN: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r"([一二三四五六七八九十]{1,3})月").expect("static pattern")
                });
                CN.captures(&f).and_then(|c| small_number(&c[1]))
            });
        }
    }
    (year, month)
}

/// A row that ends the table: notes and signatures.
pub fn is_footer(text: &str) -> bool {
    let f = fold(text);
    [
        "注:",
        "注1",
        "注",
        "说明:",
        "填报人",
        "审核人",
        "制表人",
        "制表:",
        "单位负责人",
        "联系电话",
        "填报日期",
    ]
    .iter()
    .any(|w| f.starts_with(w))
        && !f.starts_with("注册")
}

/// 0-based column of a letter name (`A` → 0, `AA` → 26).
pub fn column_index(letters: &str) -> Option<usize> {
    let t = letters.trim().to_ascii_uppercase();
    if t.is_empty() || t.len() > 3 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(
        t.bytes()
            .fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize)
            - 1,
    )
}

fn overridden(r: ColumnOverride) -> Col {
    match r {
        ColumnOverride::Indicator => Col::Indicator,
        ColumnOverride::Unit => Col::Unit,
        ColumnOverride::Entity => Col::Entity,
        ColumnOverride::Period => Col::Period,
        ColumnOverride::Year => Col::Year,
        ColumnOverride::Value => Col::Value,
        ColumnOverride::Month => Col::Month(None),
        ColumnOverride::Ytd => Col::Ytd(None),
        ColumnOverride::PriorYtd => Col::Prior(None),
        ColumnOverride::Yoy => Col::Yoy(None),
    }
}

/// Checks a pipeline's layout facts against a sheet; the error says what to fix.
pub fn validate(g: &Grid, ov: &SheetOverrides) -> Result<(), String> {
    let first = g.origin.0 as usize + 1;
    let last = g.origin.0 as usize + g.rows;
    if let Some(h) = ov.header_row {
        if h < first || h >= last {
            return Err(format!("header_row = {h} is outside sheet `{}` (its table spans rows {first}-{last}); fix header_row on the [[sources]] entry", g.name));
        }
    }
    for letter in ov.columns.keys() {
        match column_index(letter) {
            Some(c) if c >= g.origin.1 as usize && c < g.origin.1 as usize + g.cols => {}
            _ => {
                return Err(format!(
                    "columns: `{letter}` is no column of sheet `{}` (it uses {}-{}); fix columns on the [[sources]] entry",
                    g.name,
                    super::grid::col_letters(g.origin.1 as usize),
                    super::grid::col_letters(g.origin.1 as usize + g.cols.saturating_sub(1))
                ))
            }
        }
    }
    if let Some(m) = ov.month {
        if !(1..=12).contains(&m) {
            return Err(format!("month = {m} is no month; use 1-12"));
        }
    }
    Ok(())
}
