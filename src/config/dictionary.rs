//! The domain dictionaries: indicators, units, table layout words.
//!
//! Built into the binary (so `parkstat extract FILE` works from any
//! directory) and overridden by a pipeline's own files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::text_rules::{TextRules, TextRulesFile};
use super::toml_file;
use crate::error::ConfigError;
use crate::normalize::indicator::{IndicatorTable, IndicatorsFile};
use crate::normalize::label::fold;
use crate::normalize::unit::{UnitTable, UnitsFile};

const BUILTIN_INDICATORS: &str = include_str!("../../pipelines/indicators.toml");
const BUILTIN_UNITS: &str = include_str!("../../pipelines/units.toml");
const BUILTIN_LAYOUT: &str = include_str!("../../pipelines/layout.toml");
const BUILTIN_TEXT: &str = include_str!("../../pipelines/text.toml");

/// `layout.toml`: column-role words and placeholders.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutFile {
    #[serde(default)]
    pub placeholders: Vec<String>,
    pub columns: ColumnWords,
}

/// Header words for each column role of a table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnWords {
    #[serde(default)]
    pub entity: Vec<String>,
    #[serde(default)]
    pub indicator: Vec<String>,
    #[serde(default)]
    pub unit: Vec<String>,
    #[serde(default)]
    pub year: Vec<String>,
    #[serde(default)]
    pub period: Vec<String>,
    #[serde(default)]
    pub month: Vec<String>,
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub month_value: Vec<String>,
    #[serde(default)]
    pub ytd_value: Vec<String>,
    #[serde(default)]
    pub prior_ytd: Vec<String>,
    #[serde(default)]
    pub yoy: Vec<String>,
    /// Why a correction was made (corrections files only).
    #[serde(default)]
    pub reason: Vec<String>,
    /// Who made a correction (corrections files only).
    #[serde(default)]
    pub author: Vec<String>,
}

/// Role of a column in a tidy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Entity,
    Indicator,
    Unit,
    Year,
    Period,
    Month,
    Value,
    MonthValue,
    YtdValue,
    PriorYtd,
    Yoy,
    Reason,
    Author,
}

/// The layout words, folded for matching.
#[derive(Debug)]
pub struct Layout {
    placeholders: Vec<String>,
    roles: Vec<(String, ColumnRole)>,
}

impl Layout {
    fn from_file(f: &LayoutFile) -> Layout {
        let c = &f.columns;
        let mut roles = Vec::new();
        for (words, role) in [
            (&c.entity, ColumnRole::Entity),
            (&c.indicator, ColumnRole::Indicator),
            (&c.unit, ColumnRole::Unit),
            (&c.year, ColumnRole::Year),
            (&c.period, ColumnRole::Period),
            (&c.month, ColumnRole::Month),
            (&c.value, ColumnRole::Value),
            (&c.month_value, ColumnRole::MonthValue),
            (&c.ytd_value, ColumnRole::YtdValue),
            (&c.prior_ytd, ColumnRole::PriorYtd),
            (&c.yoy, ColumnRole::Yoy),
            (&c.reason, ColumnRole::Reason),
            (&c.author, ColumnRole::Author),
        ] {
            roles.extend(words.iter().map(|w| (fold(w), role)));
        }
        Layout {
            placeholders: f.placeholders.iter().map(|p| fold(p)).collect(),
            roles,
        }
    }

    /// Whether a cell means "no value" (`—`, `/`, `#DIV/0!`, empty …).
    pub fn is_placeholder(&self, cell: &str) -> bool {
        let f = fold(cell);
        f.is_empty() || self.placeholders.contains(&f)
    }

    /// The role a header names, if any.
    pub fn role_of(&self, header: &str) -> Option<ColumnRole> {
        let h = fold(header);
        self.roles.iter().find(|(w, _)| *w == h).map(|(_, r)| *r)
    }
}

/// Every dictionary a stage needs, shared read-only across threads.
#[derive(Debug)]
pub struct Dictionaries {
    pub indicators: IndicatorTable,
    pub units: UnitTable,
    pub layout: Layout,
    pub text: TextRules,
    /// Text of each file as read, for the config hash.
    pub sources_text: String,
}

/// Where each dictionary comes from; `None` means the built-in one.
#[derive(Debug, Default, Clone)]
pub struct DictionaryPaths {
    pub indicators: Option<PathBuf>,
    pub units: Option<PathBuf>,
    pub layout: Option<PathBuf>,
    pub text: Option<PathBuf>,
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot read dictionary: {e}"),
        hint: "check the path in the pipeline's [dictionaries] section".into(),
    })
}

