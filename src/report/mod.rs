//! `report.html`: one self-contained page per run (CSS and SVG charts inline, no
//! script, nothing fetched), for people to look at before any BI tool does.
//!
//! The page is built from the published tables only, so `parkstat report RUN`
//! redraws it for any retained run exactly as the run drew it.

pub mod chart;
mod parks_html;

use std::collections::BTreeMap;

use polars::prelude::{
    ChunkCompareEq, DataFrame, PlHashMap as HashMap, PlHashSet as HashSet, PolarsResult,
};

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::config::pipeline::EntityDef;
use crate::diff::FactChange;
use crate::model::{Check, FactRef, Monthly, MonthlyRef, Reject, Severity};
use crate::normalize::indicator::{IndicatorKind, IndicatorTable};
use crate::publish::manifest::RunManifest;

const TEMPLATE: &str = include_str!("page.html");
/// Rows of one reject reason shown on the page; the rest are counted.
const REJECTS_SHOWN: usize = 500;

/// What the page is drawn from, but the run's manifest and changes (known only
/// once the tables are written).
pub struct ReportInput<'a, 'r> {
    /// The pipeline's entities, in the order parks are shown.
    pub entities: &'a [EntityDef],
    /// Indicators charted for every park; empty means the four flows with most months.
    pub main_indicators: &'a [String],
    pub indicators: &'a IndicatorTable,
    pub facts: &'a [FactRef<'r>],
    pub monthly: &'a [MonthlyRef<'r>],
    pub checks: &'a [Check],
    pub rejects: &'a [Reject],
}

/// The park charts: most of the page, drawn from the tables alone, so a run draws
/// them while it writes the tables.
pub struct ParksSection {
    html: String,
    /// Anchors of the charts drawn (checks link to them).
    charted: HashSet<String>,
}

#[derive(Serialize)]
struct KindRow {
    kind: String,
    ok: usize,
    failed: usize,
    cached: usize,
}

#[derive(Serialize)]
struct CheckRow {
    rule: String,
    severity: &'static str,
    message: String,
    entity: String,
    indicator: String,
    anchor: Option<String>,
}

#[derive(Serialize)]
struct SeverityGroup {
    severity: &'static str,
    label: &'static str,
    checks: Vec<CheckRow>,
}

struct ChartView {
    anchor: String,
    entity_id: String,
    indicator: String,
    indicator_name: String,
    year: Option<i32>,
    main: bool,
    flagged: bool,
    chart: Option<chart::Chart>,
}

struct Park {
    entity_id: String,
    entity_name: String,
    charts: Vec<ChartView>,
}

#[derive(Serialize)]
struct ConflictRow {
    entity: String,
    indicator: String,
    period: String,
    value: String,
    winner: String,
    sources: String,
    why: String,
}

#[derive(Serialize)]
struct RejectRow {
    path: String,
    locator: String,
    raw: String,
}

#[derive(Serialize)]
struct RejectGroup {
    reason: String,
    count: usize,
    rows: Vec<RejectRow>,
    hidden: usize,
}

#[derive(Serialize)]
struct Changes {
    previous_run: String,
    added: usize,
    removed: usize,
    changed: usize,
    rows: Vec<FactChange>,
}

fn anchor(entity: &str, indicator: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect::<String>()
    };
    format!("s-{}-{}", clean(entity), clean(indicator))
}

fn period(year: i32, from: Option<u8>, to: Option<u8>) -> String {
    match (from, to) {
        (Some(a), Some(b)) if a == b => format!("{year}年{b}月"),
        (Some(a), Some(b)) => format!("{year}年{a}-{b}月"),
        (None, Some(b)) => format!("{year}年{b}月末"),
        _ => format!("{year}年"),
    }
}

/// The indicators charted for every park.
fn main_indicators(input: &ReportInput) -> Vec<String> {
    if !input.main_indicators.is_empty() {
        return input.main_indicators.to_vec();
    }
    let mut months: HashMap<&str, usize> = HashMap::default();
    for m in input.monthly {
        *months.entry(m.indicator).or_default() += 1;
    }
    top_flows(months, input.indicators)
}

