//! parkstat: batch ETL for the monthly statistics of industrial parks.
//!
//! The modules follow the data flow:
//! [`ingest`] (files → observations and rejects, in parallel) →
//! [`normalize`] (numbers, units, periods, indicators) →
//! [`reconcile`] (one fact per key) → [`derive`] (monthly and other tables) →
//! [`check`] (rules) → [`publish`] (Parquet, `run.json`, atomic swap).
//! [`run`] drives the stages; [`cli`] holds one file per command.
//!
//! After ingest the tables are polars frames: a file's parsed rows become columns
//! once (a cached file's rows are a slice of the cache's frame), normalize sorts that
//! frame, reconcile gathers the facts frame from it (or shares its columns, when each
//! key has one observation), derive gathers each derived table from the facts, and
//! publish writes the frames as they are. A stage that reads rows reads them in place
//! ([`model::FactRef`]: strings borrowed from the frame, never copied).

pub mod allocator;
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
pub mod side;
