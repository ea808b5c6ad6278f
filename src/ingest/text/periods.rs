//! Time in running text: period phrases that govern a sentence (`1至8月`,
//! `截至目前`, `2023年`), dates that are not figures, and the report's year.

use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::period::{small_number, Period};

const M: &str = r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})";

/// Words that name a period or an as-of date: a sentence without one skips those scans.
static NAMED_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new(["季度", "半年", "全年", "首季", "今年", "本年", "年初"])
        .expect("static words")
});
static AS_OF_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new([
        "截至", "月底", "月末", "年末", "年底", "目前", "当前", "现有",
    ])
    .expect("static words")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:19|20)[0-9]{2}\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日|(?:19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}月[0-9]{1,2}日")
        .expect("static pattern")
});
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:((?:19|20)[0-9]{{2}})年)?{M}月?份?\s*(?:-|—|–|~|至|到|－|―)\s*{M}月份?(?:累计)?"
    ))
    .expect("static pattern")
});
static FIRST_N: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"前([0-9]{1,2}|[一二三四五六七八九十两]{1,3})个月").expect("static pattern")
});
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:((?:19|20)[0-9]{2})年)?(前三季度|上半年|下半年|全年|首季度?|第?[一二三四1-4]季度|今年以来|年初以来|今年|本年)")
        .expect("static pattern")
});
static AS_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"截至(?:目前|当前|今)?(?:((?:19|20)[0-9]{{2}})年)?(?:{M}月(?:底|末)?)?|{M}月(?:底|末)|年末|年底|目前|当前|现有"))
        .expect("static pattern")
});
static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)[0-9]{2}|[〇零一二三四五六七八九]{4})\s*年(?:度)?")
        .expect("static pattern")
});
static MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?:((?:19|20)[0-9]{{2}})年)?{M}月份?(?:当月)?")).expect("static pattern")
});
static ANY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^[0-9]])((?:19|20)[0-9]{2})(?:[^[0-9]]|$)").expect("static pattern")
});
static CN_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([〇零一二三四五六七八九]{4})年").expect("static pattern"));
static FULL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)[0-9]{2})\s*[年\-/.]\s*([0-9]{1,2})\s*[月\-/.]\s*([0-9]{1,2})")
        .expect("static pattern")
});

/// What a time phrase does to the figures after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeRole {
    /// Governs the figures after it in its sentence.
    Context(Period),
    /// A stock "now": the report's latest month, decided per document.
    Now,
    /// `今年以来`: year to date, to the report's latest month.
    YearToDate,
    /// Names only a year (`2023年,`): the figures are of that year.
    YearOnly,
    /// A base of comparison (`比1-7月`), a deadline (`年底前`) or a date: governs nothing.
    Inert,
}

/// A time phrase in a sentence (byte offsets of the sentence).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSpan {
    pub start: usize,
    pub end: usize,
    pub year: Option<i32>,
    pub role: TimeRole,
}

/// Calls `f` with the span and text of each match of `re` in `s`: the groups of these
/// patterns are read back from the text, which spares the capture engine (whose
/// iterator allocated a capture set per match: a third of this stage's allocations).
fn each_find(re: &Regex, s: &str, mut f: impl FnMut(usize, usize, &str)) {
    if s.is_empty() {
        return;
    }
    for m in re.find_iter(s) {
        f(m.start(), m.end(), m.as_str());
    }
}

/// A leading `2024年` of a match (the optional year group of NAMED and MONTH) and the rest.
fn split_year(text: &str) -> (Option<&str>, &str) {
    let b = text.as_bytes();
    if b.len() >= 7
        && (b.starts_with(b"19") || b.starts_with(b"20"))
        && b[..4].iter().all(u8::is_ascii_digit)
        && text[4..].starts_with('年')
    {
        (Some(&text[..4]), &text[7..])
    } else {
        (None, text)
    }
}

fn year_of_str(t: Option<&str>) -> Option<i32> {
    let t = t?;
    t.parse().ok().or_else(|| {
        crate::normalize::cn_number::parse_cn(t)
            .map(|d| d.mantissa as i32)
            .filter(|y| (1900..2100).contains(y))
    })
}

fn overlaps(spans: &[TimeSpan], s: usize, e: usize) -> bool {
    spans.iter().any(|t| s < t.end && t.start < e)
}

