//! parkstat: batch ETL for the monthly statistics of industrial parks.
//!
//! The modules follow the data flow:
//! [`ingest`] (files → observations and rejects, in parallel) →
//! [`normalize`] (numbers, units, periods, indicators) →
//! [`reconcile`] (one fact per key) → [`derive`] (monthly and other tables) →
//! [`check`] (rules) → [`publish`] (Parquet, `run.json`, atomic swap).
//! [`run`] drives the stages; [`cli`] holds one file per command.

pub mod check;
pub mod cli;
pub mod config;
pub mod derive;
pub mod diff;
pub mod error;
pub mod ingest;
pub mod model;
pub mod normalize;
pub mod progress;
pub mod publish;
pub mod reconcile;
pub mod report;
pub mod run;
