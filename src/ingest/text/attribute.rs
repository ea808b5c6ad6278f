//! One sentence → observations and rejects: each figure linked to its
//! indicator, scope, period and growth.

use super::lines::NormLine;
use super::periods::{TimeRole, TimeSpan};
use super::spots::{spots, Role, Spot};
use crate::config::pipeline::EntityDef;
use crate::ingest::{FileOutput, SourceContext};
use crate::model::Scope;
use crate::normalize::figure::Figure;
use crate::normalize::indicator::{IndicatorKind, LabelMatch};
use crate::normalize::number::Decimal;
use crate::normalize::period::Period;

/// What the whole document tells every sentence.
pub struct DocContext<'a> {
    pub year: Option<i32>,
    /// The period that governed the paragraph so far: flows in a sentence naming none take it.
    pub paragraph: std::cell::Cell<Option<Period>>,
    /// The latest month the report covers, for `截至目前`.
    pub month: Option<u8>,
    pub entity: &'a EntityDef,
    /// The area the entity belongs to, for figures of `全市` and the like.
    pub parents: Vec<&'a EntityDef>,
}

impl DocContext<'_> {
    fn entity_for(&self, scope: Scope) -> &EntityDef {
        if scope == Scope::Park || scope == self.entity.scope {
            return self.entity;
        }
        self.parents
            .iter()
            .copied()
            .find(|p| p.scope == scope)
            .unwrap_or(self.entity)
    }
}

/// A figure being built; growth and shares may still attach to it.
struct Pending {
    spot: usize,
    def: usize,
    label: (usize, usize),
    scope: Scope,
    year: i32,
    period: Period,
    qualifier: Option<String>,
    value: Option<Decimal>,
    value_raw: String,
    unit_raw: String,
    span: (usize, usize),
    approx: bool,
    yoy: Option<f64>,
    pp: Option<f64>,
    share: Option<(f64, String)>,
    relative: bool,
}

impl Pending {
    /// A figure found at `spot` for indicator `def`, with nothing attached yet.
    fn at(
        spot: usize,
        sp: &Spot,
        def: usize,
        label: (usize, usize),
        scope: Scope,
        year: i32,
        period: Period,
    ) -> Pending {
        Pending {
            spot,
            def,
            label,
            scope,
            year,
            period,
            qualifier: None,
            value: None,
            value_raw: String::new(),
            unit_raw: String::new(),
            span: (sp.start, sp.end),
            approx: sp.approx,
            yoy: None,
            pp: None,
            share: None,
            relative: false,
        }
    }
}

/// What one pass over a sentence's characters tells: where its clauses start
/// (`,` `;` `:` end a clause; `、` does not), the spans inside quotes or book-title
/// marks (names, never figures), and whether label matching needs a view without
/// quote marks and spaces.
struct Shape {
    clause_starts: Vec<usize>,
    quoted: Vec<(usize, usize)>,
    needs_view: bool,
}

fn shape(s: &str) -> Shape {
    let mut clause_starts = vec![0];
    let mut quoted = Vec::new();
    let mut needs_view = false;
    let mut open: Option<(usize, char)> = None;
    for (i, c) in s.char_indices() {
        if c.is_ascii() {
            match c {
                ',' | ';' | ':' | '!' | '?' => clause_starts.push(i + 1),
                '"' => needs_view = true,
                _ => needs_view |= c.is_ascii_whitespace(),
            }
            if c != '"' {
                continue;
            }
        } else if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            continue; // hanzi: the bulk of a sentence
        }
        match c {
            '。' => clause_starts.push(i + c.len_utf8()),
            '“' | '”' | '「' | '」' | '『' | '』' => needs_view = true,
            _ => needs_view |= c.is_whitespace(),
        }
        match (open, c) {
            (None, '“' | '《' | '「' | '"' | '『') => open = Some((i, c)),
            (Some((a, o)), _)
                if matches!(
                    (o, c),
                    ('“', '”') | ('《', '》') | ('「', '」') | ('"', '"') | ('『', '』')
                ) =>
            {
                quoted.push((a, i + c.len_utf8()));
                open = None;
            }
            _ => {}
        }
    }
    Shape {
        clause_starts,
        quoted,
        needs_view,
    }
}

