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

/// A generated corpus of 96 parks (seed 11), its pipeline and its output directory.
fn ninety_six_parks() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    corpus::generate(dir.path(), 96, 11).expect("generate");
    let pipeline = corpus::write_pipeline(dir.path(), None).expect("write pipeline");
    let out = dir.path().join("out/bench");
    (dir, pipeline, out)
}

#[test]
fn a_rerun_links_unchanged_parts_and_publishes_what_a_full_run_does() {
    let (dir, pipeline, out) = ninety_six_parks();

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

    // Every observations part records its provenance; a pipeline edited (here a
    // comment) changes every part's, so the parts' digests are taken from their rows
    // again, and the parts are still linked by them.
    let fourth = current_run(&out);
    let before = provenances(&fourth);
    assert!(before.iter().all(|p| !p.is_empty()), "{before:?}");
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    std::fs::write(
        &pipeline,
        format!(
            "{text}
# edited
"
        ),
    )
    .expect("edit the pipeline");
    run(&pipeline, false);
    let fifth = current_run(&out);
    let after = provenances(&fifth);
    assert!(before.iter().all(|p| !after.contains(p)), "a new basis");
    assert!(
        !linked(&fourth, &fifth).is_empty(),
        "parts linked by digest"
    );
    let rerun = all_tables(&fifth);
    run(&pipeline, true);
    assert!(rerun == all_tables(&current_run(&out)), "rerun = full");
}

/// The provenance of each observations part of a run, as its `run.json` records it.
fn provenances(run: &Path) -> Vec<String> {
    let text = std::fs::read(run.join("run.json")).expect("run.json");
    let m: serde_json::Value = serde_json::from_slice(&text).expect("run.json is JSON");
    m["outputs"]["observations"]["partitions"]
        .as_array()
        .expect("observations parts")
        .iter()
        .map(|p| p["provenance"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The row groups of a run's `facts` table, as its `run.json` records them.
fn fact_groups(run: &Path) -> Vec<serde_json::Value> {
    table_groups(run, "facts")
}

/// The row groups of a run's table `name`, as its `run.json` records them.
fn table_groups(run: &Path, name: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read(run.join("run.json")).expect("run.json");
    let m: serde_json::Value = serde_json::from_slice(&text).expect("run.json is JSON");
    m["outputs"][name]["row_groups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The tables besides the facts whose unchanged row groups a rerun copies.
const GROUPED: [&str; 2] = ["rankings", "quarterly"];

fn copied(groups: &[serde_json::Value]) -> usize {
    groups.iter().filter(|g| g["copied"] == true).count()
}

/// `parkstat diff` between the last two retained runs, one JSON line per change.
fn changes(pipeline: &Path) -> Vec<String> {
    let o = parkstat()
        .args(["diff", "--format", "jsonl", "--pipeline"])
        .arg(pipeline)
        .output()
        .expect("run parkstat diff");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The facts table is written in row groups of whole entities, each with a digest: a
/// rerun copies the groups the previous run wrote with the same rows (pages as they
/// are) and compares with it only the groups that differ, finding the very changes a
/// comparison of every fact finds. The rankings and quarterly tables copy their
/// unchanged groups too. A previous file altered since is not copied from.
#[test]
fn a_rerun_copies_unchanged_fact_groups_and_compares_only_the_others() {
    let (dir, pipeline, out) = ninety_six_parks();

    run(&pipeline, false);
    let first = current_run(&out);
    let groups = fact_groups(&first);
    assert!(
        groups.len() >= 2,
        "96 parks give several groups: {groups:?}"
    );
    assert_eq!(copied(&groups), 0, "nothing to copy from in a first run");

    corpus::resend(dir.path(), 11, 1).expect("resend");
    run(&pipeline, false);
    let second = current_run(&out);
    let groups = fact_groups(&second);
    let kept = copied(&groups);
    assert!(
        kept > 0 && kept < groups.len(),
        "the resent park's group is encoded, the others copied: {kept} of {}",
        groups.len()
    );

    for name in GROUPED {
        let g = table_groups(&second, name);
        assert!(g.len() >= 2, "{name}: several groups: {g:?}");
        assert!(
            copied(&g) > 0,
            "{name}: groups of unchanged parks are copied: {g:?}"
        );
    }

    let grouped = changes(&pipeline);
    assert!(!grouped.is_empty(), "the resent figures are changes");
    // Without the first run's digests, every fact of both runs is compared.
    let manifest = first.join("run.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).expect("run.json")).expect("JSON");
    m["outputs"]["facts"]
        .as_object_mut()
        .expect("facts output")
        .remove("row_groups");
    std::fs::write(&manifest, serde_json::to_vec(&m).expect("JSON")).expect("write run.json");
    let same = |all: Vec<String>| {
        assert!(
            all == grouped,
            "{} changes from the groups that differ, {} from every fact; first: {:?}",
            grouped.len(),
            all.len(),
            all.first()
        )
    };
    same(changes(&pipeline));
    // Nor with a manifest that cannot be read: no groups, never "every fact added".
    std::fs::write(&manifest, b"{ not json").expect("garble run.json");
    same(changes(&pipeline));

    run(&pipeline, true);
    let full = current_run(&out);
    for name in std::iter::once("facts").chain(GROUPED) {
        assert_eq!(
            copied(&table_groups(&full, name)),
            0,
            "--full encodes every group"
        );
        assert!(
            table_bytes(&second, name) == table_bytes(&full, name),
            "{name}: copied groups give the bytes of encoded ones"
        );
    }

    // The full run's files altered after publishing: the next rerun copies nothing
    // from them and still publishes what a full run does.
    for name in std::iter::once("facts").chain(GROUPED) {
        let victim = full.join(format!("{name}.parquet"));
        let mut bytes = std::fs::read(&victim).expect("table file");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&victim, &bytes).expect("alter the table");
    }
    corpus::resend(dir.path(), 11, 0).expect("resend the original");
    run(&pipeline, false);
    let third = current_run(&out);
    for name in std::iter::once("facts").chain(GROUPED) {
        assert_eq!(
            copied(&table_groups(&third, name)),
            0,
            "{name}: altered, not copied"
        );
    }
    let rerun = all_tables(&third);
    run(&pipeline, true);
    assert!(rerun == all_tables(&current_run(&out)), "rerun = full");
}
