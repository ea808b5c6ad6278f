//! Where a unit is converted: a unit as written (`亿千瓦时`) → canonical unit and factor.
//!
//! The table is data (`pipelines/units.toml`): scale words and base units.
//! A written unit is the whole string as a base, else the longest base
//! suffix with a scale word before it.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use serde::Deserialize;

use super::label::fold;
use super::number::{pow10_exponent, Decimal};

/// A factor to the canonical unit; powers of ten are kept as exponents so scaling stays exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Factor {
    Pow10(i32),
    Other(f64),
}

impl Factor {
    fn from_f64(f: f64) -> Factor {
        match pow10_exponent(f) {
            Some(k) => Factor::Pow10(k),
            None => Factor::Other(f),
        }
    }

    fn times(self, other: Factor) -> Factor {
        match (self, other) {
            (Factor::Pow10(a), Factor::Pow10(b)) => Factor::Pow10(a + b),
            (a, b) => Factor::Other(a.as_f64() * b.as_f64()),
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Factor::Pow10(k) => super::number::pow10(k),
            Factor::Other(f) => f,
        }
    }

    /// Converts a written number; returns the value and half a unit of its last digit, both canonical.
    pub fn apply(self, d: Decimal) -> (f64, f64) {
        match self {
            Factor::Pow10(k) => {
                let s = d.shift(k);
                (s.to_f64(), s.half_ulp())
            }
            Factor::Other(f) => (d.to_f64() * f, d.half_ulp() * f),
        }
    }
}

/// A resolved unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitConv {
    /// Shared: resolved for every figure, so a clone must not allocate.
    pub canonical: std::sync::Arc<str>,
    pub factor: Factor,
    /// A unit of counted things (家, 个, 人): a negative value is impossible.
    pub count: bool,
}

/// `units.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsFile {
    #[serde(default)]
    pub scales: HashMap<String, f64>,
    #[serde(default)]
    pub base: Vec<BaseUnitDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseUnitDef {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub canonical: String,
    #[serde(default = "one")]
    pub factor: f64,
    /// Counted things (家, 个, 人): never negative.
    #[serde(default)]
    pub count: bool,
}

fn one() -> f64 {
    1.0
}

/// The lookup built from `units.toml`, shared read-only across threads.
#[derive(Debug, Default)]
pub struct UnitTable {
    scales: HashMap<String, Factor>,
    bases: HashMap<String, UnitConv>,
    /// Longest base name in chars, to bound suffix search.
    max_base_chars: usize,
    /// Every base and scale × base, for reading a unit right after a number in text.
    after_number: Option<AhoCorasick>,
    after_number_units: Vec<String>,
}

impl UnitTable {
    pub fn from_file(f: &UnitsFile) -> UnitTable {
        let mut t = UnitTable::default();
        for (k, v) in &f.scales {
            t.scales.insert(fold(k), Factor::from_f64(*v));
        }
        for b in &f.base {
            let conv = UnitConv {
                canonical: b.canonical.as_str().into(),
                factor: Factor::from_f64(b.factor),
                count: b.count,
            };
            for name in std::iter::once(&b.name).chain(&b.aliases) {
                let key = fold(name);
                t.max_base_chars = t.max_base_chars.max(key.chars().count());
                t.bases.insert(key, conv.clone());
            }
        }
        let mut all: Vec<String> = t.bases.keys().cloned().collect();
        for sc in t.scales.keys() {
            for b in t.bases.keys() {
                // `%` and counted ranks are never scaled.
                if !matches!(
                    b.as_str(),
                    "%" | "个百分点" | "百分点" | "倍" | "位" | "名次"
                ) {
                    all.push(format!("{sc}{b}"));
                }
            }
        }
        all.sort();
        all.dedup();
        t.after_number = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(&all)
            .ok();
        t.after_number_units = all;
        t
    }