fn clause_of(starts: &[usize], i: usize) -> usize {
    starts.partition_point(|&s| s <= i).saturating_sub(1)
}

/// `在全省120家省级开发区中`: the count of peers a rank is among.
fn denominators(s: &str, scope_words: &[(String, Scope)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = s[from..].find('在').map(|p| p + from) {
        let rest = &s[p..];
        let end = rest.find(['中', ',', ';', '。']).map(|e| p + e);
        if let Some(e) = end {
            let inner = &s[p..e];
            if s[e..].starts_with('中')
                && inner.chars().any(|c| c.is_ascii_digit())
                && scope_words.iter().any(|(w, _)| inner.contains(w.as_str()))
            {
                out.push((p, e + '中'.len_utf8()));
            }
        }
        from = p + '在'.len_utf8();
    }
    out
}

/// The text with quote marks and spaces removed, for matching labels; and where each byte came from.
fn match_view(s: &str, needed: bool) -> (std::borrow::Cow<'_, str>, Option<Vec<usize>>) {
    if !needed {
        return (std::borrow::Cow::Borrowed(s), None);
    }
    let mut t = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len() + 1);
    for (i, c) in s.char_indices() {
        if matches!(c, '“' | '”' | '"' | '「' | '」' | '『' | '』') || c.is_whitespace() {
            continue;
        }
        for _ in 0..c.len_utf8() {
            map.push(i);
        }
        t.push(c);
    }
    map.push(s.len());
    (std::borrow::Cow::Owned(t), Some(map))
}

