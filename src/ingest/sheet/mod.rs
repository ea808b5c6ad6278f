//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) → observations: every visible
//! sheet, its layout detected, each figure cell an observation or a reject.

pub mod grid;
pub mod layout;
pub mod ods;
pub mod ole;

use std::io::Cursor;
use std::sync::LazyLock;

use calamine::{open_workbook_auto_from_rs, Reader, SheetVisible, Sheets};
use polars::prelude::PlHashMap;
use regex::Regex;

use super::{FileOutput, SourceContext};
use crate::config::pipeline::EntityDef;
use crate::normalize::figure::Figure;
use crate::normalize::indicator::IndicatorDef;
use crate::normalize::label::fold;
use crate::normalize::number::{parse_cell_number, Decimal};
use crate::normalize::period::Period;
use grid::{Cell, Grid};
use layout::{Col, SheetLayout};

/// Reads a workbook; an unreadable file is an error naming why, in one line.
pub fn read(bytes: Vec<u8>, file_name: &str, ctx: &SourceContext) -> Result<FileOutput, String> {
    if bytes.is_empty() {
        return Err("empty file: no workbook in it".into());
    }
    if is_encrypted(&bytes) {
        return Err("password-protected workbook: save it without a password (or ask the park for an unprotected copy)".into());
    }
    zip_within(&bytes, ctx)?;
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        ole::check(&bytes, ctx.limits.max_sheet_cells)?;
    }
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| one_line(&format!("not a readable workbook: {e}")))?;
    let sheets = wb.sheets_metadata().to_vec();
    if sheets.is_empty() {
        return Err("the workbook has no sheets".into());
    }
    let mut out = FileOutput::default();
    let mut any_cells = false;
    for meta in sheets {
        if meta.visible != SheetVisible::Visible {
            out.notes
                .push(format!("sheet `{}` is hidden: skipped", meta.name));
            continue;
        }
        let (range, percent) = match sheet_range(&mut wb, &meta.name, ctx.limits.max_sheet_cells) {
            Ok(r) => r,
            Err(Bounded::Over(e)) => return Err(e),
            Err(Bounded::Unreadable(e)) => {
                out.notes.push(one_line(&format!(
                    "sheet `{}` cannot be read: {e}",
                    meta.name
                )));
                continue;
            }
        };
        let merged = merged_regions(&mut wb, &meta.name);
        let mut g = Grid::new(&meta.name, &range, &merged);
        if range.is_empty() {
            continue;
        }
        any_cells = true;
        layout::validate(&g, &ctx.sheet)?;
        let sl = layout::detect(&g, &ctx.dicts.layout, &ctx.dicts.indicators, &ctx.sheet);
        if let Some(sl) = &sl {
            mark_percent_cells(&mut g, sl, &percent);
        }
        read_sheet(&g, sl, file_name, ctx, &mut out);
    }
    if !any_cells && out.notes.is_empty() {
        return Err("empty workbook: no sheet holds any cell".into());
    }
    Ok(out)
}

/// Why a sheet was not read: over a limit (the file fails), or unreadable (a note).
enum Bounded {
    Over(String),
    Unreadable(String),
}

