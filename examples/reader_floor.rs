//! What reading workbooks costs before parkstat does anything with them: the
//! floors under the ingest stage, on the same files and threads.
//!
//!     cargo run --release --example reader_floor -- DIR [THREADS] [ROUNDS]
//!
//! For every `.xlsx` under DIR, in a rayon pool of THREADS (default 2), it times
//! three passes, each over every file, ROUNDS times (default 5), and prints
//! the median of each:
//! - `read`: the file's bytes from disk;
//! - `inflate`: every zip member inflated (what ../shared/bench's floor does);
//! - `calamine`: the workbook opened with calamine and every sheet's cells read
//!   into a range, the least any calamine-based reader does.
//!
//! parkstat's own ingest does the `calamine` pass and then the layout, the
//! dictionaries and the observations; run.json's `ingest` is comparable.

use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::time::Instant;

use calamine::{open_workbook_auto_from_rs, Reader};
use rayon::prelude::*;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    out.sort();
    out
}

/// Bytes inflated from every member of the zip.
fn inflate(bytes: Vec<u8>) -> u64 {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return 0;
    };
    let mut buf = Vec::new();
    let mut total = 0;
    for i in 0..zip.len() {
        if let Ok(mut f) = zip.by_index(i) {
            buf.clear();
            total += f.read_to_end(&mut buf).unwrap_or(0) as u64;
        }
    }
    total
}

/// Non-empty cells of every sheet, as calamine reads them.
fn cells(bytes: Vec<u8>) -> u64 {
    let Ok(mut wb) = open_workbook_auto_from_rs(Cursor::new(bytes)) else {
        return 0;
    };
    let names = wb.sheet_names();
    names
        .iter()
        .filter_map(|n| wb.worksheet_range(n).ok())
        .map(|r| r.used_cells().count() as u64)
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: reader_floor DIR [THREADS] [ROUNDS]"))?,
    );
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let paths = files(&dir);
    anyhow::ensure!(!paths.is_empty(), "no .xlsx under {}", dir.display());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let read = |p: &PathBuf| std::fs::read(p).unwrap_or_default();
    let time = |pass: &(dyn Fn(&PathBuf) -> u64 + Sync)| -> (f64, u64) {
        let t = Instant::now();
        let n = pool.install(|| paths.par_iter().with_max_len(4).map(pass).sum());
        (t.elapsed().as_secs_f64(), n)
    };
    type Pass<'a> = (&'a str, &'a (dyn Fn(&PathBuf) -> u64 + Sync));
    let passes: [Pass; 3] = [
        ("read", &|p| read(p).len() as u64),
        ("inflate", &|p| inflate(read(p))),
        ("calamine", &|p| cells(read(p))),
    ];
    let mut secs = vec![Vec::new(); passes.len()];
    let mut counts = vec![0; passes.len()];
    for _ in 0..rounds {
        for (i, (_, pass)) in passes.iter().enumerate() {
            let (s, n) = time(*pass);
            secs[i].push(s);
            counts[i] = n;
        }
    }
    println!(
        "{} workbooks under {}, {threads} threads, median of {rounds} rounds:",
        paths.len(),
        dir.display()
    );
    let units = ["bytes read", "bytes inflated", "cells"];
    for (i, (name, _)) in passes.iter().enumerate() {
        println!(
            "  {name:>8}: {:.3} s  ({} {})",
            median(secs[i].clone()),
            counts[i],
            units[i]
        );
    }
    Ok(())
}
