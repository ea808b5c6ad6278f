//! Numbers in a sentence, each with its unit, qualifiers and role: a level,
//! a growth rate, a change in points, a share, a rank — or not a figure at
//! all (a name, a date, a threshold, an ordinal).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::config::text_rules::TextRules;
use crate::normalize::cn_number::parse_cn;
use crate::normalize::number::Decimal;
use crate::normalize::unit::UnitTable;

static NUM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]+(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|[百千万][余多]|[〇零一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾廿][〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]*")
        .expect("static pattern")
});

/// The role of a number in its sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// A value of something (`950亿元`, `35家`, `95%` of a rate).
    Level,
    /// Year-over-year growth in percent (`同比增长12.5%`, `下降3.1%`, `增长1.2倍` → 120).
    Growth(f64),
    /// A change in percentage points.
    Points(f64),
    /// A share of a whole (`占全市…的63.3%`).
    Share,
    /// A rank (`排名第15位`).
    Rank,
    /// Figure-like, but not a fact this tool records; the reason goes to `rejects`.
    Reject(String),
    /// Not a figure: a name, a date, an ordinal, a threshold, a bare number.
    NotAFigure,
}

/// A number found in a sentence.
#[derive(Debug, Clone)]
pub struct Spot<'a> {
    /// Byte span of number and unit (what the locator points at).
    pub start: usize,
    pub end: usize,
    pub value: Option<Decimal>,
    pub value_raw: Cow<'a, str>,
    pub unit_raw: Cow<'a, str>,
    pub approx: bool,
    pub role: Role,
    /// A threshold (`5000万元以上`, `超过50万元的`): names a class, not a figure.
    pub threshold: bool,
}

fn ends_with_any<'a>(s: &str, words: &'a [String]) -> Option<&'a str> {
    words
        .iter()
        .find(|w| s.ends_with(w.as_str()))
        .map(|w| w.as_str())
}

fn starts_with_any<'a>(s: &str, words: &'a [String]) -> Option<&'a str> {
    words
        .iter()
        .find(|w| s.starts_with(w.as_str()))
        .map(|w| w.as_str())
}

fn is_punct(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '.' | '。' | '、' | '!' | '?' | '(' | ')' | '"' | '“' | '”' | '…' | '-'
    ) || c.is_whitespace()
}

