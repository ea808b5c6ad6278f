//! `parkstat report [RUN]`: (re)writes report.html for a retained run.

use std::path::Path;

use anyhow::{Context, Result};

use crate::config::pipeline::Pipeline;
use crate::error::exit;
use crate::publish::read_back;

pub fn execute(pipeline: &Path, run: Option<&str>) -> Result<i32> {
    let p = Pipeline::load(pipeline)?;
    let dir = read_back::run_path(&p.out_dir, run.unwrap_or("current"))?;
    let html = crate::report::render_run(&p, &dir)?;
    let path = dir.join("report.html");
    let tmp = dir.join(".report.html.tmp");
    html.write(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(exit::OK)
}
