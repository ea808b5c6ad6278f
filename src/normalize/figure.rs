//! A figure as a reader found it → an observation in canonical units, or the reason it is rejected.
//!
//! Every reader (CSV, sheet, text) builds a [`Figure`] and calls
//! [`Figure::into_observation`], so unit conversion and unit checks happen
//! in one place.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::indicator::IndicatorDef;
use super::number::Decimal;
use super::period::Period;
use super::unit::UnitTable;
use crate::config::pipeline::{hex, EntityDef};
use crate::model::{Observation, Reject, Scope, SourceKind};

/// Which input a row comes from.
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub kind: SourceKind,
    /// Relative to the pipeline root.
    pub path: Arc<str>,
    pub sha256: Arc<str>,
    /// The hasher state after `sha256`, for the ids of this input's observations.
    pub id_prefix: Option<(String, Sha256)>,
}

impl SourceRef {
    pub fn new(kind: SourceKind, path: String, sha256: String) -> SourceRef {
        let prefix = Sha256::new().chain_update(sha256.as_bytes());
        SourceRef {
            kind,
            path: path.into(),
            id_prefix: Some((sha256.clone(), prefix)),
            sha256: sha256.into(),
        }
    }

    /// A reject row for this input.
    pub fn reject(
        &self,
        locator: impl Into<String>,
        raw: impl Into<String>,
        reason: impl Into<String>,
    ) -> Reject {
        Reject {
            source_path: self.path.to_string(),
            locator: locator.into(),
            raw: raw.into(),
            reason: reason.into(),
            source_kind: self.kind,
            source_sha256: self.sha256.to_string(),
            value: None,
            unit: None,
        }
    }
}

/// A statement found in an input, before unit conversion.
#[derive(Debug, Clone)]
pub struct Figure<'a> {
    pub entity: &'a EntityDef,
    pub scope: Scope,
    pub indicator: &'a IndicatorDef,
    pub indicator_raw: String,
    pub year: i32,
    pub period: Period,
    pub value: Option<Decimal>,
    pub value_raw: String,
    pub unit_raw: String,
    pub approx: bool,
    pub yoy_pct: Option<f64>,
    pub yoy_pp: Option<f64>,
    pub share_pct: Option<f64>,
    pub share_of: Option<String>,
    /// The class a count or value is of (`年产值超亿元`), part of the fact's key.
    pub qualifier: Option<String>,
    /// A multiple of a comparator (`为全省平均水平的1.6倍`): kept in 倍 whatever the indicator's unit.
    pub relative: bool,
    pub locator: String,
    pub excerpt: Arc<str>,
}

impl<'a> Figure<'a> {
    /// A figure of a table cell: no qualifier, no growth in points, no share; the
    /// caller sets value, unit and growth with struct update syntax.
    pub fn of_table(
        entity: &'a EntityDef,
        indicator: &'a IndicatorDef,
        indicator_raw: String,
        year: i32,
        period: Period,
        locator: String,
        excerpt: Arc<str>,
    ) -> Figure<'a> {
        Figure {
            entity,
            scope: entity.scope,
            indicator,
            indicator_raw,
            year,
            period,
            value: None,
            value_raw: String::new(),
            unit_raw: String::new(),
            approx: false,
            yoy_pct: None,
            yoy_pp: None,
            share_pct: None,
            share_of: None,
            qualifier: None,
            relative: false,
            locator,
            excerpt,
        }
    }
}

/// Stable id of an observation: hash of its input, place and indicator.
pub fn obs_id(source_sha256: &str, locator: &str, indicator: &str) -> String {
    obs_id_from(
        Sha256::new().chain_update(source_sha256.as_bytes()),
        locator,
        indicator,
    )
}

/// `obs_id` from a hasher that has already absorbed the input's sha256: those 64 hex
/// digits are one whole SHA-256 block, hashed once per file instead of once per row.
fn obs_id_from(mut h: Sha256, locator: &str, indicator: &str) -> String {
    h.update([0]);
    h.update(locator.as_bytes());
    h.update([0]);
    h.update(indicator.as_bytes());
    hex(&h.finalize()[..10])
}