/// A sheet's cells, refusing sheets whose bounding box is past the limit before any
/// grid of that size is allocated (two cells at A1 and XFD1048576 make 1.7·10¹⁰).
/// With them, for xlsx, the (row, column) of each number shown in percent (its
/// number format has `%`), read in the same pass: a second pass over the sheet
/// for its styles cost a tenth of reading a workbook.
fn sheet_range(
    wb: &mut Sheets<Cursor<Vec<u8>>>,
    name: &str,
    max_cells: u64,
) -> Result<(calamine::Range<calamine::Data>, PercentCells), Bounded> {
    let over = |rows: u64, cols: u64| {
        Bounded::Over(format!(
            "sheet `{name}` spans {rows} rows × {cols} columns, over the limit of {max_cells} cells; raise [limits] max_sheet_cells if it is meant"
        ))
    };
    let unreadable = |e: &dyn std::fmt::Display| Bounded::Unreadable(e.to_string());
    let mut percent = Vec::new();
    // xlsx and xlsb stream their cells: the bounding box is checked as they come.
    // `$next` gives the next cell and whether its format shows it in percent.
    macro_rules! bounded {
        ($next:expr) => {{
            let mut cells = Vec::new();
            let (mut r0, mut r1, mut c0, mut c1) = (u32::MAX, 0u32, u32::MAX, 0u32);
            while let Some((cell, shown_in_percent)) = $next.map_err(|e| unreadable(&e))? {
                let (r, c) = cell.get_position();
                let value: calamine::Data = cell.get_value().clone().into();
                if value == calamine::Data::Empty {
                    continue;
                }
                (r0, r1, c0, c1) = (r0.min(r), r1.max(r), c0.min(c), c1.max(c));
                let (rows, cols) = (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1);
                if rows.saturating_mul(cols) > max_cells {
                    return Err(over(rows, cols));
                }
                if shown_in_percent
                    && matches!(value, calamine::Data::Float(_) | calamine::Data::Int(_))
                {
                    percent.push((r, c));
                }
                cells.push(calamine::Cell::new((r, c), value));
            }
            calamine::Range::from_sparse(cells)
        }};
    }
    let range = match wb {
        Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
            // Decided once per format, not once per cell.
            let styles = reader.styles();
            let in_percent: Vec<bool> = (0..styles.len())
                .map(|i| percent_format(styles, i))
                .collect();
            let default = percent_format(styles, 0);
            bounded!(reader.next_cell_with_style_id().map(|next| {
                next.map(|(cell, style)| (cell, in_percent.get(style).copied().unwrap_or(default)))
            }))
        }
        Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
            bounded!(reader
                .next_cell()
                .map(|next| next.map(|cell| (cell, false))))
        }
        _ => wb.worksheet_range(name).map_err(|e| unreadable(&e))?,
    };
    let (rows, cols) = (range.height() as u64, range.width() as u64);
    if rows.saturating_mul(cols) > max_cells {
        return Err(over(rows, cols));
    }
    percent.sort_unstable();
    Ok((range, percent))
}

/// Absolute (row, column) of the numbers a sheet shows in percent, in order.
type PercentCells = Vec<(u32, u32)>;

/// Whether the cell format `style` shows a number in percent. A cell with no format
/// of its own (id 0), or an id past the workbook's formats, has the default one.
fn percent_format(styles: &[calamine::Style], style: usize) -> bool {
    styles
        .get(style)
        .or_else(|| styles.first())
        .and_then(|s| s.number_format.as_ref())
        .is_some_and(|f| f.format_code.contains('%'))
}

/// The sizes a zip's members declare (the reader inflates no more than that): a
/// workbook that would inflate past the limit is a zip bomb, refused unread. An
/// .ods is also refused when its repeated cells would lay out past the cell limit.
fn zip_within(bytes: &[u8], ctx: &SourceContext) -> Result<(), String> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(());
    }
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // calamine says what is wrong with it
    };
    let max_mb = ctx.limits.max_inflated_mb;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            total = total.saturating_add(f.size());
        }
    }
    if total / 1_000_000 > max_mb {
        return Err(format!(
            "the workbook would inflate to {} MB, over the limit of {max_mb} MB (a zip bomb?); raise [limits] max_inflated_mb if it is meant",
            total / 1_000_000
        ));
    }
    ods::check_repeats(&mut zip, ctx.limits.max_sheet_cells)
}

/// An OLE container holding an `EncryptionInfo` stream: how Office stores a workbook with a password.
fn is_encrypted(bytes: &[u8]) -> bool {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let name: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.starts_with(&OLE) && bytes.windows(name.len()).any(|w| w == name.as_slice())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn merged_regions(wb: &mut Sheets<Cursor<Vec<u8>>>, name: &str) -> Vec<calamine::Dimensions> {
    match wb {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        // ods and xlsb expose no merged regions: a blank header cell continues the one to its left.
        _ => Vec::new(),
    }
}

static TITLE_PARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?)(?:19|20)\d{2}\s*年").expect("static pattern"));
static TITLE_PARK_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:19|20)\d{2}\s*年\s*(?:1\s*[-—–~至－]\s*)?\d{1,2}\s*月份?(.+?)(?:主要|经济|统计|指标)",
    )
    .expect("static pattern")
});
/// A title with no period: `示范园区主要经济指标完成情况`.
static TITLE_PARK_BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?)(?:主要|经济|统计|指标)").expect("static pattern"));