/// Reads one sentence (`s` = `line.text[offset..offset + s.len()]`).
pub fn sentence(
    line: &NormLine,
    offset: usize,
    s: &str,
    times: Vec<TimeSpan>,
    doc: &DocContext,
    ctx: &SourceContext,
    out: &mut FileOutput,
) {
    let rules = &ctx.dicts.text;
    let units = &ctx.dicts.units;
    let table = &ctx.dicts.indicators;

    // The flows of later sentences in this section that name no period take this one.
    let paragraph_before = doc.paragraph.get();
    if let Some(p) = times.iter().rev().find_map(|t| match t.role {
        TimeRole::Context(p) if p.kind != crate::model::PeriodKind::AsOf => Some(p),
        TimeRole::YearToDate => doc.month.map(Period::ytd),
        _ => None,
    }) {
        doc.paragraph.set(Some(p));
    }
    let shape = shape(s);
    let quotes = &shape.quoted;
    let denoms = denominators(s, &rules.scope_words);
    let mut masked: Vec<(usize, usize)> = times.iter().map(|t| (t.start, t.end)).collect();
    masked.extend(quotes);
    masked.extend(&denoms);
    let starts = shape.clause_starts;
    let clause_start = |i: usize| starts[clause_of(&starts, i)];
    let clause_end = |i: usize| {
        starts
            .get(clause_of(&starts, i) + 1)
            .copied()
            .unwrap_or(s.len())
    };
    let found = spots(s, &masked, rules, units, clause_start);
    if found.iter().all(|sp| sp.role == Role::NotAFigure) {
        return;
    }
    let (mtext, mmap) = match_view(s, shape.needs_view);
    let at = |i: usize| mmap.as_ref().map(|m| m[i.min(m.len() - 1)]).unwrap_or(i);
    let labels: Vec<LabelMatch> = table
        .find_in(&mtext)
        .into_iter()
        .map(|m| LabelMatch {
            start: at(m.start),
            end: at(m.end),
            def: m.def,
        })
        .filter(|m| !denoms.iter().any(|&(a, b)| m.start >= a && m.end <= b))
        .collect();
    let mut scopes: Vec<(usize, usize, Scope)> = Vec::new();
    for hit in rules.scope_matcher.find_iter(s) {
        {
            let (i, e, sc) = (
                hit.start(),
                hit.end(),
                &rules.scope_words[hit.pattern().as_usize()].1,
            );
            // 占全市…, 高于全省, 拉动全市: the area compared with, not the subject's.
            let lead = &s[clause_start(i)..i];
            let comparative = [
                "高于", "低于", "快于", "慢于", "占", "拉动", "比", "较", "为",
            ]
            .iter()
            .any(|w| lead.ends_with(w))
                || lead.contains('占');
            if !comparative
                && !denoms.iter().any(|&(a, b)| i >= a && e <= b)
                && !scopes.iter().any(|&(a, b, _)| i < b && a < e)
            {
                scopes.push((i, e, *sc));
            }
        }
    }
    scopes.sort_by_key(|x| x.0);
    let scope_before = |pos: usize| {
        scopes
            .iter()
            .rev()
            .find(|(a, _, _)| *a < pos)
            .map(|x| x.2)
            .unwrap_or(Scope::Park)
    };

    let locator = |sp: &Spot| line.locator(offset + sp.start, offset + sp.end);
    let reject = |out: &mut FileOutput, sp: &Spot, reason: String| {
        let mut r = ctx.src.reject(
            locator(sp),
            format!("{}{}", sp.value_raw, sp.unit_raw),
            reason,
        );
        r.value = sp.value.map(|d| d.to_f64());
        if !sp.unit_raw.is_empty() {
            r.unit = Some(sp.unit_raw.to_string());
        }
        out.rejects.push(r);
    };
    let Some(doc_year) = doc.year.or_else(|| times.iter().find_map(|t| t.year)) else {
        for sp in found.iter().filter(|sp| sp.role != Role::NotAFigure) {
            reject(out, sp, "unknown year: the report names none (title, dates, file name); set `year` on the source".into());
        }
        return;
    };

    // Which time phrase governs a position: the nearest one before it.
    let governing = |pos: usize| -> Option<&TimeSpan> {
        times
            .iter()
            .rev()
            .find(|t| t.end <= pos && t.role != TimeRole::Inert)
    };
    let period_for = |pos: usize, kind: IndicatorKind| -> Result<(i32, Period), String> {
        let t = governing(pos);
        let year = times
            .iter()
            .rev()
            .filter(|x| x.end <= pos)
            .find_map(|x| x.year)
            .unwrap_or(doc_year);
        let p = match t.map(|t| t.role) {
            Some(TimeRole::Context(p)) => p,
            Some(TimeRole::Now) => Period::as_of(doc.month),
            Some(TimeRole::YearToDate) => match doc.month {
                Some(m) => Period::ytd(m),
                None => return Err("今年以来 in a report whose latest month is unknown".into()),
            },
            Some(TimeRole::YearOnly) if t.and_then(|t| t.year).is_some() => Period::year(),
            _ => match paragraph_before {
                Some(p) if kind == IndicatorKind::Flow => p,
                _ if kind == IndicatorKind::Flow => {
                    return Err(
                        "no period: neither the sentence nor its paragraph names one".into(),
                    )
                }
                _ => Period::as_of(None),
            },
        };
        let p = if kind == IndicatorKind::Stock && p.kind != crate::model::PeriodKind::AsOf {
            Period::as_of(p.month_to)
        } else {
            p
        };
        Ok((year, p))
    };

    // 分别: subjects before it paired in order with the figures after it.
    let mut paired: Vec<Option<usize>> = vec![None; found.len()];
    let has_list = s.contains("分别");
    for (ci, &cs) in starts.iter().enumerate().filter(|_| has_list) {
        let ce = starts.get(ci + 1).copied().unwrap_or(s.len());
        let Some(fb) = s[cs..ce].find("分别").map(|p| p + cs) else {
            continue;
        };
        let idx: Vec<usize> = (0..found.len())
            .filter(|&i| {
                found[i].start > fb && found[i].start < ce && found[i].role != Role::NotAFigure
            })
            .collect();
        let subjects: Vec<&LabelMatch> = labels
            .iter()
            .filter(|m| m.start >= cs && m.end <= fb)
            .collect();
        if idx.len() < 2 {
            continue;
        }
        if subjects.len() == idx.len() {
            for (k, &i) in idx.iter().enumerate() {
                paired[i] = Some(
                    labels
                        .iter()
                        .position(|m| std::ptr::eq(m, subjects[k]))
                        .unwrap_or(0),
                );
            }
        } else {
            for &i in &idx {
                paired[i] = Some(usize::MAX);
            }
        }
    }

    let mut pending: Vec<Pending> = Vec::new();
    let mut last_label: Option<(usize, usize)> = None;
    let mut prev_end_in_clause = 0usize;
    let mut prev_clause = usize::MAX;
    for (i, sp) in found.iter().enumerate() {
        if sp.role == Role::NotAFigure {
            continue;
        }
        let ci = clause_of(&starts, sp.start);
        if ci != prev_clause {
            prev_end_in_clause = starts[ci];
            prev_clause = ci;
        }
        let window_start = prev_end_in_clause.max(clause_start(sp.start));
        prev_end_in_clause = sp.end;
        if let Role::Reject(reason) = &sp.role {
            reject(out, sp, reason.clone());
            continue;
        }
        if matches!(sp.role, Role::Points(_))
            && times.iter().any(|t| {
                t.role == TimeRole::Inert
                    && t.start >= clause_start(sp.start)
                    && t.end <= sp.start
                    && ["比", "较"].iter().any(|w| s[..t.start].ends_with(w))
            })
        {
            reject(
                out,
                sp,
                "a change against another period, not against last year".into(),
            );
            continue;
        }
        if paired[i] == Some(usize::MAX) {
            reject(
                out,
                sp,
                "分别 list whose subjects and figures do not pair one to one".into(),
            );
            continue;
        }
        let canonical = units.resolve(&sp.unit_raw).map(|c| c.canonical);
        let relative = sp.unit_raw == "倍"
            && ["为", "是", "相当于"]
                .iter()
                .any(|w| s[window_start..sp.start].contains(w))
            && s[..sp.start].ends_with('的');
        let fits = |m: &LabelMatch| -> bool {
            let d = table.def(m.def);
            // A class is named by a threshold, or narrowed (其中) from a class named before.
            let narrowed = s[clause_start(sp.start)..].starts_with("其中")
                && pending.iter().any(|p| p.qualifier.is_some());
            if d.requires_qualifier
                && !narrowed
                && !qualified(&found, window_start.min(m.start), m.start, s)
            {
                return false;
            }
            match sp.role {
                Role::Level | Role::Rank => {
                    relative || canonical.as_deref().is_some_and(|u| d.accepts_unit(u))
                }
                _ => true,
            }
        };
        // The label this figure belongs to: paired, nearest before in the window, first after, or carried.
        let chosen: Option<LabelMatch> = if let Some(k) = paired[i] {
            labels.get(k).copied()
        } else {
            let before = labels
                .iter()
                .rev()
                .filter(|m| m.start >= window_start && m.end <= sp.start)
                .find(|m| fits(m))
                .copied();
            let after = || {
                labels
                    .iter()
                    .filter(|m| m.start >= sp.end && m.end <= clause_end(sp.start))
                    .find(|m| fits(m))
                    .copied()
            };
            match sp.role {
                Role::Level | Role::Rank => before.or_else(after),
                _ => before,
            }
        };
        let chosen =
            chosen.map(|m| carry_subject(m, last_label, s, table, &rules.subject_prefixes));

        match &sp.role {
            Role::Growth(_) | Role::Points(_) => {
                let (yoy, pp) = match sp.role {
                    Role::Growth(g) => (Some(g), None),
                    Role::Points(p) => (None, Some(p)),
                    _ => (None, None),
                };
                // No subject of its own: the growth of the last figure, if nothing was named since.
                let target = match chosen {
                    None => pending.iter().rposition(|p| {
                        p.spot < i
                            && (yoy.is_none() || p.yoy.is_none())
                            && p.share.is_none()
                            && !labels
                                .iter()
                                .any(|m| m.start >= found[p.spot].end && m.end <= sp.start)
                    }),
                    Some(m) => pending.iter().rposition(|p| {
                        p.def == m.def
                            && p.spot < i
                            && p.yoy.is_none()
                            && p.share.is_none()
                            && clause_of(&starts, found[p.spot].start) + 1 >= ci
                    }),
                };
                if let Some(t) = target {
                    let p = &mut pending[t];
                    p.yoy = p.yoy.or(yoy);
                    p.pp = p.pp.or(pp);
                    continue;
                }
                let m = match chosen.or_else(|| {
                    last_label.map(|(d, _)| LabelMatch {
                        start: window_start,
                        end: window_start,
                        def: d,
                    })
                }) {
                    Some(m) => m,
                    None => {
                        reject(out, sp, "a growth rate with no subject".into());
                        continue;
                    }
                };
                let kind = table.def(m.def).kind;
                match period_for(sp.start, kind) {
                    Ok((year, period)) => {
                        let scope = scope_before(m.start.max(1));
                        pending.push(Pending {
                            yoy,
                            pp,
                            ..Pending::at(i, sp, m.def, (m.start, m.end), scope, year, period)
                        });
                        last_label = Some((m.def, m.start));
                    }
                    Err(reason) => reject(out, sp, reason),
                }
            }
            Role::Share => {
                let zhan = s[..sp.start].rfind('占').unwrap_or(window_start);
                let part = pending
                    .iter()
                    .rposition(|p| p.share.is_none() && p.value.is_some());
                // The whole is the area named right after 占 (占全市…的).
                let whole = rules
                    .scope_words
                    .iter()
                    .filter_map(|(w, sc)| s[zhan..sp.start].find(w.as_str()).map(|p| (p, *sc)))
                    .min_by_key(|x| x.0)
                    .map(|x| x.1);
                let def_in = labels
                    .iter()
                    .rev()
                    .find(|m| m.start > zhan && m.end <= sp.start)
                    .map(|m| m.def);
                let (def, label, scope, year, period) = match (part, def_in) {
                    (Some(p), d) => {
                        let p = &pending[p];
                        (d.unwrap_or(p.def), p.label, p.scope, p.year, p.period)
                    }
                    (None, Some(d)) => match period_for(sp.start, table.def(d).kind) {
                        Ok((y, per)) => (d, (zhan, zhan), scope_before(zhan), y, per),
                        Err(reason) => {
                            reject(out, sp, reason);
                            continue;
                        }
                    },
                    (None, None) => {
                        reject(out, sp, "a share with no figure it is a share of".into());
                        continue;
                    }
                };
                let share_of = whole.unwrap_or(Scope::Other).as_str().to_string();
                pending.push(Pending {
                    value_raw: sp.value_raw.to_string(),
                    unit_raw: sp.unit_raw.to_string(),
                    share: Some((sp.value.map(|d| d.to_f64()).unwrap_or(f64::NAN), share_of)),
                    ..Pending::at(i, sp, def, label, scope, year, period)
                });
            }
            Role::Level | Role::Rank => {
                let fits_plain = |def: usize| {
                    let d = table.def(def);
                    !d.requires_qualifier && canonical.as_deref().is_some_and(|u| d.accepts_unit(u))
                };
                // An elided subject: the last label named earlier in the sentence (利润总额扭亏为盈,实现1.8亿元).
                let earlier = labels
                    .iter()
                    .rev()
                    .find(|m| m.end <= window_start && fits_plain(m.def))
                    .copied();
                // Only a clause that names no subject of its own has an elided one.
                let names_own = labels
                    .iter()
                    .any(|m| m.start >= window_start && m.end <= clause_end(sp.start));
                let m = match chosen.or_else(|| {
                    last_label
                        .map(|(d, p)| LabelMatch {
                            start: p,
                            end: p,
                            def: d,
                        })
                        .filter(|m| fits_plain(m.def))
                        .or(earlier)
                        .filter(|_| !names_own)
                }) {
                    Some(m) => m,
                    None => {
                        let what = if sp.role == Role::Rank {
                            "rank"
                        } else {
                            "figure"
                        };
                        reject(out, sp, format!("unmapped indicator: no indicator of pipelines/indicators.toml names this {what}; add a synonym and rerun"));
                        continue;
                    }
                };
                let def = table.def(m.def);
                let (year, period) = match period_for(sp.start, def.kind) {
                    Ok(x) => x,
                    Err(reason) => {
                        reject(out, sp, reason);
                        continue;
                    }
                };
                let scope_pos = if m.end <= sp.start { m.start } else { sp.start };
                let scope = scope_before(scope_pos.max(1));
                let mut qualifier = if def.requires_qualifier {
                    qualifier_text(s, window_start, m.start, &rules.scope_words)
                } else {
                    None
                };
                if relative {
                    let comp = &s[m.end.min(sp.start)..sp.start];
                    let comp = comp
                        .trim_start_matches(['仅', '只'])
                        .trim_start_matches(['为', '是'])
                        .trim_start_matches("相当于")
                        .trim_end_matches('的');
                    qualifier = Some(format!("相对{comp}"));
                }
                if s[clause_start(sp.start)..].starts_with("其中") {
                    if let Some(parent) = pending.iter().rev().find_map(|p| p.qualifier.clone()) {
                        qualifier = Some(match qualifier {
                            Some(q) => format!("{parent};{q}"),
                            None => parent,
                        });
                    }
                }
                pending.push(Pending {
                    qualifier,
                    value: sp.value,
                    value_raw: sp.value_raw.to_string(),
                    unit_raw: sp.unit_raw.to_string(),
                    relative,
                    ..Pending::at(i, sp, m.def, (m.start, m.end), scope, year, period)
                });
                if m.end > m.start {
                    last_label = Some((m.def, m.start));
                }
            }
            Role::Reject(_) | Role::NotAFigure => {}
        }
    }

    if pending.is_empty() {
        return;
    }
    let excerpt: std::sync::Arc<str> = line.orig_slice(offset, offset + s.len()).trim().into();
    for p in pending {
        let def = table.def(p.def);
        let entity = doc.entity_for(p.scope);
        let (share_pct, share_of) = match p.share {
            Some((v, of)) => (Some(v), Some(of)),
            None => (None, None),
        };
        let fig = Figure {
            entity,
            scope: p.scope,
            indicator: def,
            indicator_raw: s[p.label.0..p.label.1].to_string(),
            year: p.year,
            period: p.period,
            value: p.value,
            value_raw: p.value_raw,
            unit_raw: p.unit_raw,
            approx: p.approx,
            yoy_pct: p.yoy,
            yoy_pp: p.pp,
            share_pct,
            share_of,
            qualifier: p.qualifier,
            relative: p.relative,
            locator: line.locator(offset + p.span.0, offset + p.span.1),
            excerpt: excerpt.clone(),
        };
        match fig.into_observation(&ctx.src, units) {
            Ok(o) => out.observations.push(o),
            Err(r) => out.rejects.push(r),
        }
    }
}

