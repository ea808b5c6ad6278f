//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) → observations: every visible
//! sheet, its layout detected, each figure cell an observation or a reject.

pub mod grid;
pub mod layout;

use std::io::Cursor;
use std::sync::LazyLock;

use calamine::{open_workbook_auto_from_rs, Reader, SheetVisible, Sheets};
use regex::Regex;

use super::{FileOutput, SourceContext};
use crate::config::pipeline::EntityDef;
use crate::normalize::figure::Figure;
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
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| one_line(&format!("not a readable workbook: {e}")))?;
    let sheets = wb.sheets_metadata().to_vec();
    if sheets.is_empty() {
        return Err("the workbook has no sheets".into());
    }
    let mut out = FileOutput::default();
    for meta in sheets {
        if meta.visible != SheetVisible::Visible {
            out.notes
                .push(format!("sheet `{}` is hidden: skipped", meta.name));
            continue;
        }
        let range = match wb.worksheet_range(&meta.name) {
            Ok(r) => r,
            Err(e) => {
                out.notes.push(one_line(&format!(
                    "sheet `{}` cannot be read: {e}",
                    meta.name
                )));
                continue;
            }
        };
        let merged = merged_regions(&mut wb, &meta.name);
        let g = Grid::new(&meta.name, &range, &merged);
        read_sheet(&g, file_name, ctx, &mut out);
    }
    Ok(out)
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

/// The park a sheet is about: a pipeline entity named in the title or file name, else (open entities) the title's own name.
fn sheet_entity(title: &str, file_name: &str, ctx: &SourceContext) -> Option<EntityDef> {
    if let Some(e) = &ctx.entity {
        return Some(e.clone());
    }
    let named = |t: &str| {
        ctx.entities
            .all()
            .iter()
            .find(|e| {
                std::iter::once(&e.name)
                    .chain(&e.aliases)
                    .any(|n| t.contains(n.as_str()))
            })
            .cloned()
    };
    if let Some(e) = named(title).or_else(|| named(file_name)) {
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
        })?;
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
        Cell::Text(t) if layout.is_placeholder(t) => Ok(None),
        Cell::Text(t) => match parse_cell_number(&fold(t)) {
            Some(n) => Ok(Some((n.value, t.trim().to_string(), n.percent))),
            None => Err(format!("not a number: `{}`", t.trim())),
        },
        Cell::Error(e) if layout.is_placeholder(e) => Ok(None),
        Cell::Error(e) => Err(format!("formula error {e}")),
        Cell::Date => Err("a date where a figure was expected".into()),
    }
}

