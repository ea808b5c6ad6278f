//! The benchmark's generated corpus is also a test input: its own count of value
//! and growth cells is the answer the pipeline must reproduce, and a resent workbook
//! must be the only input a rerun parses. (Keeps benches/pipeline compiling in CI.)

mod common;

#[path = "../benches/pipeline/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use common::*;

#[test]
fn every_generated_value_cell_becomes_an_observation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let m = corpus::generate(dir.path(), 4, 7).expect("generate");
    assert_eq!(m.files, 4 * corpus::MONTHS as usize);
    // The same seed gives the same bytes.
    let again = tempfile::tempdir().expect("temp dir");
    let m2 = corpus::generate(again.path(), 4, 7).expect("generate");
    assert_eq!((m.bytes, m.value_cells), (m2.bytes, m2.value_cells));

    let pipeline = corpus::write_pipeline(dir.path(), None).expect("write pipeline");
    let run = |what: &str| {
        let o = parkstat()
            .arg("run")
            .arg("-q")
            .arg(&pipeline)
            .output()
            .expect("run parkstat");
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "{what}: {}",
            stderr(&o)
        );
    };
    run("first run");
    let current = dir.path().join("out/bench/current");
    let obs = read_parquet(&current.join("observations.parquet"));
    assert_eq!(obs.height(), m.value_cells, "observations for value cells");
    let growth = floats(&obs, "yoy_pct")
        .iter()
        .filter(|v| v.is_some())
        .count();
    assert_eq!(growth, m.growth_cells, "growth rates for growth cells");
    assert_eq!(
        read_parquet(&current.join("rejects.parquet")).height(),
        0,
        "nothing of the corpus is rejected"
    );

    let resent = corpus::resend(dir.path(), 7, 1).expect("resend");
    run("rerun");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(current.join("run.json")).expect("run.json"))
            .expect("json");
    let parsed: Vec<&str> = manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| i["cached"] == false)
        .filter_map(|i| i["path"].as_str())
        .collect();
    let name = resent.file_name().expect("a file").to_string_lossy();
    assert_eq!(parsed.len(), 1, "parsed {parsed:?}");
    assert!(parsed[0].ends_with(name.as_ref()), "parsed {parsed:?}");
    assert!(manifest["peak_rss_kb"].as_u64().is_some_and(|kb| kb > 0));

    // That rerun wrote the cache from the old cache's slices and the one parsed
    // file: a third run takes everything from it and publishes what a full parse does.
    run("third run");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(current.join("run.json")).expect("run.json"))
            .expect("json");
    let inputs = manifest["inputs"].as_array().expect("inputs");
    assert!(inputs.iter().all(|i| i["cached"] == true));
    let cached = table_bytes(&current, "observations");
    let o = parkstat()
        .arg("run")
        .arg("-q")
        .arg("--full")
        .arg(&pipeline)
        .output()
        .expect("run parkstat");
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    assert!(cached == table_bytes(&current, "observations"));
}