/// The four flow indicators with the most monthly rows (`rows` per indicator code).
fn top_flows(rows: HashMap<&str, usize>, indicators: &IndicatorTable) -> Vec<String> {
    let mut flows: Vec<(&str, usize)> = rows
        .into_iter()
        .filter(|(code, _)| {
            indicators
                .by_code(code)
                .is_some_and(|d| matches!(d.kind, IndicatorKind::Flow))
        })
        .collect();
    flows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    flows
        .into_iter()
        .take(4)
        .map(|(c, _)| c.to_string())
        .collect()
}

/// The monthly rows the report reads: every row of the main indicators (`main`, or
/// the ones `main_indicators` picks from the rows) and of the indicators a check names.
/// The page and its charts read no others, and picking from these gives the same main
/// indicators, since every row of each kept indicator is kept.
pub fn monthly_read(
    monthly: &DataFrame,
    main: &[String],
    indicators: &IndicatorTable,
    checks: &[Check],
) -> PolarsResult<DataFrame> {
    let codes = monthly.column("indicator")?.str()?;
    let top = if main.is_empty() {
        let mut rows: HashMap<&str, usize> = HashMap::default();
        for code in codes.iter().flatten() {
            *rows.entry(code).or_default() += 1;
        }
        top_flows(rows, indicators)
    } else {
        Vec::new()
    };
    let mut keep: std::collections::HashSet<&str> =
        checks.iter().map(|c| c.indicator.as_str()).collect();
    keep.extend(main.iter().map(String::as_str));
    keep.extend(top.iter().map(String::as_str));
    monthly.filter(&crate::model::is_in(codes, &keep))
}

/// Entities in pipeline order, then any others the tables name (open-entity pipelines).
fn entity_order(input: &ReportInput) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = input
        .entities
        .iter()
        .map(|e| (e.id.clone(), e.name.clone()))
        .collect();
    let known: HashSet<&str> = input.entities.iter().map(|e| e.id.as_str()).collect();
    let mut others: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, name) in input
        .monthly
        .iter()
        .map(|m| (m.entity_id, m.entity_name))
        .chain(input.facts.iter().map(|f| (f.entity_id, f.entity_name)))
    {
        if !known.contains(id) {
            others.insert(id, name);
        }
    }
    out.extend(
        others
            .into_iter()
            .map(|(i, n)| (i.to_string(), n.to_string())),
    );
    out
}

