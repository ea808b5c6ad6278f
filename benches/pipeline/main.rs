//! The full-pipeline benchmark: `cargo bench --bench pipeline -- [small|medium|large] [--jobs N] [--runs K] [--rerun]`.
//!
//! Generates its corpus itself (corpus.rs, deterministic, cached under
//! `target/bench-corpus/<scale>` until the generator changes), runs `parkstat run
//! --full` over it K times, and prints for each run the wall time, files/s, MB/s,
//! rows/s, peak RSS and the per-stage timings of run.json, then the medians.
//! `--rerun` then times, K times each, a full run (`--full`) against a rerun after
//! one workbook was resent with a changed figure (the nightly case).

mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SEED: u64 = 20240901;

struct Args {
    scale: String,
    jobs: Option<usize>,
    runs: usize,
    rerun: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        scale: "medium".into(),
        jobs: None,
        runs: 3,
        rerun: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            // cargo bench passes this to every harness=false target.
            "--bench" => {}
            "--jobs" => a.jobs = Some(number(it.next(), "--jobs")?),
            "--runs" => a.runs = number(it.next(), "--runs")?.max(1),
            "--rerun" => a.rerun = true,
            s if corpus::parks_of(s).is_some() => a.scale = s.to_string(),
            s => {
                return Err(format!(
                    "unknown argument `{s}`: expected small|medium|large, --jobs N, --runs K"
                ))
            }
        }
    }
    Ok(a)
}

fn number(v: Option<String>, flag: &str) -> Result<usize, String> {
    v.and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{flag} needs a whole number"))
}