/// Finds every number of `s` outside `masked` spans, reads its unit and decides its role.
/// `clause_start(i)` gives the start of the clause holding byte `i`.
pub fn spots<'a>(
    s: &'a str,
    masked: &[(usize, usize)],
    rules: &TextRules,
    units: &UnitTable,
    clause_start: impl Fn(usize) -> usize,
) -> Vec<Spot<'a>> {
    let mut out: Vec<Spot<'a>> = Vec::new();
    let mut skip_until = 0;
    // Where the sentence turns to plans (力争, 预计): every figure after it is a target.
    let target_from = rules
        .target_matcher
        .find(s)
        .map(|m| m.start())
        .unwrap_or(usize::MAX);
    for m in NUM.find_iter(s) {
        let (ns, ne) = (m.start(), m.end());
        if ns < skip_until || masked.iter().any(|&(a, b)| ns < b && a < ne) {
            continue;
        }
        // 百余家, 千多人: a round number and an approximation.
        let (raw, ne, round) = match m.as_str().strip_suffix(['余', '多']) {
            Some(r) if m.as_str().chars().count() == 2 => (r, ne - '余'.len_utf8(), true),
            _ => (m.as_str(), ne, false),
        };
        let arabic = raw.as_bytes()[0].is_ascii_digit();
        let before = &s[..ns];
        let prev = before.chars().next_back();
        let next = s[ne..].chars().next();
        // Names: 5G, 4/5G, WiFi6, 3·15, model numbers.
        if arabic
            && (prev
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '·' | '.' | '_'))
                || next.is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '·' | '_')))
        {
            continue;
        }
        // Enumerators: (一), 一是, 二、, 1.
        if next.is_some_and(|c| matches!(c, ')' | '、' | '是'))
            && prev.is_none_or(|c| c == '(' || is_punct(c))
        {
            continue;
        }
        let mut value = if arabic {
            Decimal::parse(raw)
        } else {
            parse_cn(raw)
        };
        // A minus sign written before the number (增长-3.5%, 比增-4.8%).
        let signed = arabic
            && before.ends_with(['-', '\u{2212}'])
            && !before
                .trim_end_matches(['-', '\u{2212}'])
                .ends_with(|c: char| c.is_ascii_alphanumeric());
        let (ns, before, raw) = if signed {
            value = value.map(|d| Decimal {
                mantissa: -d.mantissa,
                ..d
            });
            let sign_len = before.chars().next_back().map(char::len_utf8).unwrap_or(1);
            (ns - sign_len, &s[..ns - sign_len], &s[ns - sign_len..ne])
        } else {
            (ns, before, raw)
        };
        let mut pos = if round { ne + '余'.len_utf8() } else { ne };
        let mut approx = round;
        // 十余家, 百余项, 3亿多元
        let mut unit_raw: Cow<'a, str> = Cow::Borrowed("");
        if let Some(u) = units.unit_at(s, pos) {
            unit_raw = Cow::Borrowed(u);
            pos += u.len();
        } else if let Some(w) = ["余", "多"].iter().find(|w| s[pos..].starts_with(*w)) {
            if let Some(u) = units.unit_at(s, pos + w.len()) {
                approx = true;
                unit_raw = Cow::Borrowed(u);
                pos += w.len() + u.len();
            }
        } else {
            // 3亿多元: scale, 多/余, base
            for scale in ["万亿", "亿", "万", "千"] {
                if let Some(rest) = s[pos..].strip_prefix(scale) {
                    for w in ["余", "多"] {
                        if let Some(r2) = rest.strip_prefix(w) {
                            if let Some(u) = units.unit_at(r2, 0) {
                                approx = true;
                                unit_raw = Cow::Owned(format!("{scale}{u}"));
                                pos += scale.len() + w.len() + u.len();
                            }
                        }
                    }
                }
            }
        }
        // Ranges: 20至30家, 20-30亿元, 10%—15%.
        let after_num = &s[pos..];
        if let Some(sep) = ["至", "-", "~", "到", "—", "–"]
            .iter()
            .find(|w| after_num.starts_with(*w))
        {
            if let Some(m2) = NUM
                .find_at(s, pos + sep.len())
                .filter(|m2| m2.start() == pos + sep.len())
            {
                let mut end = m2.end();
                let unit2 = units.unit_at(s, end).unwrap_or("");
                end += unit2.len();
                if !unit2.is_empty() || !unit_raw.is_empty() {
                    skip_until = end;
                    out.push(Spot {
                        start: ns,
                        end,
                        value: None,
                        value_raw: Cow::Borrowed(&s[ns..end - unit2.len()]),
                        unit_raw: if unit2.is_empty() {
                            unit_raw.clone()
                        } else {
                            Cow::Borrowed(unit2)
                        },
                        approx: true,
                        role: Role::Reject(format!(
                            "a range ({}): kept as a reject, never a single value",
                            &s[ns..end]
                        )),
                        threshold: false,
                    });
                    continue;
                }
            }
        }
        // 十几个, 二十几家: approximate, not a single value.
        if unit_raw.is_empty() && !arabic && s[ne..].starts_with('几') {
            if let Some(u) = units.unit_at(s, ne + '几'.len_utf8()) {
                let end = ne + '几'.len_utf8() + u.len();
                out.push(Spot {
                    start: ns,
                    end,
                    value: None,
                    value_raw: Cow::Borrowed(&s[ns..end - u.len()]),
                    unit_raw: Cow::Borrowed(u),
                    approx: true,
                    role: Role::Reject(format!(
                        "an approximate count ({}): not a single value",
                        &s[ns..end]
                    )),
                    threshold: false,
                });
                continue;
            }
        }
        let unit_end = pos;
        // Chinese numerals without a unit are words (一般, 统一); 一个 is an article.
        if unit_raw.is_empty() || (!arabic && raw == "一") {
            // An ordinal rank without 位: 位居全省第二.
            if before.ends_with('第')
                && !arabic
                && ["排名", "位居", "居", "列"]
                    .iter()
                    .any(|w| before[clause_start(ns)..].contains(w))
            {
                out.push(Spot {
                    start: ns,
                    end: ne,
                    value,
                    value_raw: Cow::Borrowed(raw),
                    unit_raw: "位".into(),
                    approx,
                    role: Role::Rank,
                    threshold: false,
                });
            }
            continue;
        }
        if value.is_none() && !arabic {
            out.push(Spot {
                start: ns,
                end: unit_end,
                value: None,
                value_raw: Cow::Borrowed(raw),
                unit_raw,
                approx: true,
                role: Role::Reject(format!("an approximate pair ({raw}): not a single value")),
                threshold: false,
            });
            continue;
        }
        if let Some(w) = ends_with_any(before, &rules.approx_before) {
            let _ = w;
            approx = true;
        }
        let after = &s[unit_end..];
        let mut threshold = false;
        let mut tail = after;
        for w in ["及以上", "以上", "以下", "以内"] {
            if let Some(r) = tail.strip_prefix(w) {
                tail = r;
                // followed by a noun: a class (5000万元以上工业项目); else an approximation
                threshold = r
                    .chars()
                    .next()
                    .is_some_and(|c| !is_punct(c) && !matches!(c, '的' | '同' | '比' | '较'));
                approx = true;
                break;
            }
        }
        if tail.starts_with('的') && !tail.starts_with("的基础") {
            threshold = true;
        }
        if let Some(w) = starts_with_any(after, &rules.approx_after) {
            let _ = w;
            approx = true;
        }
        let clause = &s[clause_start(ns)..ns];
        let bracketed = before.ends_with('(') && after.starts_with(')');
        let comparator = bracketed
            && rules
                .scope_words
                .iter()
                .any(|(w, _)| before[..before.len() - 1].ends_with(w.as_str()));
        let role = if comparator {
            Role::Reject("a comparator value of another area, not this figure".into())
        } else if target_from < ns {
            Role::Reject("a target or forecast, not an achieved figure".into())
        } else if threshold {
            Role::NotAFigure
        } else if before.ends_with('第') {
            if matches!(unit_raw.as_ref(), "位" | "名") {
                Role::Rank
            } else {
                Role::NotAFigure
            }
        } else {
            classify(clause, &unit_raw, &mut value, rules)
        };
        out.push(Spot {
            start: ns,
            end: unit_end,
            value,
            value_raw: Cow::Borrowed(raw),
            unit_raw,
            approx,
            role,
            threshold,
        });
    }
    out
}

