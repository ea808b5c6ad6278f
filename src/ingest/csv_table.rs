//! Tidy CSV → observations and rejects.
//!
//! One row per (entity, indicator, period). Columns are found by their
//! header words (`pipelines/layout.toml`): a `period` column with a `value`,
//! or a `month` column with any of 本月 / 累计 / 上年同期累计 / 同比.

use super::{FileOutput, SourceContext};
use crate::config::dictionary::ColumnRole;
use crate::config::pipeline::EntityDef;
use crate::normalize::figure::Figure;
use crate::normalize::indicator::IndicatorDef;
use crate::normalize::label::fold;
use crate::normalize::number::{parse_cell_number, Decimal};
use crate::normalize::period::{parse_period, Period};

/// Column index of each role found in the header.
#[derive(Debug, Default)]
struct Columns {
    entity: Option<usize>,
    indicator: Option<usize>,
    unit: Option<usize>,
    year: Option<usize>,
    period: Option<usize>,
    month: Option<usize>,
    value: Option<usize>,
    month_value: Option<usize>,
    ytd_value: Option<usize>,
    prior_ytd: Option<usize>,
    yoy: Option<usize>,
}

/// Which figure a value column yields for a row.
#[derive(Debug, Clone, Copy)]
enum Measure {
    Value,
    Month,
    Ytd,
    PriorYtd,
}

