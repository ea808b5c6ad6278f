//! Report text: the sample reports against their reviewed expected facts, the
//! seed report's score, and a report whose year cannot be told.

mod common;

use common::*;

/// One row of an expected file, or of extract's output in the same shape.
fn rows_of_jsonl(text: &str) -> Vec<Vec<String>> {
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(x) => x.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => format!("{}", n.as_f64().expect("number")),
        other => other.to_string(),
    };
    let mut rows = Vec::new();
    for line in text.lines() {
        let o: serde_json::Value = serde_json::from_str(line).expect("jsonl line");
        if o["table"] == "observations" {
            let raw = format!("{}{}", s(&o["value_raw"]), s(&o["unit_raw"]));
            let mut r: Vec<String> = [
                "scope",
                "indicator",
                "period_kind",
                "year",
                "month_from",
                "month_to",
                "value",
                "unit",
                "yoy_pct",
                "yoy_pp",
                "share_pct",
                "share_of",
                "approx",
                "qualifier",
                "locator",
            ]
            .iter()
            .map(|k| s(&o[*k]))
            .collect();
            r.insert(0, "observations".into());
            r.push(raw);
            rows.push(r);
        } else {
            let reason = s(&o["reason"]).split(':').next().unwrap_or("").to_string();
            let mut r = vec!["rejects".to_string()];
            r.extend(std::iter::repeat_n(String::new(), 14));
            r.push(s(&o["locator"]));
            r.push(reason);
            rows.push(r);
        }
    }
    rows.sort_by(|a, b| (&a[0], &a[15]).cmp(&(&b[0], &b[15])));
    rows
}

fn normalize_number(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) => format!("{x}"),
        Err(_) => v.to_string(),
    }
}

#[test]
fn sample_reports_yield_their_expected_facts() {
    let dir = project().join("tests/fixtures/reports");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".expected.csv") else {
            continue;
        };
        let report = project().join("data/reports").join(format!("{stem}.txt"));
        let out = parkstat()
            .args(["extract", "--format", "jsonl"])
            .arg(&report)
            .output()
            .expect("extract");
        assert!(out.status.success(), "{stem}: {}", stderr(&out));
        let got = rows_of_jsonl(&String::from_utf8_lossy(&out.stdout));
        let mut rdr = csv::Reader::from_path(&path).expect("expected csv");
        let mut want: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.expect("row").iter().map(String::from).collect())
            .collect();
        want.sort_by(|a, b| (&a[0], &a[15]).cmp(&(&b[0], &b[15])));
        let norm = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
            rows.iter()
                .map(|r| r.iter().map(|c| normalize_number(c)).collect())
                .collect()
        };
        let (got, want) = (norm(&got), norm(&want));
        for w in &want {
            assert!(
                got.contains(w),
                "{stem}: expected row not extracted:\n  {w:?}\ngot:\n{got:#?}"
            );
        }
        for g in &got {
            assert!(want.contains(g), "{stem}: unexpected row:\n  {g:?}");
        }
        checked += 1;
    }
    assert!(
        checked >= 6,
        "at least six sample reports have expected facts ({checked})"
    );
}

#[test]
fn sample_reports_cover_the_encodings() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(project().join("data/reports")).expect("reports") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        let d = parkstat::ingest::decode::decode(&bytes, None).expect("decodes");
        seen.insert(d.encoding);
        if d.text.contains("\r\n") {
            seen.insert("CRLF");
        }
        if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            seen.insert("UTF-8 BOM");
        }
    }
    for want in ["UTF-8", "GB18030", "UTF-16LE", "CRLF", "UTF-8 BOM"] {
        assert!(seen.contains(want), "no sample report in {want}: {seen:?}");
    }
}

#[test]
fn a_report_whose_year_cannot_be_told_is_rejected_not_guessed() {
    let out = parkstat()
        .args(["extract", "--format", "jsonl"])
        .arg(project().join("tests/fixtures/reports/no_year.txt"))
        .output()
        .unwrap();
    let rows = rows_of_jsonl(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r[0] == "rejects" && r[16] == "unknown year"),
        "{rows:?}"
    );
}

/// The seed report of ../shared, scored by its own script, when ../shared is present.
#[test]
fn seed_report_scores_at_least_95_percent() {
    let shared = project().join("../shared/seed");
    if !shared.join("score.py").is_file() {
        eprintln!(
            "NOTE: ../shared/seed is not present; the seed score is not measured in this checkout"
        );
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(shared.join("score.py"))
        .args(["--bin", env!("CARGO_BIN_EXE_parkstat")])
        .arg("--gold")
        .arg(shared.join("facts.csv"))
        .arg("--negatives")
        .arg(shared.join("not_facts.csv"))
        .arg("--ambiguous")
        .arg(shared.join("ambiguous.csv"))
        .arg("--docs")
        .arg(&shared)
        .arg("--verbose")
        .output()
        .expect("python3 runs the seed scorer");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "seed score below 95% or a negative hit:\n{text}{}",
        stderr(&out)
    );
}