/// The park a sheet is about: a pipeline entity named in the title or file name, else (open entities) the title's own name.
fn sheet_entity(
    title: &str,
    sheet: &str,
    file_name: &str,
    ctx: &SourceContext,
) -> Option<EntityDef> {
    if let Some(e) = &ctx.entity {
        return Some(e.clone());
    }
    let named = |t: &str| ctx.entities.named_in(t).cloned();
    if let Some(e) = named(title)
        .or_else(|| named(sheet))
        .or_else(|| named(file_name))
    {
        return Some(e);
    }
    if !ctx.entities.open {
        return None;
    }
    let t = title.split_whitespace().next().unwrap_or("");
    let name = TITLE_PARK
        .captures(t)
        .map(|c| c[1].trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| {
            TITLE_PARK_AFTER
                .captures(t)
                .map(|c| c[1].trim().to_string())
        })
        .or_else(|| TITLE_PARK_BARE.captures(t).map(|c| c[1].trim().to_string()))?;
    ctx.entities.resolve(&name)
}

/// A cell's number, or why it has none: `Ok(None)` is a placeholder (no value).
fn cell_value(
    cell: &Cell,
    layout: &crate::config::dictionary::Layout,
) -> Result<Option<(Decimal, String, bool)>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(f) => {
            let raw = format!("{f}");
            Ok(Decimal::parse(&raw).map(|d| (d, raw, false)))
        }
        Cell::Percent(f) => {
            // 0.125 shown as 12.5%: the figure is 12.5, in percent.
            let raw = format!("{f}");
            Ok(Decimal::parse(&raw)
                .map(|d| (d.shift(2), format!("{}%", d.shift(2).to_f64()), true)))
        }
        Cell::Text(t) if layout.is_placeholder(t) => Ok(None),
        Cell::Text(t) => match parse_cell_number(&fold(t)) {
            Some(n) => Ok(Some((n.value, t.trim().to_string(), n.percent))),
            None => Err(format!("not a number: `{}`", t.trim())),
        },
        Cell::Error(e) if layout.is_placeholder(e) => Ok(None),
        Cell::Error(e) => Err(format!("formula error {e}")),
        Cell::Date(_) => Err("a date where a figure was expected".into()),
    }
}

/// calamine gives a percent-formatted cell as 0.125: where it matters (a growth or %
/// column holding a number under 1.5), a cell whose format shows it with `%` (`percent`,
/// absolute positions in order) is marked so.
fn mark_percent_cells(g: &mut Grid, sl: &SheetLayout, percent: &[(u32, u32)]) {
    if percent.is_empty() {
        return;
    }
    let pct_cols: Vec<usize> = sl
        .cols
        .iter()
        .filter(|(c, role)| {
            matches!(role, Col::Yoy(_))
                || sl
                    .col_indicator
                    .iter()
                    .any(|(ci, l)| ci == c && l.contains('%'))
        })
        .map(|(c, _)| *c)
        .collect();
    let candidates: Vec<(usize, usize)> = (sl.first_data_row..g.rows)
        .flat_map(|r| pct_cols.iter().map(move |&c| (r, c)))
        .filter(|&(r, c)| matches!(g.get(r, c), Cell::Number(f) if *f != 0.0 && f.abs() < 1.5))
        .collect();
    for (r, c) in candidates {
        let abs = (g.origin.0 + r as u32, g.origin.1 + c as u32);
        if percent.binary_search(&abs).is_ok() {
            g.set_percent(r, c);
        }
    }
}

