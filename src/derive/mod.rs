//! Derive: tables computed from facts — monthly, quarterly and annual values of flows,
//! shares of the area, rankings among parks.

pub mod compare;
pub mod monthly;
pub mod periods;

use crate::config::pipeline::Pipeline;
use crate::model::{Annual, Fact, Monthly, Quarterly, Ranking, Share};

/// Every derived table.
#[derive(Debug, Default)]
pub struct Derived {
    pub monthly: Vec<Monthly>,
    pub quarterly: Vec<Quarterly>,
    pub annual: Vec<Annual>,
    pub shares: Vec<Share>,
    pub rankings: Vec<Ranking>,
}

pub fn derive(p: &Pipeline, facts: &[Fact]) -> Derived {
    let monthly = monthly::monthly(p, facts);
    Derived {
        quarterly: periods::quarterly(&monthly, facts),
        annual: periods::annual(&monthly),
        shares: compare::shares(p, facts),
        rankings: compare::rankings(facts),
        monthly,
    }
}
