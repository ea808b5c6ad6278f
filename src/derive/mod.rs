//! Derive: tables computed from facts (monthly now; quarterly, annual, shares and rankings build on it).

pub mod monthly;

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
    Derived {
        monthly: monthly::monthly(p, facts),
        ..Derived::default()
    }
}
