//! Where a label becomes an indicator: names and synonyms from `pipelines/indicators.toml`.

use std::collections::HashMap;

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
        Ok(t)
    }

    /// The indicator a row or column label names, with any unit written in the label.
    pub fn lookup_label(&self, raw: &str) -> (Option<&IndicatorDef>, Option<String>) {
        let (label, unit) = clean_label(raw);
        if let Some(&i) = self.by_label.get(&label) {
            return (Some(&self.defs[i]), unit);
        }
        // The whole label, parentheses included, may itself be a synonym.
        (self.by_label.get(&fold(raw)).map(|&i| &self.defs[i]), unit)
    }

    pub fn by_code(&self, code: &str) -> Option<&IndicatorDef> {
        self.by_code.get(code).map(|&i| &self.defs[i])
    }

    pub fn all(&self) -> &[IndicatorDef] {
        &self.defs
    }
}