fn read_sheet(
    g: &Grid,
    sl: Option<SheetLayout>,
    file_name: &str,
    ctx: &SourceContext,
    out: &mut FileOutput,
) {
    let Some(sl) = sl else {
        // No table here (a notes sheet, an empty sheet): any number in it is still accounted for.
        for r in 0..g.rows {
            for c in 0..g.cols {
                if let Cell::Number(f) = g.get(r, c) {
                    let mut rej = ctx.src.reject(
                        g.locator(r, c),
                        format!("{f}"),
                        "a number outside any table layout this reader recognizes; set the header row in the pipeline",
                    );
                    rej.value = Some(*f);
                    out.rejects.push(rej);
                }
            }
        }
        return;
    };
    let (t_year, t_month) = layout::period_of(&[&sl.title, &g.name, file_name]);
    let t_month = ctx.sheet.month.or(t_month);
    let has = |want: Col| sl.cols.iter().find(|(_, c)| *c == want).map(|(i, _)| *i);
    let sheet_entity = if has(Col::Entity).is_some() {
        None
    } else {
        sheet_entity(&sl.title, &g.name, file_name, ctx)
    };
    let cols = Cols {
        indicator: has(Col::Indicator),
        unit: has(Col::Unit),
        entity: has(Col::Entity),
        period: has(Col::Period),
        year: has(Col::Year),
    };
    let value_cols: Vec<(usize, Col, Option<&str>)> = sl
        .cols
        .iter()
        .filter(|(_, c)| {
            matches!(
                c,
                Col::Month(_) | Col::Ytd(_) | Col::Prior(_) | Col::Yoy(_) | Col::Value
            )
        })
        .map(|&(col, role)| {
            let header = sl
                .col_indicator
                .iter()
                .find(|(c, _)| *c == col)
                .map(|(_, l)| l.as_str());
            (col, role, header)
        })
        .collect();
    let mut memo = Memo::default();
    for r in sl.first_data_row..g.rows {
        if g.row_is_empty(r) {
            continue;
        }
        let first_text = g
            .row_texts(r)
            .next()
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        if layout::is_footer(&first_text) {
            break;
        }
        read_row(
            g,
            &sl,
            r,
            (&cols, &value_cols),
            sheet_entity.as_ref(),
            t_year,
            t_month,
            ctx,
            &mut memo,
            out,
        );
    }
}

/// The columns that say what a row is about.
struct Cols {
    indicator: Option<usize>,
    unit: Option<usize>,
    entity: Option<usize>,
    period: Option<usize>,
    year: Option<usize>,
}

/// A value column of a row: where, what it holds, and which indicator label names it.
struct ValueCol<'a> {
    col: usize,
    role: Col,
    label: &'a str,
}

/// A sheet's value columns: where, what each holds, and the indicator its header
/// names (else each row's label does).
type ValueCols<'g> = [(usize, Col, Option<&'g str>)];

/// A cell's number as `cell_value` reads it.
type Parsed = Result<Option<(Decimal, String, bool)>, String>;

/// What the rows of one sheet look up again and again: the indicator of a label and
/// the park a name resolves to (most rows of a sheet share them).
#[derive(Default)]
struct Memo<'g, 'd> {
    labels: PlHashMap<&'g str, (Option<&'d IndicatorDef>, Option<String>)>,
    entities: PlHashMap<&'g str, Option<EntityDef>>,
}