impl Dictionaries {
    /// The dictionaries compiled into the binary.
    pub fn builtin() -> Result<Arc<Dictionaries>, ConfigError> {
        Dictionaries::load(&DictionaryPaths::default())
    }

    /// Loads each dictionary from its path, or the built-in one.
    pub fn load(paths: &DictionaryPaths) -> Result<Arc<Dictionaries>, ConfigError> {
        let (ind_path, ind_text) = match &paths.indicators {
            Some(p) => (p.clone(), read(p)?),
            None => (
                PathBuf::from("<built-in>/indicators.toml"),
                BUILTIN_INDICATORS.to_string(),
            ),
        };
        let (unit_path, unit_text) = match &paths.units {
            Some(p) => (p.clone(), read(p)?),
            None => (
                PathBuf::from("<built-in>/units.toml"),
                BUILTIN_UNITS.to_string(),
            ),
        };
        let (layout_path, layout_text) = match &paths.layout {
            Some(p) => (p.clone(), read(p)?),
            None => (
                PathBuf::from("<built-in>/layout.toml"),
                BUILTIN_LAYOUT.to_string(),
            ),
        };
        let (text_path, text_text) = match &paths.text {
            Some(p) => (p.clone(), read(p)?),
            None => (
                PathBuf::from("<built-in>/text.toml"),
                BUILTIN_TEXT.to_string(),
            ),
        };
        let text_file: TextRulesFile = toml_file::parse(
            &text_path,
            &text_text,
            "see the header of pipelines/text.toml",
        )?;
        let text = TextRules::compile(&text_file).map_err(|message| ConfigError {
            file: text_path.clone(),
            line: message
                .split('`')
                .nth(1)
                .and_then(|p| toml_file::line_of(&text_text, p)),
            key: None,
            message,
            hint: "fix the regular expression (Rust regex syntax)".into(),
        })?;
        let ind: IndicatorsFile = toml_file::parse(
            &ind_path,
            &ind_text,
            "see the header of pipelines/indicators.toml for the keys of an [[indicator]]",
        )?;
        let units: UnitsFile = toml_file::parse(
            &unit_path,
            &unit_text,
            "see the header of pipelines/units.toml for [scales] and [[base]]",
        )?;
        let layout: LayoutFile = toml_file::parse(
            &layout_path,
            &layout_text,
            "see pipelines/layout.toml for `placeholders` and [columns]",
        )?;
        let indicators = IndicatorTable::from_file(&ind).map_err(|message| {
            let needle = message.split('`').nth(1).unwrap_or("").to_string();
            ConfigError {
                line: toml_file::line_of(&ind_text, &format!("\"{needle}\"")),
                file: ind_path.clone(),
                key: None,
                message,
                hint: "give each label to one indicator only".into(),
            }
        })?;
        for d in indicators.all() {
            let unit_ok = |u: &str| units.base.iter().any(|b| b.canonical == u);
            for u in std::iter::once(&d.unit).chain(&d.alt_units) {
                if !unit_ok(u) {
                    return Err(ConfigError {
                        file: ind_path.clone(),
                        line: toml_file::line_of(&ind_text, &format!("code = \"{}\"", d.code)),
                        key: Some("unit".into()),
                        message: format!("indicator `{}` has unit `{u}`, which is no canonical unit of units.toml", d.code),
                        hint: "use a `canonical` unit of units.toml, or add a [[base]] for it".into(),
                    });
                }
            }
        }
        Ok(Arc::new(Dictionaries {
            indicators,
            units: UnitTable::from_file(&units),
            layout: Layout::from_file(&layout),
            text,
            sources_text: format!("{ind_text}\u{0}{unit_text}\u{0}{layout_text}\u{0}{text_text}"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_dictionaries_load() {
        let d = Dictionaries::builtin().unwrap();
        assert!(d.indicators.all().len() >= 30);
        let (ind, unit) = d
            .indicators
            .lookup_label("其中：规模以上工业总产值（亿元）");
        assert_eq!(ind.unwrap().code, "industrial_output");
        assert_eq!(unit.as_deref(), Some("亿元"));
        assert!(d.layout.is_placeholder("—"));
        assert!(d.layout.is_placeholder("#DIV/0!"));
        assert!(!d.layout.is_placeholder("0"));
        assert_eq!(d.layout.role_of("同比增长（%）"), Some(ColumnRole::Yoy));
    }
}