fn parks(input: &ReportInput, main: &[String]) -> Vec<Park> {
    let mut series: HashMap<(&str, &str), Vec<&MonthlyRef>> = HashMap::default();
    for m in input.monthly {
        series
            .entry((m.entity_id, m.indicator))
            .or_default()
            .push(m);
    }
    let mut flagged: HashMap<(&str, &str), Vec<&Check>> = HashMap::default();
    for c in input.checks {
        flagged
            .entry((c.entity_id.as_str(), c.indicator.as_str()))
            .or_default()
            .push(c);
    }
    let has_facts: HashSet<&str> = input.facts.iter().map(|f| f.entity_id).collect();
    let name_of = |code: &str| {
        input
            .indicators
            .by_code(code)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    // Each park's charts are drawn on their own; the order of the parks stays.
    use rayon::prelude::*;
    entity_order(input)
        .into_par_iter()
        .filter_map(|(id, name)| {
            if !has_facts.contains(id.as_str()) {
                return None;
            }
            let mut codes: Vec<(String, bool)> = main.iter().map(|c| (c.clone(), true)).collect();
            let mut extra: Vec<&str> = flagged
                .keys()
                .filter(|(e, i)| *e == id && !main.iter().any(|m| m == i))
                .map(|(_, i)| *i)
                .collect();
            extra.sort();
            extra.dedup();
            codes.extend(extra.into_iter().map(|c| (c.to_string(), false)));
            let charts = codes
                .into_iter()
                .map(|(code, is_main)| {
                    let rows = series.get(&(id.as_str(), code.as_str()));
                    let checks = flagged.get(&(id.as_str(), code.as_str()));
                    // The entity's own scope (a city's 全市 figures), not a figure about its parks.
                    let scope = input
                        .entities
                        .iter()
                        .find(|e| e.id == id)
                        .map(|e| e.scope)
                        .unwrap_or(crate::model::Scope::Park);
                    let rows: Option<Vec<&MonthlyRef>> = rows
                        .map(|r| {
                            r.iter()
                                .copied()
                                .filter(|m| m.scope == scope)
                                .collect::<Vec<_>>()
                        })
                        .filter(|r| !r.is_empty());
                    let year = rows.as_ref().and_then(|r| r.iter().map(|m| m.year).max());
                    let chart = rows.zip(year).map(|(rows, y)| {
                        let of_year: Vec<&MonthlyRef> =
                            rows.into_iter().filter(|m| m.year == y).collect();
                        let flags: Vec<(u8, String)> = checks
                            .into_iter()
                            .flatten()
                            .filter(|c| c.year == y && c.scope == scope)
                            .filter_map(|c| c.month_to.map(|m| (m, c.message.clone())))
                            .collect();
                        chart::chart(&of_year, &flags)
                    });
                    ChartView {
                        anchor: anchor(&id, &code),
                        entity_id: id.clone(),
                        indicator_name: name_of(&code),
                        flagged: checks.is_some(),
                        indicator: code,
                        year,
                        main: is_main,
                        chart,
                    }
                })
                .collect();
            Some(Park {
                entity_id: id,
                entity_name: name,
                charts,
            })
        })
        .collect()
}

fn check_groups(input: &ReportInput, charted: &HashSet<String>) -> Vec<SeverityGroup> {
    let entity_name: HashMap<&str, &str> = input
        .facts
        .iter()
        .map(|f| (f.entity_id, f.entity_name))
        .collect();
    [
        (Severity::Error, "错误 Errors"),
        (Severity::Warn, "警告 Warnings"),
        (Severity::Info, "提示 Information"),
    ]
    .into_iter()
    .map(|(sev, label)| SeverityGroup {
        severity: sev.as_str(),
        label,
        checks: input
            .checks
            .iter()
            .filter(|c| c.severity == sev)
            .map(|c| {
                let a = anchor(&c.entity_id, &c.indicator);
                CheckRow {
                    rule: c.rule.clone(),
                    severity: sev.as_str(),
                    message: c.message.clone(),
                    entity: entity_name
                        .get(c.entity_id.as_str())
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| c.entity_id.clone()),
                    indicator: input
                        .indicators
                        .by_code(&c.indicator)
                        .map(|d| d.name.clone())
                        .unwrap_or_else(|| c.indicator.clone()),
                    anchor: charted.contains(&a).then_some(a),
                }
            })
            .collect(),
    })
    .collect()
}

/// A conflict's fact: entity, indicator, year and months.
type ConflictKey<'a> = (&'a str, &'a str, i32, Option<u8>, Option<u8>);

fn conflicts(input: &ReportInput) -> Vec<ConflictRow> {
    let by_key: HashMap<ConflictKey, &Check> = input
        .checks
        .iter()
        .filter(|c| c.rule == "conflict")
        .map(|c| {
            (
                (
                    c.entity_id.as_str(),
                    c.indicator.as_str(),
                    c.year,
                    c.month_from,
                    c.month_to,
                ),
                c,
            )
        })
        .collect();
    input
        .facts
        .iter()
        .filter(|f| f.conflict)
        .map(|f| {
            let check = by_key.get(&(f.entity_id, f.indicator, f.year, f.month_from, f.month_to));
            ConflictRow {
                entity: f.entity_name.to_string(),
                indicator: f.indicator_name.to_string(),
                period: period(f.year, f.month_from, f.month_to),
                value: f
                    .value
                    .map(|v| format!("{v} {}", f.unit))
                    .unwrap_or_default(),
                winner: f.winner_source_kind.as_str().to_string(),
                sources: f.sources.replace(';', " "),
                why: check
                    .map(|c| c.message.clone())
                    .unwrap_or_else(|| "kept by source precedence, then precision".into()),
            }
        })
        .collect()
}