fn read_sheet(g: &Grid, file_name: &str, ctx: &SourceContext, out: &mut FileOutput) {
    let layout = &ctx.dicts.layout;
    let Some(sl) = layout::detect(g, layout) else {
        // No table here (a notes sheet, an empty sheet): any number in it is still accounted for.
        for r in 0..g.rows {
            for c in 0..g.cols {
                if let Cell::Number(f) = g.get(r, c) {
                    let mut rej = ctx.src.reject(g.locator(r, c), format!("{f}"), "a number outside any table layout this reader recognizes; set the header row in the pipeline");
                    rej.value = Some(*f);
                    out.rejects.push(rej);
                }
            }
        }
        return;
    };
    let (t_year, t_month) = layout::period_of(&[&sl.title, &g.name, file_name]);
    let sheet_entity = if sl.cols.iter().any(|(_, c)| *c == Col::Entity) {
        None
    } else {
        sheet_entity(&sl.title, file_name, ctx)
    };
    let col = |role: fn(&Col) -> bool| sl.cols.iter().find(|(_, c)| role(c)).map(|(i, _)| *i);
    let ind_col = col(|c| *c == Col::Indicator);
    let unit_col = col(|c| *c == Col::Unit);
    let ent_col = col(|c| *c == Col::Entity);
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
            ind_col,
            unit_col,
            ent_col,
            sheet_entity.as_ref(),
            t_year,
            t_month,
            ctx,
            out,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn read_row(
    g: &Grid,
    sl: &SheetLayout,
    r: usize,
    ind_col: Option<usize>,
    unit_col: Option<usize>,
    ent_col: Option<usize>,
    sheet_entity: Option<&EntityDef>,
    year: Option<i32>,
    month: Option<u8>,
    ctx: &SourceContext,
    out: &mut FileOutput,
) {
    let layout = &ctx.dicts.layout;
    let label = ind_col
        .and_then(|c| g.get(r, c).text())
        .unwrap_or("")
        .to_string();
    // Value cells of the row, with their role.
    let values: Vec<(usize, Col)> = sl
        .cols
        .iter()
        .copied()
        .filter(|(_, c)| {
            matches!(
                c,
                Col::Month(_) | Col::Ytd(_) | Col::Prior(_) | Col::Yoy(_) | Col::Value
            )
        })
        .collect();
    let figure_cells: Vec<(usize, Col)> = values
        .iter()
        .copied()
        .filter(|(c, _)| !matches!(cell_value(g.get(r, *c), layout), Ok(None)))
        .collect();
    if figure_cells.is_empty() {
        return;
    }
    let reject_all = |out: &mut FileOutput, reason: &str| {
        for (c, _) in &figure_cells {
            let cell = g.get(r, *c);
            let mut rej = ctx
                .src
                .reject(g.locator(r, *c), cell_raw(cell), reason.to_string());
            rej.value = cell_value(cell, layout)
                .ok()
                .flatten()
                .map(|v| v.0.to_f64());
            out.rejects.push(rej);
        }
    };
    if label.trim().is_empty() {
        return reject_all(out, "figures in a row with no indicator label");
    }
    let entity = match ent_col {
        Some(c) => match g.get(r, c).text().map(str::trim).filter(|t| !t.is_empty()).and_then(|t| ctx.entities.resolve(t)) {
            Some(e) => e,
            None => return reject_all(out, "unknown park in this row: add it (or an alias) to [[entities]] in the pipeline"),
        },
        None => match sheet_entity {
            Some(e) => e.clone(),
            None => return reject_all(out, "no park named: neither the title nor the file name names an [[entities]] entry; set `entity` on the source"),
        },
    };
    let (indicator, unit_in_label) = ctx.dicts.indicators.lookup_label(&label);
    let Some(indicator) = indicator else {
        return reject_all(
            out,
            &format!(
                "unmapped indicator `{}`: add it as a synonym in pipelines/indicators.toml",
                label.trim()
            ),
        );
    };
    let Some(year) = year.or(ctx.year) else {
        return reject_all(
            out,
            "unknown year: the title, sheet name and file name name none; set `year` on the source",
        );
    };
    let unit_raw = unit_col
        .and_then(|c| g.get(r, c).text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .or(unit_in_label)
        .or_else(|| sl.unit.clone())
        .unwrap_or_default();

    // The growth rate of each month group goes with that group's year to date.
    // The growth column of a month group, and the cumulative column it goes with: the
    // same month, else the only one of its kind (同比增长(%) beside 1-8月累计).
    let only = |want: fn(&Col) -> bool| -> Option<usize> {
        let v: Vec<usize> = values
            .iter()
            .filter(|(_, c)| want(c))
            .map(|(i, _)| *i)
            .collect();
        (v.len() == 1).then(|| v[0])
    };
    let yoy_col = |m: Option<u8>| {
        values
            .iter()
            .find(|(_, c)| *c == Col::Yoy(m))
            .map(|(i, _)| *i)
            .or_else(|| only(|c| matches!(c, Col::Yoy(_))))
    };
    let ytd_col = |m: Option<u8>| {
        values
            .iter()
            .find(|(_, c)| *c == Col::Ytd(m))
            .map(|(i, _)| *i)
            .or_else(|| only(|c| matches!(c, Col::Ytd(_))))
    };
    let yoy_of = |m: Option<u8>| yoy_col(m).map(|c| cell_value(g.get(r, c), layout));
    for (c, role) in &values {
        let cell = g.get(r, *c);
        let locator = g.locator(r, *c);
        let m = match role {
            Col::Month(m) | Col::Ytd(m) | Col::Prior(m) | Col::Yoy(m) => m.or(month),
            _ => month,
        };
        let Some(m) = m else {
            if !matches!(cell_value(cell, layout), Ok(None)) {
                out.rejects.push(ctx.src.reject(
                    locator,
                    cell_raw(cell),
                    "unknown month: the title, header, sheet name and file name name none",
                ));
            }
            continue;
        };
        let parsed = match cell_value(cell, layout) {
            Ok(v) => v,
            Err(reason) => {
                out.rejects
                    .push(ctx.src.reject(locator, cell_raw(cell), reason));
                continue;
            }
        };
        let (value, value_raw, yoy) = match role {
            Col::Yoy(gm) => {
                // Stated alone only when its year to date has no value.
                let ytd_empty = ytd_col(*gm)
                    .is_none_or(|c2| matches!(cell_value(g.get(r, c2), layout), Ok(None) | Err(_)));
                match (&parsed, ytd_empty) {
                    (Some((d, _, _)), true) => (None, String::new(), Some(d.to_f64())),
                    _ => continue,
                }
            }
            _ => match parsed {
                Some((d, raw, percent)) => {
                    if percent && indicator.unit != "%" {
                        let mut rej = ctx.src.reject(
                            locator,
                            raw,
                            format!(
                                "a % value for {}, which is measured in {}",
                                indicator.name, indicator.unit
                            ),
                        );
                        rej.value = Some(d.to_f64());
                        out.rejects.push(rej);
                        continue;
                    }
                    let yoy = match role {
                        Col::Ytd(gm) => match yoy_of(*gm) {
                            Some(Ok(Some((y, _, _)))) => Some(y.to_f64()),
                            Some(Err(reason)) => {
                                let yc = yoy_col(*gm).unwrap_or(*c);
                                out.rejects.push(ctx.src.reject(
                                    g.locator(r, yc),
                                    cell_raw(g.get(r, yc)),
                                    reason,
                                ));
                                None
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    (Some(d), raw, yoy)
                }
                None => continue,
            },
        };
        let (period, y) = match role {
            Col::Month(_) => (Period::month(m), year),
            Col::Prior(_) => (Period::ytd(m), year - 1),
            Col::Value => (Period::month(m), year),
            _ => (Period::ytd(m), year),
        };
        let fig = Figure {
            entity: &entity,
            scope: entity.scope,
            indicator,
            indicator_raw: label.clone(),
            year: y,
            period,
            value,
            value_raw,
            unit_raw: if value.is_some() {
                unit_raw.clone()
            } else {
                String::new()
            },
            approx: false,
            yoy_pct: yoy,
            yoy_pp: None,
            share_pct: None,
            share_of: None,
            qualifier: None,
            relative: false,
            locator,
            excerpt: label.trim().to_string(),
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
        Cell::Error(e) => e.clone(),
        Cell::Date => "(date)".into(),
    }
}