/// The role of a number with a unit, from the words before it in its clause.
fn classify(clause: &str, unit: &str, value: &mut Option<Decimal>, rules: &TextRules) -> Role {
    let trimmed = clause.trim_end_matches(['了', '为', '达', '约', '近', '超', ' ']);
    let to_level = rules.to_level.iter().any(|w| trimmed.ends_with(w.as_str()));
    match unit {
        "位" | "名次" => {
            if ends_with_any(trimmed, &rules.rank_change).is_some()
                || trimmed
                    .strip_suffix('了')
                    .is_some_and(|t| ends_with_any(t, &rules.rank_change).is_some())
            {
                return Role::Reject("a change of rank: no column holds it".into());
            }
            Role::Level
        }
        "个百分点" | "百分点" => {
            if rules.contribution.is_match(clause) {
                return Role::Reject(
                    "a contribution to growth, not a change of this figure".into(),
                );
            }
            if rules.other_base.is_match(clause) {
                return Role::Reject(
                    "a change against another base than last year's same period".into(),
                );
            }
            let gap = ["高于", "低于"].iter().any(|cmp| {
                clause.match_indices(cmp).any(|(i, _)| {
                    let after = &clause[i + cmp.len()..];
                    rules
                        .scope_words
                        .iter()
                        .any(|(w, _)| after.starts_with(w.as_str()))
                })
            });
            if gap {
                return Role::Reject("a gap to another area, not a change over time".into());
            }
            let v = value.map(|d| d.to_f64()).unwrap_or(f64::NAN);
            // 降幅收窄: a decline narrowing is a rise in the rate; 降幅扩大 a fall.
            let sign = if clause.contains("降幅") && trimmed.ends_with("收窄") {
                1.0
            } else if (clause.contains("降幅") && trimmed.ends_with("扩大"))
                || ends_with_any(trimmed, &rules.pp_down).is_some()
            {
                -1.0
            } else {
                1.0
            };
            Role::Points(sign * v)
        }
        "%" | "倍" => {
            if clause.contains('占') && unit == "%" {
                return Role::Share;
            }
            if to_level {
                return Role::Level;
            }
            // 分别增长5.8%和-3.5%: the items after the first take the verb after 分别.
            let list_tail = clause
                .rfind("分别")
                .map(|p| &clause[p + "分别".len()..])
                .filter(|_| trimmed.ends_with(['和', '、', '及', ',']));
            let verb_text = list_tail
                .map(|t| {
                    t.trim_start_matches(['比', '较'])
                        .trim_start_matches("上年同期")
                })
                .unwrap_or(trimmed);
            let (up, down) = match list_tail {
                Some(_) => (
                    starts_with_any(verb_text, &rules.growth_up),
                    starts_with_any(verb_text, &rules.growth_down),
                ),
                None => (
                    ends_with_any(trimmed, &rules.growth_up),
                    ends_with_any(trimmed, &rules.growth_down),
                ),
            };
            if up.is_none() && down.is_none() {
                if unit == "倍"
                    && (trimmed.ends_with("翻")
                        || clause.contains("是上年")
                        || clause.contains("为上年"))
                {
                    return Role::Reject("a multiple of last year's value".into());
                }
                return Role::Level;
            }
            if rules.other_base.is_match(clause) {
                return Role::Reject(
                    "growth against another base than last year's same period".into(),
                );
            }
            if rules.contribution.is_match(clause) {
                return Role::Reject("a contribution to growth, not a growth rate".into());
            }
            let v = value.map(|d| d.to_f64()).unwrap_or(f64::NAN);
            let pct = if unit == "倍" { v * 100.0 } else { v };
            let negative_word = down.is_some()
                && up.is_none_or(|u| down.is_some_and(|d| d.chars().count() >= u.chars().count()));
            Role::Growth(if negative_word { -pct.abs() } else { pct })
        }
        _ => {
            let verb = ends_with_any(trimmed, &rules.growth_up)
                .or_else(|| ends_with_any(trimmed, &rules.growth_down));
            // Against 较 or 比 (同比 included): a change, not a level.
            let compared = clause.contains(['较', '比']);
            if !to_level && compared && verb.is_some() {
                return Role::Reject(
                    "an absolute change against an earlier period: no column holds it".into(),
                );
            }
            Role::Level
        }
    }
}