    /// The longest unit (with its scale word) that starts exactly at `pos` of folded text.
    pub fn unit_at<'a>(&self, text: &'a str, pos: usize) -> Option<&'a str> {
        let m = self.after_number.as_ref()?;
        let input = Input::new(text).range(pos..).anchored(Anchored::Yes);
        m.find(input).map(|x| &text[x.start()..x.end()])
    }

    /// Resolves a written unit (`亿千瓦时`, `万元`, `台（套）`); `None` when unknown.
    pub fn resolve(&self, raw: &str) -> Option<UnitConv> {
        // Text readers pass units already folded: skip folding when it would change nothing.
        let key: std::borrow::Cow<str> = if raw.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_ascii_uppercase()
                && (c.is_ascii()
                    || ('\u{4e00}'..='\u{9fff}').contains(&c)
                    || matches!(c, '/' | '%'))
        }) {
            std::borrow::Cow::Borrowed(raw)
        } else {
            std::borrow::Cow::Owned(fold(raw))
        };
        let key = key.as_ref();
        if key.is_empty() {
            return None;
        }
        if let Some(c) = self.bases.get(key) {
            return Some(c.clone());
        }
        // Longest base suffix whose prefix is a scale word.
        for (i, _) in key.char_indices().skip(1) {
            let (prefix, suffix) = key.split_at(i);
            if suffix.chars().count() > self.max_base_chars {
                continue;
            }
            if let (Some(scale), Some(base)) = (self.scales.get(prefix), self.bases.get(suffix)) {
                return Some(UnitConv {
                    canonical: base.canonical.clone(),
                    factor: scale.times(base.factor),
                    count: base.count,
                });
            }
        }
        None
    }

    /// The factor of a bare scale word (`亿` → 10^8), for numbers like `1.5万` with the unit after.
    pub fn scale(&self, word: &str) -> Option<Factor> {
        self.scales.get(word).copied()
    }

    /// Every scale word, for building matchers.
    pub fn scale_words(&self) -> impl Iterator<Item = &str> {
        self.scales.keys().map(|s| s.as_str())
    }

    /// Every base unit name and alias, for building matchers.
    pub fn base_names(&self) -> impl Iterator<Item = &str> {
        self.bases.keys().map(|s| s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::dictionary::Dictionaries;

    fn table() -> std::sync::Arc<Dictionaries> {
        Dictionaries::builtin().expect("built-in dictionaries parse")
    }

    #[test]
    fn scale_times_base() {
        let d = table();
        let u = d.units.resolve("亿千瓦时").unwrap();
        assert_eq!(&*u.canonical, "千瓦时");
        assert_eq!(u.factor, Factor::Pow10(8));
        let (v, tol) = u.factor.apply(Decimal::parse("7").unwrap());
        assert_eq!(v, 700_000_000.0);
        assert_eq!(tol, 50_000_000.0);
        assert_eq!(d.units.resolve("千瓦时").unwrap().factor, Factor::Pow10(0));
        assert_eq!(d.units.resolve("万元").unwrap().factor, Factor::Pow10(4));
        assert_eq!(d.units.resolve("万亿元").unwrap().factor, Factor::Pow10(12));
        assert_eq!(&*d.units.resolve("亿度").unwrap().canonical, "千瓦时");
        assert_eq!(&*d.units.resolve("万美元").unwrap().canonical, "美元");
        assert_eq!(
            d.units.resolve("万立方米").unwrap().factor,
            Factor::Pow10(4)
        );
    }

    #[test]
    fn aliases_and_widths() {
        let d = table();
        assert_eq!(&*d.units.resolve("台（套）").unwrap().canonical, "台");
        assert_eq!(&*d.units.resolve("台(套)").unwrap().canonical, "台");
        assert_eq!(&*d.units.resolve("％").unwrap().canonical, "%");
        assert_eq!(d.units.resolve("公顷").unwrap().factor, Factor::Other(15.0));
        assert_eq!(&*d.units.resolve("万人").unwrap().canonical, "人");
        assert_eq!(&*d.units.resolve("台/万人").unwrap().canonical, "台/万人");
        assert!(d.units.resolve("亿千").is_none());
        assert!(d.units.resolve("").is_none());
        assert!(d.units.resolve("斤").is_none());
    }
}
