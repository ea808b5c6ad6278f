//! One file per command, like xsv: each parses nothing itself and returns an exit code.

pub mod diff;
pub mod extract;
pub mod report;
pub mod run;
pub mod validate;

use anyhow::Result;

/// Sets the size of the worker pool used by ingest and publish.
pub fn set_jobs(jobs: Option<usize>) -> Result<()> {
    if let Some(n) = jobs {
        if n == 0 {
            return Err(crate::error::UsageError("--jobs must be at least 1".into()).into());
        }
        // polars keeps its own pool (Parquet reading and writing): it gets the same cap,
        // set before that pool is first used.
        std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    Ok(())
}
