//! The pipeline file: where inputs are, which entities exist, where output goes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::dictionary::{Dictionaries, DictionaryPaths};
use super::toml_file;
use crate::error::ConfigError;
use crate::model::{Scope, SourceKind};
use crate::normalize::label::fold;

const HINT: &str = "see \"The pipeline file\" in README.md for every key a pipeline may have";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    pipeline: PipelineSection,
    #[serde(default)]
    dictionaries: DictionarySection,
    #[serde(default)]
    entities: Vec<EntityDef>,
    #[serde(default)]
    sources: Vec<SourceDef>,
    #[serde(default)]
    reconcile: ReconcileSection,
    #[serde(default)]
    report: ReportSection,
    #[serde(default)]
    limits: Limits,
}

/// `[limits]`: how much one input may cost. Past a limit the input fails alone with
/// a one-line reason; the defaults keep a 2-core, 4 GB machine safe.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest input file, in MB (10^6 bytes).
    pub max_input_mb: u64,
    /// Largest total a workbook's zip members may inflate to, in MB (zip bombs).
    pub max_inflated_mb: u64,
    /// Largest sheet, in cells of its bounding box (rows × columns).
    pub max_sheet_cells: u64,
    /// Longest line of report text or CSV, in KB (10^3 bytes).
    pub max_line_kb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_mb: 256,
            max_inflated_mb: 1024,
            max_sheet_cells: 5_000_000,
            max_line_kb: 1024,
        }
    }
}

/// `[report]`: what report.html charts for every park.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportSection {
    /// Indicator codes; empty means the four flows with the most months.
    #[serde(default)]
    main_indicators: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineSection {
    name: String,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    keep_runs: Option<usize>,
    #[serde(default)]
    year: Option<i32>,
    /// Accept parks no [[entities]] entry names, each as its own entity (for corpora of many parks).
    #[serde(default)]
    open_entities: bool,
    /// Read inputs that are symlinks to files outside the pipeline root (off by default:
    /// a data directory should not be a door to the rest of the machine).
    #[serde(default)]
    follow_symlinks: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionarySection {
    indicators: Option<String>,
    units: Option<String>,
    layout: Option<String>,
    text: Option<String>,
}

/// A park or an area, as the pipeline names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityDef {
    pub id: String,
    pub name: String,
    #[serde(default = "park_scope")]
    pub scope: Scope,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub parent: Option<String>,
}

fn park_scope() -> Scope {
    Scope::Park
}

/// A set of inputs of one kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    pub kind: SourceKind,
    pub paths: Vec<String>,
    /// Entity id all rows of these inputs belong to, when the files do not say.
    #[serde(default)]
    pub entity: Option<String>,
    /// Statistical year, when the files do not say.
    #[serde(default)]
    pub year: Option<i32>,
    /// Force an encoding (an encoding_rs label such as `gb18030`) instead of detecting it.
    #[serde(default)]
    pub encoding: Option<String>,
    /// For sheets: 1-based row of the (first) header row.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// For sheets: column letter → role (indicator, unit, entity, period, year, value, month, ytd, prior_ytd, yoy).
    #[serde(default)]
    pub columns: std::collections::BTreeMap<String, ColumnOverride>,
    /// For sheets: the unit of every figure without one of its own.
    #[serde(default)]
    pub unit: Option<String>,
    /// For sheets: the report month (1-12) when the title, sheet and file name do not say.
    #[serde(default)]
    pub month: Option<u8>,
}

impl SourceDef {
    /// The layout facts this entry states for sheets.
    pub fn sheet_overrides(&self) -> SheetOverrides {
        SheetOverrides {
            header_row: self.header_row,
            columns: self.columns.clone(),
            unit: self.unit.clone(),
            month: self.month,
        }
    }
}

/// Layout facts a pipeline states for sheets whose layout detection cannot read; each is
/// checked against the sheet it applies to.
#[derive(Debug, Clone, Default)]
pub struct SheetOverrides {
    /// 1-based row of the (first) header row.
    pub header_row: Option<usize>,
    /// Column letter → role.
    pub columns: std::collections::BTreeMap<String, ColumnOverride>,
    /// The unit of every figure without one of its own.
    pub unit: Option<String>,
    /// The report month when the title, sheet and file name do not say.
    pub month: Option<u8>,
}

/// A role a pipeline gives a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnOverride {
    Indicator,
    Unit,
    Entity,
    Period,
    Year,
    Value,
    Month,
    Ytd,
    PriorYtd,
    Yoy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileSection {
    #[serde(default = "default_precedence")]
    precedence: Vec<SourceKind>,
}

impl Default for ReconcileSection {
    fn default() -> Self {
        ReconcileSection {
            precedence: default_precedence(),
        }
    }
}

fn default_precedence() -> Vec<SourceKind> {
    vec![
        SourceKind::Correction,
        SourceKind::Sheet,
        SourceKind::Csv,
        SourceKind::Text,
    ]
}