/// Whether a class label (企业, 工业项目) between `from` and `to` is named by a threshold.
fn qualified(found: &[Spot], from: usize, to: usize, s: &str) -> bool {
    found
        .iter()
        .any(|sp| sp.threshold && sp.start >= from && sp.end <= to)
        || [
            "超亿元",
            "亿元以上",
            "亿元以下",
            "千万元以上",
            "规模以上",
            "限额以上",
        ]
        .iter()
        .any(|w| s[from..to].contains(w))
}

/// The words that name a class (`亩均税收超过50万元`), without scope words or 其中.
fn qualifier_text(
    s: &str,
    from: usize,
    to: usize,
    scope_words: &[(String, Scope)],
) -> Option<String> {
    let mut q = s[from..to].trim_matches([',', ';', ' ']);
    q = q.strip_prefix("其中").unwrap_or(q);
    for (w, _) in scope_words {
        if let Some(r) = q.strip_prefix(w.as_str()) {
            q = r;
            break;
        }
    }
    let q = q.trim_end_matches('的').trim();
    (!q.is_empty()).then(|| q.to_string())
}

/// An elided subject: after 中小企业营业收入, a bare 纳税额 is 中小企业纳税额 when that is an indicator.
fn carry_subject(
    m: LabelMatch,
    last: Option<(usize, usize)>,
    s: &str,
    table: &crate::normalize::indicator::IndicatorTable,
    prefixes: &[String],
) -> LabelMatch {
    let Some((_, last_start)) = last else {
        return m;
    };
    let label = &s[m.start..m.end];
    if prefixes.iter().any(|p| label.starts_with(p.as_str())) {
        return m;
    }
    let prev = &s[last_start..];
    for p in prefixes {
        if prev.starts_with(p.as_str()) {
            if let Some(d) =
                table.index_of_label(&crate::normalize::label::fold(&format!("{p}{label}")))
            {
                return LabelMatch { def: d, ..m };
            }
        }
    }
    m
}
