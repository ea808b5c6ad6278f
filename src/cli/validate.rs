//! `parkstat validate [PIPELINE]`: the config and every input are read; nothing is written.

use std::path::Path;

use anyhow::Result;

use crate::config::pipeline::Pipeline;
use crate::error::exit;
use crate::run::compute;

pub fn execute(pipeline: &Path) -> Result<i32> {
    let p = Pipeline::load(pipeline)?;
    let c = compute(&p, &crate::progress::Progress::hidden(), None, None)?;
    let failed: Vec<_> = c.inputs.iter().filter(|i| i.status == "failed").collect();
    let rejects = c.tables.rejects.len();
    eprintln!(
        "{}: {} inputs ({} failed), {} observations, {} rejects, {} checks; nothing written",
        pipeline.display(),
        c.inputs.len(),
        failed.len(),
        c.tables.observations.height(),
        rejects,
        c.tables.checks.len()
    );
    for i in &failed {
        eprintln!("  failed: {}: {}", i.path, i.error.as_deref().unwrap_or(""));
    }
    for w in &c.warnings {
        eprintln!("  warning: {w}");
    }
    Ok(if failed.is_empty() {
        exit::OK
    } else {
        exit::PARTIAL
    })
}