/// The entities of a pipeline, with lookup by id, name and alias.
#[derive(Debug, Default, Clone)]
pub struct Entities {
    defs: Vec<EntityDef>,
    by_key: HashMap<String, usize>,
    /// Exact ids: `get` runs once per fact in derive and check, so no folding there.
    by_id: HashMap<String, usize>,
    /// Without a pipeline (`extract` on a lone file) any name is taken as written.
    pub open: bool,
}

impl Entities {
    pub fn open() -> Entities {
        Entities {
            open: true,
            ..Entities::default()
        }
    }

    pub fn get(&self, id: &str) -> Option<&EntityDef> {
        self.by_id.get(id).map(|&i| &self.defs[i])
    }

    /// The entity a name, alias or id written in an input refers to.
    pub fn resolve(&self, written: &str) -> Option<EntityDef> {
        if let Some(&i) = self.by_key.get(&fold(written)) {
            return Some(self.defs[i].clone());
        }
        self.open.then(|| {
            let name = written.trim().to_string();
            EntityDef {
                id: name.clone(),
                name,
                scope: Scope::Park,
                aliases: vec![],
                parent: None,
            }
        })
    }

    pub fn all(&self) -> &[EntityDef] {
        &self.defs
    }

    /// The entity a title or file name names: the longest name or alias found in it
    /// (江州高新区 names the park, not the city whose alias 江州 it contains).
    pub fn named_in(&self, text: &str) -> Option<&EntityDef> {
        let t = fold(text);
        self.defs
            .iter()
            .filter_map(|e| {
                std::iter::once(&e.name)
                    .chain(&e.aliases)
                    .map(|n| fold(n))
                    .filter(|n| !n.is_empty() && t.contains(n.as_str()))
                    .map(|n| n.chars().count())
                    .max()
                    .map(|len| (len, e))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, e)| e)
    }
}

/// A loaded, validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline file as given on the command line.
    pub file: PathBuf,
    pub name: String,
    /// Inputs' globs and every `source_path` are relative to this directory.
    pub root: PathBuf,
    /// `<output>/<name>`: holds `runs/`, `current` and the lock.
    pub out_dir: PathBuf,
    pub keep_runs: usize,
    pub year: Option<i32>,
    pub entities: Entities,
    pub sources: Vec<SourceDef>,
    pub precedence: Vec<SourceKind>,
    pub dictionaries: Arc<Dictionaries>,
    /// sha256 of the pipeline and dictionary texts: what a run was configured with.
    pub config_hash: String,
    /// Indicators report.html charts for every park (`[report] main_indicators`).
    pub main_indicators: Vec<String>,
    /// `[pipeline] follow_symlinks`.
    pub follow_symlinks: bool,
    pub limits: Limits,
}

