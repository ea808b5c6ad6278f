//! Hostile and broken inputs: path safety, a catalogue of bad files each with its
//! asserted error or reject, and a count that no figure goes missing.

mod common;

use std::path::Path;

use common::*;

fn pipeline(dir: &Path, extra_pipeline: &str, sources: &str) -> std::path::PathBuf {
    let file = dir.join("pipelines/p.toml");
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    std::fs::write(
        &file,
        format!(
            "[pipeline]\nname = \"p\"\nroot = \"..\"\nyear = 2024\nopen_entities = true\n{extra_pipeline}\n{sources}"
        ),
    )
    .unwrap();
    file
}

fn run(file: &Path) -> std::process::Output {
    parkstat().arg("run").arg(file).output().unwrap()
}

const CSV: &str = "园区,指标,年份,期间,数值,单位\n示范园区,营业收入,2024,1-8月,100,万元\n";

#[test]
fn symlinks_out_of_the_root_are_not_followed_unless_allowed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.csv"), CSV).unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    std::fs::write(d.path().join("data/own.csv"), CSV.replace("示范园区", "本园区")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), d.path().join("data/link.csv"))
        .unwrap();
    // A symlink that stays inside the root is read.
    std::os::unix::fs::symlink(d.path().join("data/own.csv"), d.path().join("data/inner.csv"))
        .unwrap();
    let sources = "[[sources]]\nkind = \"csv\"\npaths = [\"data/*.csv\"]\n";
    let file = pipeline(d.path(), "", sources);
    let out = run(&file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.path().join("out/p/current/run.json")).unwrap(),
    )
    .unwrap();
    let paths: Vec<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["data/inner.csv", "data/own.csv"]);
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("data/link.csv") && warnings.contains("outside the pipeline root"), "{warnings}");

    let file = pipeline(d.path(), "follow_symlinks = true", sources);
    assert_eq!(run(&file).status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.path().join("out/p/current/run.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["inputs"].as_array().unwrap().len(), 3);
}

#[test]
fn globs_that_climb_out_and_outputs_over_inputs_are_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    std::fs::write(d.path().join("data/a.csv"), CSV).unwrap();
    let climb = pipeline(d.path(), "", "[[sources]]\nkind = \"csv\"\npaths = [\"../../etc/*.csv\"]\n");
    let out = run(&climb);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("leads out of the pipeline root"), "{}", stderr(&out));

    let over = pipeline(
        d.path(),
        "output = \"data/out\"",
        "[[sources]]\nkind = \"csv\"\npaths = [\"data/**/*.csv\"]\n",
    );
    let out = run(&over);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("overlaps the inputs"), "{}", stderr(&out));
    assert!(!d.path().join("data/out").exists(), "nothing written");

    // An absolute glob reads where it says, on purpose.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("b.csv"), CSV).unwrap();
    let abs = pipeline(
        d.path(),
        "",
        &format!("[[sources]]\nkind = \"csv\"\npaths = [\"{}/*.csv\"]\n", elsewhere.path().display()),
    );
    assert_eq!(run(&abs).status.code(), Some(0));
}

#[test]
fn pipeline_names_that_would_escape_the_output_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for name in ["../x", "a/b", "..", ""] {
        let file = d.path().join("p.toml");
        std::fs::write(&file, format!("[pipeline]\nname = \"{name}\"\n")).unwrap();
        let out = run(&file);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("name"), "{name}: {}", stderr(&out));
    }
}
