//! What writing a run's tables costs on its own: the floor under the publish stage,
//! beside `reader_floor`'s floor under ingest.
//!
//!     cargo run --release --example writer_floor -- RUN_DIR [THREADS] [ROUNDS]
//!
//! Reads the nine tables of a published run (e.g. `out/<pipeline>/current`) and
//! times writing all of them again, in a rayon pool of THREADS (default 2), with the
//! run's own Parquet settings (zstd, statistics, observations and monthly partitioned
//! by year), ROUNDS times (default 5); prints each table's single-threaded time and
//! the median of writing all nine at once. Whatever a full run does besides, its wall
//! time is at least `reader_floor`'s calamine pass plus this.

use std::path::PathBuf;
use std::time::Instant;

use parkstat::publish::parquet::{write_frame_table, write_partitioned_frame};
use polars::prelude::DataFrame;
use rayon::prelude::*;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PARTITIONED: [&str; 2] = ["observations", "monthly"];

fn write(dir: &std::path::Path, name: &str, df: DataFrame) -> anyhow::Result<()> {
    if PARTITIONED.contains(&name) {
        write_partitioned_frame(dir, name, df, None, None)?;
    } else {
        write_frame_table(dir, name, df)?;
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let run = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: writer_floor RUN_DIR [THREADS] [ROUNDS]"))?,
    );
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let run = std::fs::canonicalize(&run)?;
    let tables: Vec<(&str, DataFrame)> = parkstat::model::TABLE_NAMES
        .iter()
        .map(|&n| Ok((n, parkstat::publish::read_back::frame(&run, n)?)))
        .collect::<anyhow::Result<_>>()?;
    let out = tempfile::tempdir()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    println!("{}, {threads} threads:", run.display());
    for (name, df) in &tables {
        let mut secs = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            pool.install(|| write(out.path(), name, df.clone()))?;
            secs.push(t.elapsed().as_secs_f64());
        }
        println!(
            "  {name:>12}: {:>7} rows  {:.3} s",
            df.height(),
            median(secs)
        );
    }
    let mut secs = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        pool.install(|| {
            tables
                .par_iter()
                .map(|(name, df)| write(out.path(), name, df.clone()))
                .collect::<anyhow::Result<Vec<()>>>()
        })?;
        secs.push(t.elapsed().as_secs_f64());
    }
    println!(
        "  all nine at once: {:.3} s (median of {rounds})",
        median(secs)
    );
    Ok(())
}