#[allow(clippy::too_many_arguments)]
fn read_row<'g, 'd>(
    g: &'g Grid,
    sl: &'g SheetLayout,
    r: usize,
    (cols, value_cols): (&Cols, &ValueCols<'g>),
    sheet_entity: Option<&EntityDef>,
    year: Option<i32>,
    month: Option<u8>,
    ctx: &'d SourceContext,
    memo: &mut Memo<'g, 'd>,
    out: &mut FileOutput,
) {
    let layout = &ctx.dicts.layout;
    let row_label = cols
        .indicator
        .and_then(|c| g.get(r, c).text())
        .unwrap_or("");
    let values: Vec<ValueCol> = value_cols
        .iter()
        .map(|&(col, role, header)| ValueCol {
            col,
            role,
            label: header.unwrap_or(row_label),
        })
        .collect();
    // Each value cell read once; `parsed[i]` is `values[i]`'s.
    let parsed: Vec<Parsed> = values
        .iter()
        .map(|v| cell_value(g.get(r, v.col), layout))
        .collect();
    if parsed.iter().all(|p| matches!(p, Ok(None))) {
        return;
    }
    let reject = |out: &mut FileOutput, i: usize, reason: &str| {
        let v = &values[i];
        let mut rej = ctx.src.reject(
            g.locator(r, v.col),
            cell_raw(g.get(r, v.col)),
            reason.to_string(),
        );
        rej.value = parsed[i]
            .as_ref()
            .ok()
            .and_then(|x| x.as_ref())
            .map(|x| x.0.to_f64());
        out.rejects.push(rej);
    };
    let reject_all = |out: &mut FileOutput, reason: &str| {
        (0..values.len())
            .filter(|&i| !matches!(parsed[i], Ok(None)))
            .for_each(|i| reject(out, i, reason))
    };
    // A total row is the sum of the rows above it, not a figure of a park.
    let is_total = |t: &str| {
        matches!(
            fold(t).as_str(),
            "合计" | "总计" | "小计" | "全部" | "合计数"
        )
    };
    if cols
        .entity
        .and_then(|c| g.get(r, c).text())
        .is_some_and(is_total)
        || (cols.entity.is_none() && is_total(row_label))
    {
        return reject_all(
            out,
            "a total row (合计): the sum of the rows above, not stored as a figure of its own",
        );
    }
    let entity = match cols.entity {
        Some(c) => match g.get(r, c).text().map(str::trim).filter(|t| !t.is_empty()).and_then(|t| {
            memo.entities.entry(t).or_insert_with(|| ctx.entities.resolve(t)).clone()
        }) {
            Some(e) => e,
            None => return reject_all(out, "unknown park in this row: add it (or an alias) to [[entities]] in the pipeline"),
        },
        None => match sheet_entity {
            Some(e) => e.clone(),
            None => return reject_all(out, "no park named: neither the title nor the file name names an [[entities]] entry; set `entity` on the source"),
        },
    };
    // The row's own period (months as rows), else the sheet's.
    let mut year = year;
    let mut row_period: Option<Period> = None;
    if let Some(c) = cols.period {
        let raw = match g.get(r, c) {
            Cell::Number(f) => format!("{f}月"),
            other => cell_raw(other),
        };
        match crate::normalize::period::parse_period(&fold(&raw)) {
            Some((y, p)) => {
                year = y.or(year);
                row_period = Some(p);
            }
            None => {
                return reject_all(
                    out,
                    &format!(
                        "unreadable period `{}`: write it as 1-8月 or 8月",
                        raw.trim()
                    ),
                )
            }
        }
    }
    if let Some(c) = cols.year {
        if let Some((d, _, _)) = cell_value(g.get(r, c), layout).ok().flatten() {
            year = Some(d.to_f64() as i32);
        }
    }
    let Some(year) = year.or(ctx.year) else {
        return reject_all(
            out,
            "unknown year: the title, sheet name and file name name none; set `year` on the source",
        );
    };
    let unit_col_raw = cols
        .unit
        .and_then(|c| g.get(r, c).text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());

    // The growth column of a group and the cumulative it goes with: same indicator and
    // month, else the only one of its kind for that indicator (同比增长(%) beside 1-8月累计).
    // Gives its index in `values` (and `parsed`).
    let find = |label: &str, want: &dyn Fn(&Col) -> bool, exact: Col| -> Option<usize> {
        let same: Vec<usize> = (0..values.len())
            .filter(|&j| values[j].label == label && want(&values[j].role))
            .collect();
        same.iter()
            .find(|&&j| values[j].role == exact)
            .or(if same.len() == 1 { same.first() } else { None })
            .copied()
    };
    for (i, v) in values.iter().enumerate() {
        let cell = g.get(r, v.col);
        let (d, raw, percent) = match &parsed[i] {
            Ok(Some((d, raw, percent))) => (*d, raw, *percent),
            Ok(None) => continue,
            Err(reason) => {
                // A bad growth cell beside a cumulative value is reported with that value.
                let reported_with_ytd = matches!(v.role, Col::Yoy(_))
                    && find(
                        v.label,
                        &|c| matches!(c, Col::Ytd(_) | Col::Value),
                        Col::Ytd(None),
                    )
                    .is_some_and(|j| matches!(parsed[j], Ok(Some(_))));
                if !reported_with_ytd {
                    out.rejects.push(ctx.src.reject(
                        g.locator(r, v.col),
                        cell_raw(cell),
                        reason.clone(),
                    ));
                }
                continue;
            }
        };
        if v.label.trim().is_empty() {
            reject(out, i, "a figure in a row with no indicator label");
            continue;
        }
        let (indicator, unit_in_label) = memo
            .labels
            .entry(v.label)
            .or_insert_with(|| ctx.dicts.indicators.lookup_label(v.label))
            .clone();
        let Some(indicator) = indicator else {
            reject(
                out,
                i,
                &format!(
                    "unmapped indicator `{}`: add it as a synonym in pipelines/indicators.toml",
                    v.label.trim()
                ),
            );
            continue;
        };
        let gm = match v.role {
            Col::Month(m) | Col::Ytd(m) | Col::Prior(m) | Col::Yoy(m) => m,
            _ => None,
        };
        let m = gm.or(row_period.and_then(|p| p.month_to)).or(month);
        let Some(m) = m else {
            reject(
                out,
                i,
                "unknown month: the title, header, sheet name and file name name none",
            );
            continue;
        };
        let unit_raw = unit_col_raw
            .clone()
            .or(unit_in_label)
            .or_else(|| sl.unit.clone())
            .unwrap_or_default();
        let (value, value_raw, yoy) = match v.role {
            Col::Yoy(_) => {
                // Stated alone only when its cumulative has no value.
                let ytd = find(
                    v.label,
                    &|c| matches!(c, Col::Ytd(_) | Col::Value),
                    Col::Ytd(gm),
                );
                if ytd.is_some_and(|j| matches!(parsed[j], Ok(Some(_)))) {
                    continue;
                }
                (None, String::new(), Some(d.to_f64()))
            }
            _ => {
                if percent && indicator.unit != "%" {
                    reject(
                        out,
                        i,
                        &format!(
                            "a % value for {}, which is measured in {}",
                            indicator.name, indicator.unit
                        ),
                    );
                    continue;
                }
                let yoy = if matches!(v.role, Col::Ytd(_) | Col::Value) {
                    match find(v.label, &|c| matches!(c, Col::Yoy(_)), Col::Yoy(gm))
                        .map(|j| (values[j].col, &parsed[j]))
                    {
                        Some((_, Ok(Some((y, _, _))))) => Some(y.to_f64()),
                        Some((c, Err(reason))) => {
                            out.rejects.push(ctx.src.reject(
                                g.locator(r, c),
                                cell_raw(g.get(r, c)),
                                reason.clone(),
                            ));
                            None
                        }
                        _ => None,
                    }
                } else {
                    None
                };
                (Some(d), raw.clone(), yoy)
            }
        };
        let (period, y) = match v.role {
            Col::Month(_) => (Period::month(m), year),
            Col::Prior(_) => (Period::ytd(m), year - 1),
            Col::Value => (row_period.unwrap_or(Period::month(m)), year),
            _ => (Period::ytd(m), year),
        };
        let fig = Figure {
            value,
            value_raw,
            unit_raw: if value.is_some() {
                unit_raw
            } else {
                String::new()
            },
            yoy_pct: yoy,
            ..Figure::of_table(
                &entity,
                indicator,
                v.label.to_string(),
                y,
                period,
                g.locator(r, v.col),
                v.label.trim().into(),
            )
        };
        match fig.into_observation(&ctx.src, &ctx.dicts.units) {
            Ok(o) => out.observations.push(o),
            Err(rej) => out.rejects.push(rej),
        }
    }
}

fn cell_raw(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.clone(),
        Cell::Number(f) => format!("{f}"),
        Cell::Percent(f) => format!("{}%", f * 100.0),
        Cell::Error(e) => e.clone(),
        Cell::Date(Some((y, m))) => format!("(date {y}-{m:02})"),
        Cell::Date(None) => "(date)".into(),
    }
}
