//! `parkstat run [PIPELINE]`: run, publish, print a one-screen summary.

use std::path::Path;

use anyhow::{Context, Result};

use crate::config::pipeline::Pipeline;
use crate::model::TABLE_NAMES;
use crate::progress::Progress;
use crate::run::{run, RunSummary};

/// How the end-of-run summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn execute(
    pipeline: &Path,
    jobs: Option<usize>,
    quiet: bool,
    format: LogFormat,
    full: bool,
) -> Result<i32> {
    super::set_jobs(jobs)?;
    let p = Pipeline::load(pipeline)?;
    let progress = if quiet || format == LogFormat::Json {
        Progress::hidden()
    } else {
        Progress::on_terminal()
    };
    let summary = run(&p, &progress, full);
    progress.finish();
    let summary = summary.with_context(|| format!("pipeline {}", pipeline.display()))?;
    if format == LogFormat::Json {
        let m = &summary.manifest;
        let failed: Vec<_> = m
            .inputs
            .iter()
            .filter(|i| i.status == "failed")
            .map(|i| serde_json::json!({"path": i.path, "error": i.error}))
            .collect();
        let rows: serde_json::Map<String, serde_json::Value> = m
            .outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.rows.into()))
            .collect();
        let line = serde_json::json!({
            "event": "run_finished",
            "pipeline": m.pipeline,
            "run_id": m.run_id,
            "exit_code": summary.exit_code,
            "inputs": m.inputs.len(),
            "failed_inputs": failed,
            "rows": rows,
            "checks": m.checks,
            "output": p.out_dir.join("current"),
            "total_ms": m.timings_ms.get("total"),
        });
        eprintln!("{line}");
    } else if !quiet {
        print_summary(&p, &summary);
    } else {
        for i in summary
            .manifest
            .inputs
            .iter()
            .filter(|i| i.status == "failed")
        {
            eprintln!("failed: {}: {}", i.path, i.error.as_deref().unwrap_or(""));
        }
    }
    Ok(summary.exit_code)
}

fn print_summary(p: &Pipeline, s: &RunSummary) {
    let m = &s.manifest;
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for i in &m.inputs {
        let e = by_kind.entry(i.kind.as_str()).or_default();
        e.0 += 1;
        if i.status == "failed" {
            e.1 += 1;
        }
    }
    eprintln!(
        "parkstat {} — pipeline `{}`, run {}",
        m.version, m.pipeline, m.run_id
    );
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(k, (n, f))| {
            if *f > 0 {
                format!("{n} {k} ({f} failed)")
            } else {
                format!("{n} {k}")
            }
        })
        .collect();
    eprintln!(
        "inputs:  {}",
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        }
    );
    for i in m.inputs.iter().filter(|i| i.status == "failed") {
        eprintln!("  failed: {}: {}", i.path, i.error.as_deref().unwrap_or(""));
    }
    for w in &m.warnings {
        eprintln!("  warning: {w}");
    }
    let rows: Vec<String> = TABLE_NAMES
        .iter()
        .map(|t| format!("{t} {}", m.outputs.get(*t).map(|o| o.rows).unwrap_or(0)))
        .collect();
    eprintln!("rows:    {}", rows.join(", "));
    eprintln!(
        "checks:  {} error, {} warn, {} info",
        m.checks["error"], m.checks["warn"], m.checks["info"]
    );
    if let Some(dir) = &s.run_dir {
        eprintln!(
            "output:  {} (current → runs/{})",
            p.out_dir.join("current").display(),
            dir.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
    }
    eprintln!(
        "time:    {:.2} s",
        m.timings_ms.get("total").copied().unwrap_or(0) as f64 / 1000.0
    );
    eprintln!("exit:    {}", s.exit_code);
}