fn reject_groups(rejects: &[Reject]) -> Vec<RejectGroup> {
    let mut by_reason: BTreeMap<&str, Vec<&Reject>> = BTreeMap::new();
    for r in rejects {
        by_reason.entry(r.reason.as_str()).or_default().push(r);
    }
    let mut groups: Vec<RejectGroup> = by_reason
        .into_iter()
        .map(|(reason, rs)| RejectGroup {
            reason: reason.to_string(),
            count: rs.len(),
            hidden: rs.len().saturating_sub(REJECTS_SHOWN),
            rows: rs
                .iter()
                .take(REJECTS_SHOWN)
                .map(|r| RejectRow {
                    path: r.source_path.clone(),
                    locator: r.locator.clone(),
                    raw: r.raw.clone(),
                })
                .collect(),
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    groups
}

/// The page of a retained run, from its published tables, with the changes since the
/// run before it.
pub fn render_run(
    p: &crate::config::pipeline::Pipeline,
    run_dir: &std::path::Path,
) -> Result<Page> {
    use crate::publish::read_back;
    let manifest = read_back::manifest(run_dir)?;
    let stored = read_back::stored_facts(run_dir)?;
    let facts_frame = stored.rows(None)?;
    let needed = facts_read(&facts_frame).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `facts` table",
            run_dir.join("facts").display()
        )
    })?;
    let facts = read_back::fact_rows(run_dir, &needed)?;
    let monthly_frame = read_back::frame(run_dir, <Monthly as crate::model::Table>::NAME)?;
    let monthly_rows = MonthlyRef::rows(&monthly_frame).with_context(|| {
        format!(
            "{} does not hold the columns of parkstat's `monthly` table",
            run_dir.join("monthly").display()
        )
    })?;
    let runs = crate::publish::run_dir::list_runs(&p.out_dir);
    let previous = runs
        .iter()
        .rfind(|r| r.as_str() < manifest.run_id.as_str())
        .cloned();
    let changes = previous.and_then(|prev| {
        let dir = p.out_dir.join("runs").join(&prev);
        let old = read_back::stored_facts(&dir).ok()?;
        let changes = read_back::fact_changes(&old, &facts_frame, stored.row_groups());
        Some((prev, changes.ok()?))
    });
    let input = ReportInput {
        entities: p.entities.all(),
        main_indicators: &p.main_indicators,
        indicators: &p.dictionaries.indicators,
        facts: &facts,
        monthly: &monthly_rows,
        checks: &read_back::table::<Check>(run_dir)?,
        rejects: &read_back::table::<Reject>(run_dir)?,
    };
    let parks = render_parks(&input)?;
    render(&manifest, &input, changes, parks)
}

/// The facts the page reads, of a facts frame sorted by key: each entity's last (its
/// name, and that it has facts) and every conflict; the charts read `monthly`.
pub fn facts_read(facts: &DataFrame) -> PolarsResult<DataFrame> {
    let entity = facts.column("entity_id")?.as_materialized_series();
    let last = entity.not_equal_missing(&entity.shift(-1))?;
    let wanted = last | facts.column("conflict")?.bool()?.clone();
    facts.filter(&wanted)
}

/// The parks section of the page.
pub fn render_parks(input: &ReportInput) -> Result<ParksSection> {
    let main = main_indicators(input);
    let parks = parks(input, &main);
    let charted: HashSet<String> = parks
        .iter()
        .flat_map(|p| p.charts.iter().map(|c| c.anchor.clone()))
        .collect();
    let main_names: Vec<String> = main
        .iter()
        .map(|c| {
            input
                .indicators
                .by_code(c)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| c.clone())
        })
        .collect();
    let html = parks_html::section(&main_names, &parks);
    Ok(ParksSection { html, charted })
}