/// Every time phrase of a sentence, leftmost forms first, not overlapping.
pub fn time_spans(s: &str) -> Vec<TimeSpan> {
    let mut out: Vec<TimeSpan> = Vec::new();
    let push =
        |out: &mut Vec<TimeSpan>, start: usize, end: usize, year: Option<i32>, role: TimeRole| {
            if !overlaps(out, start, end) {
                out.push(TimeSpan {
                    start,
                    end,
                    year,
                    role,
                });
            }
        };
    // One pass over the characters, and a few literal searches, decide which scans can
    // match at all: most sentences need one or two of them.
    let (mut yue, mut nian, mut ri, mut sep, mut range_sep, mut dots, mut ge) =
        (false, false, false, false, false, 0, false);
    // A first character of a named period or an as-of word (searched for only then).
    let (mut named_char, mut as_of_char) = (false, false);
    for c in s.chars() {
        match c {
            '月' => yue = true,
            '年' => nian = true,
            '日' => ri = true,
            '-' | '/' => {
                sep = true;
                range_sep = true;
            }
            '—' | '–' | '~' | '至' | '到' | '－' | '―' => range_sep = true,
            '.' => dots += 1,
            '个' => ge = true,
            '季' | '半' | '全' | '首' | '今' | '本' | '初' => named_char = true,
            '截' | '目' | '当' | '现' | '底' | '末' => as_of_char = true,
            _ => {}
        }
    }
    let named = named_char && NAMED_WORDS.is_match(s);
    let as_of = as_of_char && AS_OF_WORDS.is_match(s);
    let dates = if ri || sep || dots >= 2 {
        DATE.find_iter(s).collect()
    } else {
        Vec::new()
    };
    for m in dates {
        push(&mut out, m.start(), m.end(), None, TimeRole::Inert);
    }
    let has_month = yue;
    each_find(
        &RANGE,
        if has_month && range_sep { s } else { "" },
        |start, end, text| {
            // (年)? M 月?份? sep M 月份?: the two month numbers are the two runs of numerals.
            let (year, rest) = split_year(text);
            let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十".contains(c);
            let first_end = rest.find(|c: char| !numeral(c)).unwrap_or(rest.len());
            let after = &rest[first_end..];
            let second = after
                .find(numeral)
                .map(|i| &after[i..])
                .map(|t| &t[..t.find(|c: char| !numeral(c)).unwrap_or(t.len())]);
            let (a, b) = (
                small_number(&rest[..first_end]),
                second.and_then(small_number),
            );
            let role = match (a, b) {
                (Some(a), Some(b)) => Period::span(a, b)
                    .map(TimeRole::Context)
                    .unwrap_or(TimeRole::Inert),
                _ => TimeRole::Inert,
            };
            push(&mut out, start, end, year_of_str(year), role);
        },
    );
    each_find(
        &FIRST_N,
        if ge && yue { s } else { "" },
        |start, end, text| {
            // 前N个月: N is what lies between.
            let n = text.trim_start_matches('前').trim_end_matches("个月");
            let role = small_number(n)
                .filter(|n| (1..=12).contains(n))
                .map(|n| TimeRole::Context(Period::ytd(n)));
            push(&mut out, start, end, None, role.unwrap_or(TimeRole::Inert));
        },
    );

    each_find(&NAMED, if named { s } else { "" }, |start, end, text| {
        let (year, name) = split_year(text);
        let role = match name {
            "今年以来" | "年初以来" => TimeRole::YearToDate,
            "今年" | "本年" => TimeRole::YearOnly,
            _ => match crate::normalize::period::parse_period(name) {
                Some((_, p)) => TimeRole::Context(p),
                None if name.starts_with('首') => TimeRole::Context(Period::ytd(3)),
                None => TimeRole::Inert,
            },
        };
        push(&mut out, start, end, year_of_str(year), role);
    });

    for c in AS_OF.captures_iter(if as_of { s } else { "" }) {
        let m = c.get(0).expect("whole match");
        let month = c
            .get(2)
            .or(c.get(3))
            .and_then(|x| small_number(x.as_str()))
            .filter(|n| (1..=12).contains(n));
        let text = m.as_str();
        let role = if text == "年末" || text == "年底" {
            TimeRole::Context(Period::as_of(Some(12)))
        } else if month.is_some() {
            TimeRole::Context(Period::as_of(month))
        } else {
            TimeRole::Now
        };
        push(
            &mut out,
            m.start(),
            m.end(),
            year_of_str(c.get(1).map(|g| g.as_str())),
            role,
        );
    }
    each_find(&YEAR, if nian { s } else { "" }, |start, end, text| {
        let year = text.split(|c: char| c.is_whitespace() || c == '年').next();
        push(&mut out, start, end, year_of_str(year), TimeRole::YearOnly);
    });
    each_find(
        &MONTH,
        if has_month { s } else { "" },
        |start, end, text| {
            let (year, rest) = split_year(text);
            let role = rest
                .split('月')
                .next()
                .and_then(small_number)
                .filter(|n| (1..=12).contains(n))
                .map(|n| TimeRole::Context(Period::month(n)));
            push(
                &mut out,
                start,
                end,
                year_of_str(year),
                role.unwrap_or(TimeRole::Inert),
            );
        },
    );
    // A base of comparison or a deadline governs nothing.
    for t in out.iter_mut() {
        let before = s[..t.start].chars().next_back();
        let after = s[t.end..].chars().next();
        if matches!(before, Some('比' | '较' | '与' | '同')) || after == Some('前') {
            t.role = TimeRole::Inert;
        }
    }
    out.sort_by_key(|t| t.start);
    out
}

