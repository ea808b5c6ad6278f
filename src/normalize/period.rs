//! Where a period is parsed: `1-8月`, `8月`, `上半年`, `前三季度`, `8月末` → kind and months.

use crate::model::PeriodKind;

/// A statistical period within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub month_from: Option<u8>,
    pub month_to: Option<u8>,
}

impl Period {
    pub fn ytd(to: u8) -> Period {
        if to == 12 {
            return Period::year();
        }
        Period {
            kind: PeriodKind::Ytd,
            month_from: Some(1),
            month_to: Some(to),
        }
    }
    pub fn month(m: u8) -> Period {
        Period {
            kind: PeriodKind::Month,
            month_from: Some(m),
            month_to: Some(m),
        }
    }
    pub fn year() -> Period {
        Period {
            kind: PeriodKind::Year,
            month_from: Some(1),
            month_to: Some(12),
        }
    }
    pub fn as_of(m: Option<u8>) -> Period {
        Period {
            kind: PeriodKind::AsOf,
            month_from: None,
            month_to: m,
        }
    }

    /// A span of months `from..=to`, named by what it is.
    pub fn span(from: u8, to: u8) -> Option<Period> {
        if !(1..=12).contains(&from) || !(1..=12).contains(&to) || from > to {
            return None;
        }
        Some(match (from, to) {
            (1, t) => Period::ytd(t),
            (f, t) if f == t => Period::month(f),
            (7, 12) => Period {
                kind: PeriodKind::HalfYear,
                month_from: Some(7),
                month_to: Some(12),
            },
            (f, t) if t == f + 2 && (f - 1) % 3 == 0 => Period {
                kind: PeriodKind::Quarter,
                month_from: Some(f),
                month_to: Some(t),
            },
            _ => return None,
        })
    }
}

/// Value of a Chinese or Arabic month/quarter number (`8`, `八`, `十二`, `12`).
pub fn small_number(s: &str) -> Option<u8> {
    if let Ok(n) = s.parse::<u8>() {
        return Some(n);
    }
    let d = super::cn_number::parse_cn(s)?;
    if d.exp != 0 {
        return None;
    }
    u8::try_from(d.mantissa).ok()
}

/// Parses a period as written in a table cell or header (already folded with NFKC).
/// Returns the year if the text states one (`2024年1-8月`).
pub fn parse_period(raw: &str) -> Option<(Option<i32>, Period)> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let mut s = s.as_str();
    let mut year = None;
    if let Some(i) = s.find('年') {
        let y = &s[..i];
        if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
            year = y.parse().ok();
            s = &s[i + '年'.len_utf8()..];
        }
    }
    let s = s
        .trim_end_matches("累计")
        .trim_end_matches('份')
        .trim_end_matches("份");
    if s.is_empty() {
        return year.map(|y| (Some(y), Period::year()));
    }
    let p = match s {
        "全年" | "年度" | "全年累计" => Period::year(),
        "上半年" => Period::ytd(6),
        "下半年" => Period::span(7, 12)?,
        "前三季度" => Period::ytd(9),
        "年末" | "年底" => Period::as_of(Some(12)),
        _ => return parse_months(s).map(|p| (year, p)),
    };
    Some((year, p))
}

fn parse_months(s: &str) -> Option<Period> {
    // Quarters: 一季度, 第一季度, 1季度, Q1.
    let q = s.trim_start_matches('第');
    if let Some(n) = q.strip_suffix("季度") {
        let n = small_number(n)?;
        if !(1..=4).contains(&n) {
            return None;
        }
        return Period::span(3 * n - 2, 3 * n);
    }
    if let Some(n) = s.strip_prefix('q').or_else(|| s.strip_prefix('Q')) {
        let n: u8 = n.parse().ok()?;
        return if (1..=4).contains(&n) {
            Period::span(3 * n - 2, 3 * n)
        } else {
            None
        };
    }
    // Stocks: 8月末, 8月底.
    for suffix in ["月末", "月底"] {
        if let Some(n) = s.strip_suffix(suffix) {
            let m = small_number(n)?;
            return (1..=12).contains(&m).then(|| Period::as_of(Some(m)));
        }
    }
    // 前8个月
    if let Some(n) = s.strip_prefix('前').and_then(|r| r.strip_suffix("个月")) {
        let m = small_number(n)?;
        return (1..=12).contains(&m).then(|| Period::ytd(m));
    }
    // Ranges: 1-8月, 1—8月, 1至8月, 1~8月, 1月至8月, 一至八月.
    let body = s.strip_suffix("当月").unwrap_or(s);
    let body = body.strip_suffix('月').unwrap_or(body);
    for sep in ["-", "—", "–", "~", "～", "至", "到", "－", "―"] {
        if let Some(i) = body.find(sep) {
            let a = body[..i].trim_end_matches('月');
            let b = &body[i + sep.len()..];
            let (a, b) = (small_number(a)?, small_number(b)?);
            return Period::span(a, b);
        }
    }
    // A single month: 8月, 8月当月, 8.
    let m = small_number(body)?;
    (1..=12).contains(&m).then(|| Period::month(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(PeriodKind, Option<u8>, Option<u8>)> {
        parse_period(s).map(|(_, p)| (p.kind, p.month_from, p.month_to))
    }

    #[test]
    fn cumulative_ranges() {
        for s in [
            "1-8月",
            "1—8月",
            "1至8月",
            "1~8月",
            "1－8月",
            "1月至8月",
            "一至八月",
            "1-8月份",
            "1-8月累计",
            "前8个月",
        ] {
            assert_eq!(p(s), Some((PeriodKind::Ytd, Some(1), Some(8))), "{s}");
        }
        assert_eq!(p("1-2月"), Some((PeriodKind::Ytd, Some(1), Some(2))));
        assert_eq!(p("1-12月"), Some((PeriodKind::Year, Some(1), Some(12))));
    }

    #[test]
    fn months_quarters_halves() {
        assert_eq!(p("8月"), Some((PeriodKind::Month, Some(8), Some(8))));
        assert_eq!(p("8月当月"), Some((PeriodKind::Month, Some(8), Some(8))));
        assert_eq!(p("十二月"), Some((PeriodKind::Month, Some(12), Some(12))));
        assert_eq!(p("三季度"), Some((PeriodKind::Quarter, Some(7), Some(9))));
        assert_eq!(p("第二季度"), Some((PeriodKind::Quarter, Some(4), Some(6))));
        assert_eq!(p("一季度"), Some((PeriodKind::Ytd, Some(1), Some(3))));
        assert_eq!(p("前三季度"), Some((PeriodKind::Ytd, Some(1), Some(9))));
        assert_eq!(p("上半年"), Some((PeriodKind::Ytd, Some(1), Some(6))));
        assert_eq!(p("下半年"), Some((PeriodKind::HalfYear, Some(7), Some(12))));
        assert_eq!(p("全年"), Some((PeriodKind::Year, Some(1), Some(12))));
        assert_eq!(p("8月末"), Some((PeriodKind::AsOf, None, Some(8))));
    }

    #[test]
    fn years_and_nonsense() {
        assert_eq!(
            parse_period("2024年1-8月").map(|(y, _)| y),
            Some(Some(2024))
        );
        assert_eq!(
            parse_period("2023年").map(|(y, p)| (y, p.kind)),
            Some((Some(2023), PeriodKind::Year))
        );
        for s in ["13月", "0月", "8-3月", "3-5月", "abc", "", "五季度"] {
            assert_eq!(p(s), None, "{s}");
        }
    }
}