/// Reads one CSV text. Header problems fail the file; row problems become rejects.
pub fn read(text: &str, ctx: &SourceContext) -> Result<FileOutput, String> {
    let layout = &ctx.dicts.layout;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let mut cols = Columns::default();
    for (i, h) in headers.iter().enumerate() {
        let slot = match layout.role_of(h) {
            Some(ColumnRole::Entity) => &mut cols.entity,
            Some(ColumnRole::Indicator) => &mut cols.indicator,
            Some(ColumnRole::Unit) => &mut cols.unit,
            Some(ColumnRole::Year) => &mut cols.year,
            Some(ColumnRole::Period) => &mut cols.period,
            Some(ColumnRole::Month) => &mut cols.month,
            Some(ColumnRole::Value) => &mut cols.value,
            Some(ColumnRole::MonthValue) => &mut cols.month_value,
            Some(ColumnRole::YtdValue) => &mut cols.ytd_value,
            Some(ColumnRole::PriorYtd) => &mut cols.prior_ytd,
            Some(ColumnRole::Yoy) => &mut cols.yoy,
            Some(ColumnRole::Reason | ColumnRole::Author) | None => continue,
        };
        if slot.is_some() {
            return Err(format!(
                "line 1: two columns have the role of `{h}`; rename one of them"
            ));
        }
        *slot = Some(i);
    }
    let found = headers.iter().collect::<Vec<_>>().join(", ");
    if cols.indicator.is_none() {
        return Err(format!(
            "line 1: no indicator column (headers: {found}); name one 指标名称 or indicator"
        ));
    }
    if cols.entity.is_none() && ctx.entity.is_none() {
        return Err(format!("line 1: no park column (headers: {found}); add a 园区 column or set `entity` on the [[sources]] entry"));
    }
    if cols.period.is_none() && cols.month.is_none() {
        return Err(format!(
            "line 1: no period or month column (headers: {found}); add 期间 (e.g. 1-8月) or 月份"
        ));
    }
    if [
        cols.value,
        cols.month_value,
        cols.ytd_value,
        cols.prior_ytd,
        cols.yoy,
    ]
    .iter()
    .all(Option::is_none)
    {
        return Err(format!(
            "line 1: no value column (headers: {found}); add 数值, 本月, 累计 or 同比"
        ));
    }

    let mut out = FileOutput::default();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.rejects.push(ctx.src.reject(
                    format!("L{line}"),
                    "",
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        read_row(&record, line, &cols, ctx, &mut out);
    }
    Ok(out)
}

fn cell(record: &csv::StringRecord, col: Option<usize>) -> Option<&str> {
    col.and_then(|c| record.get(c)).map(str::trim)
}

fn read_row(
    record: &csv::StringRecord,
    line: u64,
    cols: &Columns,
    ctx: &SourceContext,
    out: &mut FileOutput,
) {
    let layout = &ctx.dicts.layout;
    if record.iter().all(|c| c.trim().is_empty()) {
        return;
    }
    let whole_row = record.iter().collect::<Vec<_>>().join(",");
    let loc = |col: usize| format!("L{line}:F{}", col + 1);
    let row_loc = format!("L{line}");

    // Every value-bearing cell of the row, so a row-level reject accounts for each.
    let value_cells: Vec<(Measure, usize)> = [
        (Measure::Value, cols.value),
        (Measure::Month, cols.month_value),
        (Measure::Ytd, cols.ytd_value),
        (Measure::PriorYtd, cols.prior_ytd),
    ]
    .into_iter()
    .filter_map(|(m, c)| c.map(|c| (m, c)))
    .filter(|(_, c)| record.get(*c).is_some_and(|v| !layout.is_placeholder(v)))
    .collect();
    let reject_row = |out: &mut FileOutput, reason: String| {
        let mut cells: Vec<usize> = value_cells.iter().map(|(_, c)| *c).collect();
        if let Some(y) = cols
            .yoy
            .filter(|y| record.get(*y).is_some_and(|v| !layout.is_placeholder(v)))
        {
            cells.push(y);
        }
        if cells.is_empty() {
            out.rejects
                .push(ctx.src.reject(row_loc.clone(), whole_row.clone(), reason));
            return;
        }
        for c in cells {
            let raw = record.get(c).unwrap_or("").trim();
            let mut r = ctx.src.reject(loc(c), raw, reason.clone());
            r.value = parse_cell_number(&fold(raw)).map(|n| n.value.to_f64());
            out.rejects.push(r);
        }
    };

    // Entity.
    let entity: EntityDef = match cell(record, cols.entity) {
        Some(name) if !name.is_empty() => match ctx.entities.resolve(name) {
            Some(e) => e,
            None => {
                return reject_row(out, format!("unknown park `{name}`: add it (or an alias) to [[entities]] in the pipeline file"));
            }
        },
        _ => match &ctx.entity {
            Some(e) => e.clone(),
            None => return reject_row(out, "no park named in this row".into()),
        },
    };

    // Indicator.
    let indicator_raw = cell(record, cols.indicator).unwrap_or("").to_string();
    let (indicator, unit_in_label): (Option<&IndicatorDef>, Option<String>) =
        ctx.dicts.indicators.lookup_label(&indicator_raw);
    let Some(indicator) = indicator else {
        return reject_row(out, format!("unmapped indicator `{indicator_raw}`: add it as a synonym in pipelines/indicators.toml"));
    };

    // Period and year.
    let year_cell = cell(record, cols.year).unwrap_or("");
    let mut year: Option<i32> = None;
    if !year_cell.is_empty() {
        let y = fold(year_cell);
        match y.trim_end_matches('年').parse::<i32>() {
            Ok(v) if (1949..=2200).contains(&v) => year = Some(v),
            _ => return reject_row(out, format!("bad year `{year_cell}`: write it as 2024")),
        }
    }
    let (period, month) = if let Some(pc) = cols.period {
        let raw = cell(record, Some(pc)).unwrap_or("");
        match parse_period(&fold(raw)) {
            Some((y, p)) => {
                year = year.or(y);
                (Some(p), p.month_to)
            }
            None => {
                return reject_row(
                    out,
                    format!("unreadable period `{raw}`: write it as 1-8月, 8月, 上半年 or 8月末"),
                )
            }
        }
    } else {
        let raw = cell(record, cols.month).unwrap_or("");
        let m = fold(raw);
        match parse_period(&m) {
            Some((y, p)) if p.month_to.is_some() => {
                year = year.or(y);
                (None, p.month_to)
            }
            _ => {
                return reject_row(
                    out,
                    format!("unreadable month `{raw}`: write it as 8 or 8月"),
                )
            }
        }
    };
    let Some(year) = year.or(ctx.year) else {
        return reject_row(
            out,
            "unknown year: add a 年份 column, or set `year` on the source or the pipeline".into(),
        );
    };
    let month = month.unwrap_or(12);

    // Unit: the unit column, else a unit written in the label.
    let unit_raw = cell(record, cols.unit)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .or(unit_in_label)
        .unwrap_or_default();

    // Growth rate, attached to the main figure of the row.
    let mut yoy = None;
    if let Some(c) = cols.yoy {
        let raw = record.get(c).unwrap_or("").trim();
        if !layout.is_placeholder(raw) {
            match parse_cell_number(&fold(raw)) {
                Some(n) => yoy = Some(n.value.to_f64()),
                None => out.rejects.push(ctx.src.reject(
                    loc(c),
                    raw,
                    "unreadable growth rate: write it as 12.5 or 12.5%",
                )),
            }
        }
    }
    // 同比 belongs to the stated value, else to the cumulative, else to the month.
    let yoy_target = if cols.value.is_some() {
        Measure::Value
    } else if cols.ytd_value.is_some() || cols.month_value.is_none() {
        Measure::Ytd
    } else {
        Measure::Month
    };

    let emit = |out: &mut FileOutput,
                measure: Measure,
                col: Option<usize>,
                value: Option<Decimal>,
                value_raw: &str,
                yoy: Option<f64>| {
        let (p, y) = match measure {
            Measure::Value => (period.unwrap_or(Period::month(month)), year),
            Measure::Month => (Period::month(month), year),
            Measure::Ytd => (Period::ytd(month), year),
            Measure::PriorYtd => (Period::ytd(month), year - 1),
        };
        let locator = col.map(loc).unwrap_or_else(|| row_loc.clone());
        let fig = Figure {
            value,
            value_raw: value_raw.to_string(),
            unit_raw: if value.is_some() {
                unit_raw.clone()
            } else {
                String::new()
            },
            yoy_pct: yoy,
            ..Figure::of_table(
                &entity,
                indicator,
                indicator_raw.clone(),
                y,
                p,
                locator,
                whole_row.as_str().into(),
            )
        };
        match fig.into_observation(&ctx.src, &ctx.dicts.units) {
            Ok(o) => out.observations.push(o),
            Err(r) => out.rejects.push(r),
        }
    };

    let mut yoy_used = false;
    for (measure, c) in &value_cells {
        let raw = record.get(*c).unwrap_or("").trim();
        let folded = fold(raw);
        let Some(n) = parse_cell_number(&folded) else {
            out.rejects.push(ctx.src.reject(
                loc(*c),
                raw,
                "not a number: write it as 1234.5 (placeholders such as — or / mean no value)",
            ));
            continue;
        };
        if n.percent && indicator.unit != "%" {
            let mut r = ctx.src.reject(
                loc(*c),
                raw,
                format!(
                    "a % value for {}, which is measured in {}",
                    indicator.name, indicator.unit
                ),
            );
            r.value = Some(n.value.to_f64());
            out.rejects.push(r);
            continue;
        }
        let this_yoy = if std::mem::discriminant(measure) == std::mem::discriminant(&yoy_target) {
            yoy_used = true;
            yoy
        } else {
            None
        };
        emit(out, *measure, Some(*c), Some(n.value), raw, this_yoy);
    }
    if !yoy_used && yoy.is_some() {
        // A growth rate with no level: keep the rate alone.
        emit(out, yoy_target, cols.yoy, None, "", yoy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::pipeline::Pipeline;
    use crate::model::{PeriodKind, SourceKind};

    fn ctx(p: &Pipeline) -> SourceContext<'_> {
        SourceContext::standalone(p, SourceKind::Csv, "t.csv")
    }

    #[test]
    fn tidy_rows_and_rejects() {
        let p = Pipeline::ad_hoc().unwrap();
        let text = "园区,指标,年份,期间,数值,单位,同比\n\
                    甲园区,规上工业总产值,2024,1-8月,950.5,亿元,12.5\n\
                    甲园区,工业用电量,2024,1至8月,7,亿千瓦时,11%\n\
                    甲园区,不存在的指标,2024,1-8月,3,亿元,\n\
                    甲园区,营业收入,2024,1-8月,—,亿元,10\n\
                    甲园区,营业收入,2024,1-7月,12..5,亿元,\n";
        let out = read(text, &ctx(&p)).unwrap();
        assert_eq!(out.observations.len(), 3, "{:?}", out.observations);
        let o = &out.observations[0];
        assert_eq!(o.value, Some(95_050_000_000.0));
        assert_eq!(o.unit, "元");
        assert_eq!(o.period_kind, PeriodKind::Ytd);
        assert_eq!((o.month_from, o.month_to), (Some(1), Some(8)));
        assert_eq!(o.yoy_pct, Some(12.5));
        assert_eq!(o.locator, "L2:F5");
        assert_eq!(out.observations[1].value, Some(700_000_000.0));
        assert_eq!(out.observations[1].yoy_pct, Some(11.0));
        // growth with no level
        assert_eq!(out.observations[2].value, None);
        assert_eq!(out.observations[2].yoy_pct, Some(10.0));
        assert_eq!(out.rejects.len(), 2, "{:?}", out.rejects);
        assert!(out.rejects[0].reason.starts_with("unmapped indicator"));
        assert_eq!(out.rejects[0].value, Some(3.0));
        assert_eq!(out.rejects[0].locator, "L4:F5");
        assert_eq!(out.rejects[1].locator, "L6:F5");
    }

    #[test]
    fn month_with_measures() {
        let p = Pipeline::ad_hoc().unwrap();
        let text = "园区名称,指标名称,计量单位,年份,月份,本月,累计,上年同期累计,同比增长(%)\n\
                    乙园区,营业收入,万元,2024,8,100.5,800.2,700,14.3\n";
        let out = read(text, &ctx(&p)).unwrap();
        assert!(out.rejects.is_empty(), "{:?}", out.rejects);
        assert_eq!(out.observations.len(), 3);
        let kinds: Vec<_> = out
            .observations
            .iter()
            .map(|o| (o.year, o.period_kind, o.value, o.yoy_pct))
            .collect();
        assert_eq!(kinds[0], (2024, PeriodKind::Month, Some(1_005_000.0), None));
        assert_eq!(
            kinds[1],
            (2024, PeriodKind::Ytd, Some(8_002_000.0), Some(14.3))
        );
        assert_eq!(kinds[2], (2023, PeriodKind::Ytd, Some(7_000_000.0), None));
    }

    #[test]
    fn header_errors_name_the_problem() {
        let p = Pipeline::ad_hoc().unwrap();
        let e = read("a,b,c\n1,2,3\n", &ctx(&p)).unwrap_err();
        assert!(e.contains("no indicator column"), "{e}");
    }
}
