//! Where a Chinese numeral is parsed: 三十五, 一百二十, 两千, 廿, 贰拾伍, 二〇二四.

use super::number::Decimal;

fn digit(c: char) -> Option<i128> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn small_unit(c: char) -> Option<i128> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// Whether `c` can appear in a Chinese numeral.
pub fn is_cn_numeral_char(c: char) -> bool {
    digit(c).is_some() || small_unit(c).is_some() || matches!(c, '万' | '亿' | '廿')
}

/// Parses a Chinese numeral. Two bare digits in a row (`两三`, `二三十`) are an
/// approximate pair, not a number, and give `None`; all-digit strings with
/// 〇 or 零 (`二〇二四`) are read digit by digit.
pub fn parse_cn(s: &str) -> Option<Decimal> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    if chars.len() > 1 && chars.iter().all(|c| digit(*c).is_some()) {
        if !chars.iter().any(|c| matches!(c, '〇' | '零')) {
            return None;
        }
        let mut v: i128 = 0;
        for c in &chars {
            v = v.checked_mul(10)?.checked_add(digit(*c)?)?;
        }
        return Some(Decimal::from_int(v));
    }
    // Checked arithmetic throughout: `亿亿亿亿亿…` must be no number, not a wrapped one.
    let mut total: i128 = 0; // completed 亿 and 万 groups
    let mut section: i128 = 0; // below 万
    let mut number: Option<i128> = None; // pending digit
    let mut prev_digit = false;
    for &c in &chars {
        if let Some(d) = digit(c) {
            if prev_digit && d != 0 && number != Some(0) {
                return None; // 两三, 二三十: an approximate pair
            }
            number = Some(d);
            prev_digit = true;
            continue;
        }
        prev_digit = false;
        if c == '廿' {
            section = section.checked_add(20)?;
            number = None;
        } else if let Some(u) = small_unit(c) {
            section = section.checked_add(number.unwrap_or(1).checked_mul(u)?)?;
            number = None;
        } else if c == '万' {
            section = section.checked_add(number.take().unwrap_or(0))?;
            if section == 0 && total == 0 {
                section = 1;
            }
            total = total.checked_add(section.checked_mul(10_000)?)?;
            section = 0;
        } else if c == '亿' {
            section = section.checked_add(number.take().unwrap_or(0))?;
            total = total
                .checked_add(section)?
                .max(1)
                .checked_mul(100_000_000)?;
            section = 0;
        } else {
            return None;
        }
    }
    // Beyond 10^30 no statistic is meant: a run of scale words, not a number.
    let v = total
        .checked_add(section)?
        .checked_add(number.unwrap_or(0))?;
    (v < 10i128.pow(30)).then(|| Decimal::from_int(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<f64> {
        parse_cn(s).map(|d| d.to_f64())
    }

    #[test]
    fn numerals() {
        assert_eq!(v("三十五"), Some(35.0));
        assert_eq!(v("一百二十"), Some(120.0));
        assert_eq!(v("两千"), Some(2000.0));
        assert_eq!(v("十二"), Some(12.0));
        assert_eq!(v("十"), Some(10.0));
        assert_eq!(v("廿"), Some(20.0));
        assert_eq!(v("贰拾伍"), Some(25.0));
        assert_eq!(v("一百零五"), Some(105.0));
        assert_eq!(v("三万五千"), Some(35000.0));
        assert_eq!(v("二〇二四"), Some(2024.0));
        assert_eq!(v("五"), Some(5.0));
        assert_eq!(v("三亿"), Some(3e8));
    }

    /// Found by the `numbers` fuzz target: an overflow, which a release build would wrap.
    #[test]
    fn runs_of_scale_words_are_no_number() {
        assert_eq!(v("亿亿亿亿亿"), None);
        assert_eq!(v(&"亿".repeat(40)), None);
        assert_eq!(v("亿亿"), Some(1e16));
    }

    #[test]
    fn pairs_are_not_numbers() {
        assert_eq!(v("两三"), None);
        assert_eq!(v("二三十"), None);
        assert_eq!(v("十几"), None);
        assert_eq!(v(""), None);
    }
}
