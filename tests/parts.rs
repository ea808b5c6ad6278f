//! Large tables as part files: a rerun after one resent workbook links the parts whose
//! rows did not change from the previous run, writes the others, and publishes exactly
//! the bytes of a full run; a previous part whose file no longer matches its recorded
//! sha256 is written again, never linked.

mod common;

#[path = "../benches/pipeline/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::*;
use parkstat::model::TABLE_NAMES;

const PARTITIONED: [&str; 2] = ["observations", "monthly"];

fn run(pipeline: &Path, full: bool) {
    let mut c = parkstat();
    c.arg("run").arg("-q");
    if full {
        c.arg("--full");
    }
    let o = c.arg(pipeline).output().expect("run parkstat");
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
}

fn current_run(out: &Path) -> PathBuf {
    let id = std::fs::read_link(out.join("current")).expect("current link");
    out.join(id)
}

fn all_tables(run: &Path) -> Vec<Vec<u8>> {
    TABLE_NAMES.iter().map(|t| table_bytes(run, t)).collect()
}

/// The part files of a run's partitioned tables, by path within the run.
fn part_files(run: &Path) -> Vec<PathBuf> {
    PARTITIONED
        .iter()
        .flat_map(|t| parkstat::publish::read_back::table_files(run, t))
        .map(|f| f.strip_prefix(run).expect("in the run").to_path_buf())
        .collect()
}

/// The parts of `run` that are the very files (same inode) of `before`'s parts.
fn linked(before: &Path, run: &Path) -> Vec<PathBuf> {
    let inodes: Vec<u64> = part_files(before)
        .iter()
        .map(|f| std::fs::metadata(before.join(f)).expect("part").ino())
        .collect();
    part_files(run)
        .into_iter()
        .filter(|f| inodes.contains(&std::fs::metadata(run.join(f)).expect("part").ino()))
        .collect()
}

#[test]
fn a_rerun_links_unchanged_parts_and_publishes_what_a_full_run_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    corpus::generate(dir.path(), 96, 11).expect("generate");
    let pipeline = corpus::write_pipeline(dir.path(), None).expect("write pipeline");
    let out = dir.path().join("out/bench");

    run(&pipeline, false);
    let first = current_run(&out);
    let parts = part_files(&first);
    assert!(
        parts.len() >= 4,
        "96 parks give several parts a year: {parts:?}"
    );
    for f in &parts {
        assert!(f.to_string_lossy().contains("/part-"), "{f:?}");
    }

    // One park's workbook resent with other figures.
    corpus::resend(dir.path(), 11, 1).expect("resend");
    run(&pipeline, false);
    let second = current_run(&out);
    let reused = linked(&first, &second);
    let all = part_files(&second);
    assert!(!reused.is_empty(), "unchanged parts are linked");
    assert!(
        reused.len() < all.len(),
        "the resent park's parts are written anew: {reused:?} of {all:?}"
    );
    let rerun = all_tables(&second);
    assert!(rerun != all_tables(&first), "the new figures are published");

    run(&pipeline, true);
    let full = current_run(&out);
    assert!(
        linked(&second, &full).is_empty(),
        "--full writes every part"
    );
    assert!(rerun == all_tables(&full), "rerun = full, byte for byte");

    // A previous part altered after it was published is not linked again: its
    // bytes no longer have the sha256 its run recorded. (A part the resent park
    // does not touch, so the next rerun would have linked it.)
    let untouched = reused[0].clone();
    let victim = full.join(&untouched);
    let mut bytes = std::fs::read(&victim).expect("part");
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::remove_file(&victim).expect("unlink the part");
    std::fs::write(&victim, &bytes).expect("alter the part");
    corpus::resend(dir.path(), 11, 0).expect("resend the original");
    run(&pipeline, false);
    let third = current_run(&out);
    let reused = linked(&full, &third);
    assert!(!reused.is_empty());
    assert!(
        !reused.contains(&untouched),
        "the altered part is written again"
    );
    let rerun = all_tables(&third);
    run(&pipeline, true);
    assert!(rerun == all_tables(&current_run(&out)), "rerun = full");
}