/// The year a report is about: title, then the body's dates, then the page's dates, then the file name.
pub fn document_year(
    titles: &[&str],
    body: &[&str],
    chrome: &[&str],
    file_name: &str,
) -> Option<i32> {
    let from_any = |t: &str| {
        ANY_YEAR
            .captures(t)
            .and_then(|c| c[1].parse().ok())
            .or_else(|| {
                CN_YEAR
                    .captures(t)
                    .and_then(|c| crate::normalize::cn_number::parse_cn(&c[1]))
                    .map(|d| d.mantissa as i32)
                    .filter(|y| (1900..2100).contains(y))
            })
    };
    let from_date = |t: &str| FULL_DATE.captures(t).and_then(|c| c[1].parse().ok());
    titles
        .iter()
        .find_map(|t| from_any(t))
        .or_else(|| body.iter().find_map(|t| from_date(t)))
        .or_else(|| chrome.iter().find_map(|t| from_date(t)))
        .or_else(|| from_any(file_name))
}

/// The month of the latest date in these lines, for `截至目前` when the body names no period.
pub fn latest_date_month(lines: &[&str]) -> Option<u8> {
    lines
        .iter()
        .filter_map(|t| FULL_DATE.captures(t))
        .filter_map(|c| c[2].parse::<u8>().ok())
        .filter(|m| (1..=12).contains(m))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeriodKind;

    fn roles(s: &str) -> Vec<(String, TimeRole)> {
        time_spans(s)
            .into_iter()
            .map(|t| (s[t.start..t.end].to_string(), t.role))
            .collect()
    }

    #[test]
    fn cumulative_and_stock_phrases() {
        let r = roles("1至8月,园区完成");
        assert_eq!(r[0].0, "1至8月");
        assert!(
            matches!(r[0].1, TimeRole::Context(p) if p.kind == PeriodKind::Ytd && p.month_to == Some(8))
        );
        assert!(matches!(roles("截至目前,园区")[0].1, TimeRole::Now));
        assert!(
            matches!(roles("截至8月底,园区")[0].1, TimeRole::Context(p) if p.kind == PeriodKind::AsOf && p.month_to == Some(8))
        );
        assert!(matches!(roles("前8个月")[0].1, TimeRole::Context(p) if p.month_to == Some(8)));
        assert!(matches!(roles("上半年")[0].1, TimeRole::Context(p) if p.month_to == Some(6)));
        assert!(
            matches!(roles("三季度")[0].1, TimeRole::Context(p) if p.kind == PeriodKind::Quarter)
        );
        assert!(
            matches!(roles("8月当月")[0].1, TimeRole::Context(p) if p.kind == PeriodKind::Month)
        );
        assert!(matches!(roles("今年以来")[0].1, TimeRole::YearToDate));
    }

    #[test]
    fn years_dates_bases_and_deadlines() {
        let t = time_spans("2023年,园区");
        assert_eq!((t[0].year, t[0].role), (Some(2023), TimeRole::YearOnly));
        let t = time_spans("2024年1-8月,园区");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].year, Some(2024));
        assert_eq!(roles("2019年7月9日,")[0].1, TimeRole::Inert);
        assert_eq!(roles("增速比1-7月加快")[0].1, TimeRole::Inert);
        assert_eq!(roles("年底前完成")[0].1, TimeRole::Inert);
        assert!(time_spans("1500亿元").is_empty());
        assert!(time_spans("五年内跃升30位").is_empty());
    }

    #[test]
    fn document_year_order() {
        assert_eq!(
            document_year(&["2024工业园区三季度工作情况汇报"], &[], &[], "x.txt"),
            Some(2024)
        );
        assert_eq!(
            document_year(
                &["园区工作情况汇报"],
                &["江州市工业园区 2023年9月5日"],
                &[],
                "x"
            ),
            Some(2023)
        );
        assert_eq!(
            document_year(&[], &[], &["发布时间:2022-07-01"], "x"),
            Some(2022)
        );
        assert_eq!(document_year(&[], &[], &[], "report_2021.txt"), Some(2021));
        assert_eq!(
            document_year(&["园区工作汇报"], &["园区完成产值5亿元"], &[], "x.txt"),
            None
        );
    }
}