/// A rendered page in three parts: the parks section (~6 MB on the medium bench) is
/// written as it was drawn, not copied into a template value and then into the page.
pub struct Page {
    head: String,
    parks: String,
    tail: String,
}

impl Page {
    /// Writes the page to `path`.
    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(path)?;
        for part in [&self.head, &self.parks, &self.tail] {
            f.write_all(part.as_bytes())?;
        }
        Ok(())
    }
}

/// Where the parks section goes in the rendered page: a tag no escaped value can
/// spell (`<` is escaped in every value but this one).
const PARKS_MARK: &str = "<parkstat-parks-section/>";

/// The whole page, around its parks section; `changes` are the previous retained run
/// and the facts changed since, when there is one.
pub fn render(
    m: &RunManifest,
    input: &ReportInput,
    changes: Option<(String, Vec<FactChange>)>,
    parks: ParksSection,
) -> Result<Page> {
    let mut kinds: BTreeMap<&str, KindRow> = BTreeMap::new();
    for i in &m.inputs {
        let k = kinds.entry(i.kind.as_str()).or_insert_with(|| KindRow {
            kind: i.kind.clone(),
            ok: 0,
            failed: 0,
            cached: 0,
        });
        if i.status == "failed" {
            k.failed += 1;
        } else {
            k.ok += 1;
        }
        if i.cached {
            k.cached += 1;
        }
    }
    let failed: Vec<(String, String)> = m
        .inputs
        .iter()
        .filter(|i| i.status == "failed")
        .map(|i| (i.path.clone(), i.error.clone().unwrap_or_default()))
        .collect();
    let changes = changes.map(|(previous_run, rows)| Changes {
        previous_run,
        added: rows.iter().filter(|c| c.change == "added").count(),
        removed: rows.iter().filter(|c| c.change == "removed").count(),
        changed: rows.iter().filter(|c| c.change == "changed").count(),
        rows,
    });
    let exit_text = match m.exit_code {
        0 => "0 — clean 成功",
        3 => "3 — published with failed inputs or error checks 部分失败",
        _ => "failed 失败",
    };
    // The page shows these of the manifest; the whole of it (every input's record)
    // made ~30,000 template values on the run's last, single-threaded stretch.
    let head = minijinja::context! {
        run_id => &m.run_id,
        pipeline => &m.pipeline,
        version => &m.version,
        started_at => &m.started_at,
        finished_at => &m.finished_at,
    };
    let ctx = minijinja::context! {
        m => head,
        exit_text,
        kinds => Value::from(Serde(kinds.into_values().collect::<Vec<_>>())),
        failed => Value::from(Serde(&failed)),
        tables => Value::from(Serde(&m.outputs.iter().map(|(k, v)| (k.clone(), v.rows)).collect::<Vec<_>>())),
        n_checks => input.checks.len(),
        check_groups => Value::from(Serde(check_groups(input, &parks.charted))),
        parks_html => Value::from_safe_string(PARKS_MARK.into()),
        conflicts => Value::from(Serde(conflicts(input))),
        n_rejects => input.rejects.len(),
        reject_groups => Value::from(Serde(reject_groups(input.rejects))),
        changes => Value::from(Serde(&changes)),
    };
    let mut env = Environment::new();
    env.add_template("page.html", TEMPLATE)
        .context("the report template does not parse")?;
    let page = env
        .get_template("page.html")
        .and_then(|t| t.render(ctx))
        .context("rendering report.html")?;
    let at = page
        .find(PARKS_MARK)
        .context("the report template has no parks section")?;
    let tail = page[at + PARKS_MARK.len()..].to_string();
    let mut head = page;
    head.truncate(at);
    Ok(Page {
        head,
        parks: parks.html,
        tail,
    })
}
