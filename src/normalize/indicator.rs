//! Where a label becomes an indicator: names and synonyms from `pipelines/indicators.toml`.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;

use super::label::{clean_label, fold};

/// How a series behaves over time, which decides what may be summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorKind {
    /// Cumulative from January, additive across months.
    Flow,
    /// A level at a point in time; never summed.
    Stock,
    /// A rate, share or density; never summed.
    Ratio,
}

/// `indicators.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsFile {
    #[serde(default)]
    pub indicator: Vec<IndicatorDef>,
}

/// One canonical indicator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub unit: String,
    #[serde(default)]
    pub alt_units: Vec<String>,
    pub kind: IndicatorKind,
    /// A class of units (企业, 项目) counted only under a qualifier such as
    /// `年产值超亿元的`: in text it is taken only where a threshold names the class.
    #[serde(default)]
    pub requires_qualifier: bool,
    /// A flow whose year-to-date may fall (profit after a loss-making month):
    /// `cumulative_decreasing` does not apply.
    #[serde(default)]
    pub may_decrease: bool,
    /// The values that are possible at all (`[0, 100]` for a completion rate);
    /// anything outside is a `rate_out_of_range` error.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
}

impl IndicatorDef {
    /// Whether `canonical_unit` is one this series may be stated in.
    pub fn accepts_unit(&self, canonical_unit: &str) -> bool {
        self.unit == canonical_unit || self.alt_units.iter().any(|u| u == canonical_unit)
    }
}

/// Lookup from any folded name or synonym to its indicator.
#[derive(Debug, Default)]
pub struct IndicatorTable {
    defs: Vec<IndicatorDef>,
    by_label: HashMap<String, usize>,
    by_code: HashMap<String, usize>,
    /// Every folded label, for finding indicators inside running text.
    matcher: Option<AhoCorasick>,
    pattern_def: Vec<usize>,
}

/// An indicator label found in running text (byte offsets into the searched text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelMatch {
    pub start: usize,
    pub end: usize,
    pub def: usize,
}

impl IndicatorTable {
    /// Builds the table; a label claimed by two indicators is an error naming both.
    pub fn from_file(f: &IndicatorsFile) -> Result<IndicatorTable, String> {
        let mut t = IndicatorTable::default();
        for (i, d) in f.indicator.iter().enumerate() {
            if t.by_code.insert(d.code.clone(), i).is_some() {
                return Err(format!("indicator code `{}` is defined twice", d.code));
            }
            for label in std::iter::once(&d.name).chain(&d.synonyms) {
                let key = fold(label);
                if let Some(&j) = t.by_label.get(&key) {
                    if j != i {
                        return Err(format!(
                            "label `{label}` belongs to both `{}` and `{}`",
                            f.indicator[j].code, d.code
                        ));
                    }
                }
                t.by_label.insert(key, i);
            }
        }
        t.defs = f.indicator.clone();
        let mut labels: Vec<(&String, usize)> = t.by_label.iter().map(|(k, v)| (k, *v)).collect();
        labels.sort();
        t.pattern_def = labels.iter().map(|(_, i)| *i).collect();
        t.matcher = Some(
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(labels.iter().map(|(k, _)| k.as_str()))
                .map_err(|e| format!("cannot build the indicator matcher: {e}"))?,
        );
        Ok(t)
    }

    /// Every indicator label in `folded` text (leftmost-longest, not overlapping).
    pub fn find_in(&self, folded: &str) -> Vec<LabelMatch> {
        let Some(m) = &self.matcher else {
            return Vec::new();
        };
        m.find_iter(folded)
            .map(|x| LabelMatch {
                start: x.start(),
                end: x.end(),
                def: self.pattern_def[x.pattern().as_usize()],
            })
            .collect()
    }

    /// The indicator at an index returned by [`IndicatorTable::find_in`].
    pub fn def(&self, i: usize) -> &IndicatorDef {
        &self.defs[i]
    }

    /// The index of the indicator a whole folded label names exactly.
    pub fn index_of_label(&self, folded: &str) -> Option<usize> {
        self.by_label.get(folded).copied()
    }

    /// The indicator a row or column label names, with any unit written in the label.
    pub fn lookup_label(&self, raw: &str) -> (Option<&IndicatorDef>, Option<String>) {
        let (label, unit) = clean_label(raw);
        if let Some(&i) = self.by_label.get(&label) {
            return (Some(&self.defs[i]), unit);
        }
        // The whole label, parentheses included, may itself be a synonym; a
        // machine-written file (a corrections CSV) may use the code.
        let def = self
            .by_label
            .get(&fold(raw))
            .map(|&i| &self.defs[i])
            .or_else(|| self.by_code(raw.trim()));
        (def, unit)
    }

    pub fn by_code(&self, code: &str) -> Option<&IndicatorDef> {
        self.by_code.get(code).map(|&i| &self.defs[i])
    }

    pub fn all(&self) -> &[IndicatorDef] {
        &self.defs
    }
}