#[allow(clippy::result_large_err)]
impl Figure<'_> {
    /// Converts to the canonical unit, checking the unit fits the indicator.
    pub fn into_observation(
        self,
        src: &SourceRef,
        units: &UnitTable,
    ) -> Result<Observation, Reject> {
        if let Some(g) = self.yoy_pct.filter(|g| *g < -100.0) {
            return Err(src.reject(
                self.locator,
                format!("{g}%"),
                format!(
                    "growth of {g}% for {}: nothing falls by more than 100%; check the sign or the figure",
                    self.indicator.name
                ),
            ));
        }
        let mut value = None;
        let mut tolerance = 0.0;
        let mut unit = if self.value.is_none() && self.share_pct.is_some() {
            "%".to_string()
        } else {
            self.indicator.unit.clone()
        };
        if let Some(d) = self.value {
            let conv = match units.resolve(&self.unit_raw) {
                Some(c) => c,
                None => {
                    let reason = if self.unit_raw.trim().is_empty() {
                        format!(
                            "missing unit for {} (expected a unit such as {})",
                            self.indicator.name, self.indicator.unit
                        )
                    } else {
                        format!(
                            "unknown unit `{}`: add it to pipelines/units.toml",
                            self.unit_raw
                        )
                    };
                    let mut r = src.reject(
                        self.locator,
                        format!("{}{}", self.value_raw, self.unit_raw),
                        reason,
                    );
                    r.value = Some(d.to_f64());
                    return Err(r);
                }
            };
            if !self.relative && !self.indicator.accepts_unit(&conv.canonical) {
                let mut r = src.reject(
                    self.locator,
                    format!("{}{}", self.value_raw, self.unit_raw),
                    format!(
                        "unit `{}` ({}) does not fit indicator {} ({}): fix the unit, or add `{}` to its alt_units in indicators.toml",
                        self.unit_raw, conv.canonical, self.indicator.name, self.indicator.unit, conv.canonical
                    ),
                );
                r.value = Some(d.to_f64());
                r.unit = Some(conv.canonical.to_string());
                return Err(r);
            }
            if conv.count && d.to_f64() < 0.0 {
                let mut r = src.reject(
                    self.locator,
                    format!("{}{}", self.value_raw, self.unit_raw),
                    format!(
                        "a negative count ({}{}) for {}: counted things cannot be fewer than none",
                        self.value_raw, self.unit_raw, self.indicator.name
                    ),
                );
                r.value = Some(d.to_f64());
                r.unit = Some(conv.canonical.to_string());
                return Err(r);
            }
            let (v, tol) = conv.factor.apply(d);
            value = Some(v);
            tolerance = tol;
            unit = conv.canonical.to_string();
        }
        Ok(Observation {
            obs_id: match &src.id_prefix {
                Some(h) if *h.0 == *src.sha256 => {
                    obs_id_from(h.1.clone(), &self.locator, &self.indicator.code)
                }
                _ => obs_id(&src.sha256, &self.locator, &self.indicator.code),
            },
            entity_id: self.entity.id.clone(),
            entity_name: self.entity.name.clone(),
            scope: self.scope,
            indicator: self.indicator.code.clone(),
            indicator_name: self.indicator.name.clone(),
            indicator_raw: self.indicator_raw,
            year: self.year,
            period_kind: self.period.kind,
            month_from: self.period.month_from,
            month_to: self.period.month_to,
            value,
            unit,
            value_raw: self.value_raw,
            unit_raw: self.unit_raw,
            approx: self.approx,
            yoy_pct: self.yoy_pct,
            yoy_pp: self.yoy_pp,
            share_pct: self.share_pct,
            share_of: self.share_of,
            source_kind: src.kind,
            source_path: src.path.clone(),
            source_sha256: src.sha256.clone(),
            locator: self.locator,
            excerpt: self.excerpt,
            qualifier: self.qualifier,
            tolerance,
            source_mtime: 0,
        })
    }
}
