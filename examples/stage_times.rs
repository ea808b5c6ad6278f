//! What each stage after ingest costs on its own, on one thread: reconcile, the
//! derived tables one by one, and check, over a pipeline's inputs.
//!
//!     cargo run --release --example stage_times -- PIPELINE [ROUNDS]
//!
//! Runs ingest and normalize once (nothing is written), then times each later stage
//! ROUNDS times (default 7) in a pool of one thread and prints the fastest round, so a
//! change to one stage can be measured without the noise of the others beside it.

use std::time::Instant;

use parkstat::config::pipeline::Pipeline;
use parkstat::derive::{compare, monthly, periods};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fastest<T>(rounds: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let out = f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        last = Some(out);
    }
    Ok((best, last.expect("at least one round")))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let pipeline = args
        .next()
        .unwrap_or_else(|| "pipelines/default.toml".into());
    let rounds: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(7)
        .max(1);
    let p = Pipeline::load(std::path::Path::new(&pipeline))?;
    let c = parkstat::run::compute(&p, &parkstat::progress::Progress::hidden(), None, None)?;
    let obs = &c.tables.observations;
    let facts = &c.tables.facts;
    println!(
        "{} observations, {} facts; fastest of {rounds} rounds, one thread:",
        obs.height(),
        facts.height()
    );
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    pool.install(|| -> anyhow::Result<()> {
        let show = |name: &str, ms: f64| println!("  {name:<10} {ms:8.1} ms");
        let (ms, rec) = fastest(rounds, || Ok(parkstat::reconcile::reconcile(&p, obs)?))?;
        show("reconcile", ms);
        let (ms, m) = fastest(rounds, || Ok(monthly::monthly(&p, facts)?))?;
        show("monthly", ms);
        let (ms, _) = fastest(rounds, || Ok(periods::quarterly(&m, facts)?))?;
        show("quarterly", ms);
        let (ms, _) = fastest(rounds, || Ok(periods::annual(&m)?))?;
        show("annual", ms);
        let (ms, shares) = fastest(rounds, || Ok(compare::shares(&p, facts)?))?;
        show("shares", ms);
        let (ms, _) = fastest(rounds, || Ok(compare::rankings(facts)?))?;
        show("rankings", ms);
        let (ms, _) = fastest(rounds, || {
            Ok(parkstat::check::check(
                &p.dictionaries.indicators,
                facts,
                &rec.conflicts,
                &m,
                &shares,
            )?)
        })?;
        show("check", ms);
        Ok(())
    })
}
