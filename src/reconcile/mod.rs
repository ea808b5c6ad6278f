//! Reconcile: observations of the same key → one fact; where a conflict is decided.

pub mod facts;

pub use facts::{reconcile, Conflict, Reconciled};