impl Pipeline {
    /// Reads and validates a pipeline file.
    pub fn load(file: &Path) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_path_buf(),
            line: None,
            key: None,
            message: format!("cannot read the pipeline file: {e}"),
            hint: "give the path of a pipeline .toml file (the default is pipelines/default.toml, run from the project directory)".into(),
        })?;
        let pf: PipelineFile = toml_file::parse(file, &text, HINT)?;
        let err = |needle: &str, key: &str, message: String, hint: &str| ConfigError {
            file: file.to_path_buf(),
            line: toml_file::line_of(&text, needle),
            key: Some(key.to_string()),
            message,
            hint: hint.to_string(),
        };
        let name = pf.pipeline.name.clone();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(err(
                "name",
                "pipeline.name",
                format!("pipeline name `{name}` may only hold letters, digits, `_` and `-`"),
                "the name becomes a directory under the output directory; pick a plain one",
            ));
        }
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let root_given = pf.pipeline.root.as_deref().unwrap_or(".");
        let root = dir.join(root_given).canonicalize().map_err(|e| {
            err(
                "root",
                "pipeline.root",
                format!(
                    "root directory `{root_given}` (relative to {}) cannot be used: {e}",
                    dir.display()
                ),
                "set `root` to a directory that exists, relative to the pipeline file",
            )
        })?;
        let out_dir = root
            .join(pf.pipeline.output.as_deref().unwrap_or("out"))
            .join(&name);

        let mut entities = Entities::default();
        for (i, e) in pf.entities.iter().enumerate() {
            if e.id.is_empty() || e.name.is_empty() {
                return Err(err(
                    "[[entities]]",
                    "entities.id",
                    "an entity needs a non-empty `id` and `name`".into(),
                    "give every [[entities]] an id and a name",
                ));
            }
            for key in std::iter::once(&e.id)
                .chain(std::iter::once(&e.name))
                .chain(&e.aliases)
            {
                let k = fold(key);
                if let Some(&j) = entities.by_key.get(&k) {
                    if j != i {
                        return Err(err(
                            &format!("\"{key}\""),
                            "entities",
                            format!(
                                "`{key}` names both entity `{}` and entity `{}`",
                                pf.entities[j].id, e.id
                            ),
                            "make every id, name and alias unique",
                        ));
                    }
                }
                entities.by_key.insert(k, i);
            }
        }
        entities.defs = pf.entities.clone();
        entities.by_id = (entities.defs.iter().enumerate())
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        entities.open = pf.pipeline.open_entities;
        for e in &pf.entities {
            if let Some(p) = &e.parent {
                if entities.get(p).is_none() {
                    return Err(err(
                        &format!("parent = \"{p}\""),
                        "entities.parent",
                        format!("entity `{}` has parent `{p}`, which is no entity id", e.id),
                        "use the id of another [[entities]] entry",
                    ));
                }
            }
        }
        for s in &pf.sources {
            if s.paths.is_empty() {
                return Err(err(
                    "paths",
                    "sources.paths",
                    "a source has no paths".into(),
                    "list at least one glob, e.g. paths = [\"data/csv/*.csv\"]",
                ));
            }
            if let Some(id) = &s.entity {
                if entities.get(id).is_none() {
                    return Err(err(
                        &format!("entity = \"{id}\""),
                        "sources.entity",
                        format!("source entity `{id}` is no entity id"),
                        "use the id of an [[entities]] entry",
                    ));
                }
            }
            if let Some(enc) = &s.encoding {
                if encoding_rs::Encoding::for_label(enc.as_bytes()).is_none() {
                    return Err(err(
                        "encoding",
                        "sources.encoding",
                        format!("unknown encoding `{enc}`"),
                        "use utf-8, gb18030, gbk or utf-16le",
                    ));
                }
            }
        }
        let mut prec = pf.reconcile.precedence.clone();
        prec.sort();
        prec.dedup();
        if prec.len() != pf.reconcile.precedence.len() {
            return Err(err(
                "precedence",
                "reconcile.precedence",
                "a source kind is listed twice".into(),
                "list each of correction, sheet, csv, text at most once",
            ));
        }
        let mut precedence = pf.reconcile.precedence.clone();
        for k in default_precedence() {
            if !precedence.contains(&k) {
                precedence.push(k);
            }
        }

        let pick = |given: &Option<String>, sibling: &str| -> Option<PathBuf> {
            match given {
                Some(p) => Some(dir.join(p)),
                None => Some(dir.join(sibling)).filter(|p| p.is_file()),
            }
        };
        let dict_paths = DictionaryPaths {
            indicators: pick(&pf.dictionaries.indicators, "indicators.toml"),
            units: pick(&pf.dictionaries.units, "units.toml"),
            layout: pick(&pf.dictionaries.layout, "layout.toml"),
            text: pick(&pf.dictionaries.text, "text.toml"),
        };
        let dictionaries = Dictionaries::load(&dict_paths)?;
        for code in &pf.report.main_indicators {
            if dictionaries.indicators.by_code(code).is_none() {
                return Err(err(
                    &format!("\"{code}\""),
                    "report.main_indicators",
                    format!("`{code}` is not an indicator code"),
                    "use a `code` from indicators.toml (e.g. industrial_output)",
                ));
            }
        }
        let mut h = Sha256::new();
        h.update(text.as_bytes());
        h.update([0]);
        h.update(dictionaries.sources_text.as_bytes());
        let config_hash = hex(&h.finalize());

        Ok(Pipeline {
            file: file.to_path_buf(),
            name,
            root,
            out_dir,
            keep_runs: pf.pipeline.keep_runs.unwrap_or(5).max(1),
            year: pf.pipeline.year,
            entities,
            sources: pf.sources,
            precedence,
            dictionaries,
            config_hash,
            main_indicators: pf.report.main_indicators,
            follow_symlinks: pf.pipeline.follow_symlinks,
            limits: pf.limits,
        })
    }

    /// A pipeline for one-off `extract` of files: built-in dictionaries, any entity name accepted.
    pub fn ad_hoc() -> Result<Pipeline, ConfigError> {
        let dictionaries = Dictionaries::builtin()?;
        Ok(Pipeline {
            file: PathBuf::from("<none>"),
            name: "extract".into(),
            root: PathBuf::from("."),
            out_dir: PathBuf::from("out/extract"),
            keep_runs: 1,
            year: None,
            entities: Entities::open(),
            sources: vec![],
            precedence: default_precedence(),
            dictionaries,
            config_hash: String::new(),
            main_indicators: vec![],
            follow_symlinks: false,
            limits: Limits::default(),
        })
    }

    /// Rank of a source kind in precedence: lower wins.
    pub fn precedence_rank(&self, k: SourceKind) -> usize {
        self.precedence
            .iter()
            .position(|p| *p == k)
            .unwrap_or(usize::MAX)
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}