/// The corpus of `scale`, generated unless an up-to-date one is already there.
fn corpus_dir(scale: &str) -> Result<(PathBuf, corpus::Manifest), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-corpus")
        .join(scale);
    let stamp = root.join("manifest.json");
    if let Ok(text) = std::fs::read_to_string(&stamp) {
        if let Ok(m) = serde_json::from_str::<corpus::Manifest>(&text) {
            if m.generator == corpus::GENERATOR_VERSION && m.seed == SEED {
                return Ok((root, m));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    let parks = corpus::parks_of(scale).ok_or("unknown scale")?;
    let t = Instant::now();
    let m = corpus::generate(&root, parks, SEED)?;
    std::fs::write(
        &stamp,
        serde_json::to_vec_pretty(&m).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", stamp.display()))?;
    eprintln!(
        "generated {scale}: {} workbooks, {:.1} MB in {:.1} s",
        m.files,
        m.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    Ok((root, m))
}

struct Run {
    wall: f64,
    rss_mb: f64,
    rows: u64,
    /// Observations carrying a growth rate.
    with_growth: usize,
    /// Inputs parsed rather than taken from the cache.
    parsed: usize,
    stages: Vec<(String, u64)>,
}

/// Observations with a growth rate, over every partition of the published table.
fn with_growth(run_dir: &Path, v: &serde_json::Value) -> Result<usize, String> {
    use polars::prelude::{ParquetReader, SerReader};
    let mut n = 0;
    for part in v["outputs"]["observations"]["partitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let path = run_dir.join(part["path"].as_str().unwrap_or_default());
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let col = df.column("yoy_pct").map_err(|e| e.to_string())?;
        n += col.len() - col.null_count();
    }
    Ok(n)
}

fn run_once(dir: &Path, pipeline: &Path, jobs: Option<usize>, full: bool) -> Result<Run, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parkstat"));
    cmd.arg("run").arg("-q");
    if full {
        cmd.arg("--full");
    }
    if let Some(j) = jobs {
        cmd.arg("--jobs").arg(j.to_string());
    }
    cmd.arg(pipeline);
    let t = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("starting parkstat: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    // 3 = published with failed inputs or error checks: still a whole run.
    if !matches!(status.code(), Some(0 | 3)) {
        return Err(format!("parkstat run failed: {status}"));
    }
    let run_dir = dir.join("out/bench/current");
    let json = run_dir.join("run.json");
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let rows = v["outputs"]["observations"]["rows"].as_u64().unwrap_or(0);
    let rss_mb = v["peak_rss_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0;
    let stages = v["timings_ms"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, x)| (k.clone(), x.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Run {
        wall,
        rss_mb,
        rows,
        with_growth: with_growth(&run_dir, &v)?,
        parsed: v["inputs"]
            .as_array()
            .map_or(0, |i| i.iter().filter(|x| x["cached"] == false).count()),
        stages,
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    if let Err(e) = bench() {
        eprintln!("bench: {e}");
        std::process::exit(2);
    }
}

fn bench() -> Result<(), String> {
    let a = args()?;
    let (dir, m) = corpus_dir(&a.scale)?;
    let pipeline = corpus::write_pipeline(&dir, Some(2))?;
    println!(
        "corpus {}: {} workbooks, {:.1} MB, {} value cells (+{} growth cells); jobs {}",
        a.scale,
        m.files,
        m.bytes as f64 / 1e6,
        m.value_cells,
        m.growth_cells,
        a.jobs.map_or("all cores".to_string(), |j| j.to_string())
    );
    let mut runs = Vec::new();
    for i in 0..a.runs {
        let r = run_once(&dir, &pipeline, a.jobs, true)?;
        let stages: Vec<String> = r.stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "run {}: wall {:.3} s | {:.0} files/s | {:.2} MB/s | {:.0} rows/s | peak RSS {:.0} MB | rows {} | stages ms: {}",
            i + 1,
            r.wall,
            m.files as f64 / r.wall,
            m.bytes as f64 / 1e6 / r.wall,
            r.rows as f64 / r.wall,
            r.rss_mb,
            r.rows,
            stages.join(", ")
        );
        runs.push(r);
    }
    let wall = median(runs.iter().map(|r| r.wall).collect());
    let rss = median(runs.iter().map(|r| r.rss_mb).collect());
    let rows = runs.last().map_or(0, |r| r.rows);
    let growth = runs.last().map_or(0, |r| r.with_growth);
    println!(
        "median of {}: wall {:.3} s | {:.0} files/s | {:.2} MB/s | {:.0} rows/s | peak RSS {:.0} MB",
        runs.len(),
        wall,
        m.files as f64 / wall,
        m.bytes as f64 / 1e6 / wall,
        rows as f64 / wall,
        rss
    );
    // The corpus's own answer: every value cell an observation, every growth cell on one.
    println!(
        "read back: {rows} observations for {} value cells, {growth} with growth for {} growth cells{}",
        m.value_cells,
        m.growth_cells,
        if rows == m.value_cells as u64 && growth == m.growth_cells { " (all)" } else { " (MISMATCH)" }
    );
    if a.rerun {
        rerun(&dir, &pipeline, &a)?;
    }
    Ok(())
}

/// A full parse against a rerun after one resent workbook, alternately, K times each.
fn rerun(dir: &Path, pipeline: &Path, a: &Args) -> Result<(), String> {
    let (mut full, mut again) = (Vec::new(), Vec::new());
    for i in 0..a.runs {
        corpus::resend(dir, SEED, 0)?;
        run_once(dir, pipeline, a.jobs, false)?; // the cache now holds every workbook
        full.push(run_once(dir, pipeline, a.jobs, true)?.wall);
        let changed = corpus::resend(dir, SEED, 1 + i as u64)?;
        let r = run_once(dir, pipeline, a.jobs, false)?;
        let stages: Vec<String> = r.stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "rerun {}: {} resent; inputs parsed {}; wall {:.3} s against a full run's {:.3} s ({:.0}%) | stages ms: {}",
            i + 1,
            changed.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            r.parsed,
            r.wall,
            full[i],
            100.0 * r.wall / full[i],
            stages.join(", ")
        );
        again.push(r.wall);
    }
    corpus::resend(dir, SEED, 0)?;
    let (f, r) = (median(full), median(again));
    println!(
        "rerun after one resent workbook: median {r:.3} s against a full run's {f:.3} s: {:.0}% of a full run",
        100.0 * r / f
    );
    Ok(())
}
