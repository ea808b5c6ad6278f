//! Derive: tables computed from facts — monthly, quarterly and annual values of flows,
//! shares of the area, rankings among parks. Each table is a frame: the ids and names
//! of its rows are gathered from the facts (or months) they come from, the figures are
//! computed beside them.

pub mod compare;
pub mod monthly;
pub mod periods;

use polars::prelude::{DataFrame, PolarsResult};

use crate::config::pipeline::Pipeline;

/// Every derived table, each in its published column order.
#[derive(Debug, Default)]
pub struct Derived {
    pub monthly: DataFrame,
    pub quarterly: DataFrame,
    pub annual: DataFrame,
    pub shares: DataFrame,
    pub rankings: DataFrame,
}

/// Shares and rankings read only facts, so they are computed beside the monthly chain.
pub fn derive(p: &Pipeline, frame: &DataFrame) -> PolarsResult<Derived> {
    let (months, (shares, rankings)) = rayon::join(
        || -> PolarsResult<_> {
            let monthly = monthly::monthly(p, frame)?;
            let quarterly = periods::quarterly(&monthly, frame)?;
            let annual = periods::annual(&monthly)?;
            Ok((monthly, quarterly, annual))
        },
        || rayon::join(|| compare::shares(p, frame), || compare::rankings(frame)),
    );
    let (monthly, quarterly, annual) = months?;
    Ok(Derived {
        monthly,
        quarterly,
        annual,
        shares: shares?,
        rankings: rankings?,
    })
}
