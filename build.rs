//! Fingerprints the code that turns an input into observations, so a cached parse
//! made by another build of the parsers is never reused (ingest/cache.rs).

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let mut all = Vec::new();
    for d in ["src/ingest", "src/normalize", "src/config"] {
        files(Path::new(d), &mut all);
        println!("cargo:rerun-if-changed={d}");
    }
    all.push(PathBuf::from("src/model.rs"));
    println!("cargo:rerun-if-changed=src/model.rs");
    all.sort();
    // FNV-1a: stable, and enough to tell two builds apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in &all {
        for b in p
            .to_string_lossy()
            .bytes()
            .chain(std::fs::read(p).unwrap_or_default())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=PARKSTAT_PARSER_HASH={h:016x}");
}
