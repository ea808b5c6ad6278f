//! Where a number is parsed: decimal text as written → an exact decimal.
//!
//! Values are kept as mantissa × 10^exp until they reach `f64`, so that
//! scaling by 万 or 亿 is exact (`70312.3万` → 703123000, not 703123000.0000001).

/// A decimal number exactly as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub exp: i32,
}

impl Decimal {
    pub fn from_int(v: i128) -> Decimal {
        Decimal {
            mantissa: v,
            exp: 0,
        }
    }

    /// Parses `-1,234.5`, `+12`, `.5`, `1 500` style numbers (ASCII, after NFKC).
    /// Thousands separators are accepted only in groups of three; anything
    /// else (letters, two dots, a lone sign) is `None`.
    pub fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => match s.strip_prefix('\u{2212}') {
                Some(rest) => (true, rest),
                None => (false, s),
            },
        };
        let body = body.trim_start();
        if body.is_empty() {
            return None;
        }
        let (int_part, frac_part) = match body.find('.') {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let mut mantissa: i128 = 0;
        let mut digits = 0usize;
        let push = |m: &mut i128, d: u8| -> Option<()> {
            *m = m.checked_mul(10)?.checked_add((d - b'0') as i128)?;
            Some(())
        };
        // Integer part, with optional grouping by ',' or ' ' (all groups of three).
        let sep = int_part.bytes().find(|b| *b == b',' || *b == b' ');
        if let Some(sep) = sep {
            let mut groups = int_part.split(sep as char);
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            for b in first.bytes() {
                push(&mut mantissa, b)?;
                digits += 1;
            }
            for g in groups {
                if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                for b in g.bytes() {
                    push(&mut mantissa, b)?;
                    digits += 1;
                }
            }
        } else {
            for b in int_part.bytes() {
                if !b.is_ascii_digit() {
                    return None;
                }
                push(&mut mantissa, b)?;
                digits += 1;
            }
        }
        let mut exp = 0i32;
        if let Some(frac) = frac_part {
            if frac.is_empty() && digits == 0 {
                return None;
            }
            for b in frac.bytes() {
                if !b.is_ascii_digit() {
                    return None;
                }
                push(&mut mantissa, b)?;
                digits += 1;
                exp -= 1;
            }
        }
        if digits == 0 || digits > 30 {
            return None;
        }
        Some(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            exp,
        })
    }

    /// Multiplies by 10^k exactly.
    pub fn shift(self, k: i32) -> Decimal {
        Decimal {
            mantissa: self.mantissa,
            exp: self.exp + k,
        }
    }

    /// Half a unit of the last stated digit, the tolerance of this number (`7` → 0.5, `12.5` → 0.05).
    pub fn half_ulp(self) -> f64 {
        0.5 * pow10(self.exp)
    }

    /// The nearest `f64`, correctly rounded.
    pub fn to_f64(self) -> f64 {
        // Fast exact path: both operands exact, one correctly rounded operation.
        if self.mantissa.unsigned_abs() < (1u128 << 53) && (-22..=22).contains(&self.exp) {
            let m = self.mantissa as f64;
            return if self.exp >= 0 {
                m * pow10(self.exp)
            } else {
                m / pow10(-self.exp)
            };
        }
        format!("{}e{}", self.mantissa, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }
}

/// 10^k as f64 (exact for |k| ≤ 22).
pub fn pow10(k: i32) -> f64 {
    10f64.powi(k)
}

/// If `f` is an exact power of ten, its exponent.
pub fn pow10_exponent(f: f64) -> Option<i32> {
    if f <= 0.0 || !f.is_finite() {
        return None;
    }
    let k = f.log10().round() as i32;
    (pow10(k) == f).then_some(k)
}

/// A cell's number: the decimal and whether it was written with `%`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellNumber {
    pub value: Decimal,
    pub percent: bool,
}

/// Parses a table cell already folded with NFKC: `1,234.5`, `12.5%`, `-3.1`.
pub fn parse_cell_number(s: &str) -> Option<CellNumber> {
    let t = s.trim();
    let (t, percent) = match t.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (t, false),
    };
    Decimal::parse(t).map(|value| CellNumber { value, percent })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<f64> {
        Decimal::parse(s).map(|d| d.to_f64())
    }

    #[test]
    fn plain_and_grouped() {
        assert_eq!(d("1234.5"), Some(1234.5));
        assert_eq!(d("1,234.5"), Some(1234.5));
        assert_eq!(d("2,350,000"), Some(2350000.0));
        assert_eq!(d("1 500"), Some(1500.0));
        assert_eq!(d("-3.1"), Some(-3.1));
        assert_eq!(d("+12"), Some(12.0));
        assert_eq!(d(".5"), Some(0.5));
        assert_eq!(d("−4.8"), Some(-4.8));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for s in [
            "", "-", "12,35", "1,2345", "1.2.3", "abc", "12a", "1,,234", ".", "1e5",
        ] {
            assert_eq!(d(s), None, "{s}");
        }
    }

    #[test]
    fn scaling_is_exact() {
        let v = Decimal::parse("70312.3").unwrap().shift(4).to_f64();
        assert_eq!(v, 703123000.0);
        let v = Decimal::parse("1.2").unwrap().shift(12).to_f64();
        assert_eq!(v, 1.2e12);
        assert_eq!(Decimal::parse("7").unwrap().shift(8).half_ulp(), 0.5e8);
        assert_eq!(Decimal::parse("12.5").unwrap().half_ulp(), 0.05);
    }

    #[test]
    fn percent_cells() {
        let c = parse_cell_number("12.5%").unwrap();
        assert!(c.percent);
        assert_eq!(c.value.to_f64(), 12.5);
        assert!(!parse_cell_number("12.5").unwrap().percent);
    }

    #[test]
    fn powers_of_ten() {
        assert_eq!(pow10_exponent(1e8), Some(8));
        assert_eq!(pow10_exponent(1.0), Some(0));
        assert_eq!(pow10_exponent(15.0), None);
    }
}
