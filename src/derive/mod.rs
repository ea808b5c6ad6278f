//! Derive: tables computed from facts — monthly, quarterly and annual values of flows,
//! shares of the area, rankings among parks.

pub mod compare;
pub mod monthly;
pub mod periods;

use crate::config::pipeline::Pipeline;
use crate::model::{Annual, FactRef, Monthly, Quarterly, Ranking, Share};

/// Every derived table.
#[derive(Debug, Default)]
pub struct Derived {
    pub monthly: Vec<Monthly>,
    pub quarterly: Vec<Quarterly>,
    pub annual: Vec<Annual>,
    pub shares: Vec<Share>,
    pub rankings: Vec<Ranking>,
}

/// Shares and rankings read only facts, so they are computed beside the monthly chain.
pub fn derive(p: &Pipeline, facts: &[FactRef]) -> Derived {
    let ((monthly, quarterly, annual), (shares, rankings)) = rayon::join(
        || {
            let monthly = monthly::monthly(p, facts);
            let quarterly = periods::quarterly(&monthly, facts);
            let annual = periods::annual(&monthly);
            (monthly, quarterly, annual)
        },
        || rayon::join(|| compare::shares(p, facts), || compare::rankings(facts)),
    );
    Derived {
        monthly,
        quarterly,
        annual,
        shares,
        rankings,
    }
}
