//! The foundation end to end: run the default pipeline, read the tables back, and
//! show publish is deterministic, atomic and locked.

mod common;

#[path = "../examples/make_sample_data.rs"]
#[allow(dead_code)]
mod generator;

use common::*;
use parkstat::model::*;
use polars::prelude::*;

fn col_names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn expect_columns<T: Table>(dir: &std::path::Path) -> DataFrame {
    let df = read_parquet(&dir.join(format!("{}.parquet", T::NAME)));
    let want: Vec<String> = T::column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(col_names(&df), want, "columns of {}", T::NAME);
    df
}

fn dtype(df: &DataFrame, col: &str) -> DataType {
    df.column(col)
        .unwrap_or_else(|_| panic!("column {col}"))
        .dtype()
        .clone()
}

/// A value as written in a sample CSV: (entity label, indicator, period) → number in 万元.
fn sample_value(file: &str, indicator: &str, period: &str) -> f64 {
    let text = std::fs::read_to_string(project().join("data/csv").join(file)).expect("sample file");
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() >= 5 && f[1] == indicator && f[3] == period {
            return f[4].parse().expect("number");
        }
    }
    panic!("{indicator} {period} not in {file}");
}

#[test]
fn default_pipeline_end_to_end() {
    let s = Scratch::new();
    let out = s.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for needle in [
        "inputs:",
        "rows:",
        "observations",
        "checks:",
        "output:",
        "time:",
    ] {
        assert!(err.contains(needle), "summary lacks {needle}: {err}");
    }
    let cur = s.current();
    for t in TABLE_NAMES {
        let files = parkstat::publish::read_back::table_files(&cur, t);
        assert!(!files.is_empty(), "{t} missing");
    }
    assert!(cur.join("run.json").is_file());

    // Observations: every DESIGN.md column, with its type.
    let obs = expect_columns::<Observation>(&cur);
    assert!(obs.height() > 200);
    for (c, t) in [
        ("obs_id", DataType::String),
        ("year", DataType::Int32),
        ("month_from", DataType::UInt8),
        ("month_to", DataType::UInt8),
        ("value", DataType::Float64),
        ("approx", DataType::Boolean),
        ("yoy_pct", DataType::Float64),
        ("yoy_pp", DataType::Float64),
        ("share_pct", DataType::Float64),
        ("share_of", DataType::String),
        ("locator", DataType::String),
    ] {
        assert_eq!(dtype(&obs, c), t, "observations.{c}");
    }
    let facts = expect_columns::<Fact>(&cur);
    assert_eq!(dtype(&facts, "n_sources"), DataType::UInt32);
    assert_eq!(dtype(&facts, "conflict"), DataType::Boolean);
    let monthly = expect_columns::<Monthly>(&cur);
    assert_eq!(dtype(&monthly, "month"), DataType::UInt8);
    expect_columns::<Quarterly>(&cur);
    expect_columns::<Annual>(&cur);
    expect_columns::<Share>(&cur);
    expect_columns::<Ranking>(&cur);
    expect_columns::<Check>(&cur);
    let rejects = expect_columns::<Reject>(&cur);

    // A known fact: 江州高新区 规上工业总产值 1-8月, stated in 万元 in the sample.
    let file = "江州高新区_2024年1-8月_utf8.csv";
    let ytd8 = sample_value(file, "规上工业总产值", "1-8月") * 1e4;
    let ytd7 = sample_value(file, "规上工业总产值", "1-7月") * 1e4;
    let f = facts
        .clone()
        .lazy_free_filter("jz_hitech", "industrial_output", Some(1), Some(8));
    assert_eq!(f.0, 1, "one fact for the key");
    assert!((f.1 - ytd8).abs() < 1e-3, "fact {} vs sample {}", f.1, ytd8);

    // One month value derived from two ytd values.
    let ytd6 = sample_value(file, "规上工业总产值", "1-6月") * 1e4;
    let m = monthly_row(&monthly, "jz_hitech", "industrial_output", 7);
    assert_eq!(m.derivation, "ytd_diff");
    assert!(
        (m.month_value - (ytd7 - ytd6)).abs() < 1e-3,
        "{} vs {}",
        m.month_value,
        ytd7 - ytd6
    );
    // August is stated in a report (8月当月 11.1亿元): reported, and it agrees with the difference.
    let aug = monthly_row(&monthly, "jz_hitech", "industrial_output", 8);
    assert_eq!(aug.derivation, "reported");
    assert!(
        (aug.month_value - (ytd8 - ytd7)).abs() <= 0.05e8,
        "{} vs {}",
        aug.month_value,
        ytd8 - ytd7
    );
    // The year starts with the combined 1-2月: its increment covers months 1-2 and says so.
    let feb = monthly_row(&monthly, "jz_hitech", "industrial_output", 2);
    assert_eq!(
        (feb.derivation.as_str(), feb.from),
        ("ytd_diff_span", Some(1))
    );
    // A stock is never differenced into months.
    assert!(strings(&monthly, "indicator")
        .iter()
        .all(|v| v.as_deref() != Some("above_scale_enterprises")));

    // The two deliberately bad sample rows are rejects with line, field and reason.
    let reasons: Vec<String> = strings(&rejects, "reason").into_iter().flatten().collect();
    let kinds = strings(&rejects, "source_kind");
    let locs: Vec<String> = strings(&rejects, "locator")
        .into_iter()
        .zip(kinds)
        .filter(|(_, k)| k.as_deref() == Some("csv"))
        .filter_map(|(l, _)| l)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("unmapped indicator `园区绿化覆盖率`")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("not a number")),
        "{reasons:?}"
    );
    assert!(
        locs.iter().all(|l| l.starts_with('L') && l.contains(":F")),
        "{locs:?}"
    );
}

struct MonthRow {
    month_value: f64,
    derivation: String,
    from: Option<u8>,
}

fn monthly_row(df: &DataFrame, entity: &str, indicator: &str, month: u8) -> MonthRow {
    let e = df.column("entity_id").unwrap().str().unwrap();
    let i = df.column("indicator").unwrap().str().unwrap();
    let m = df.column("month").unwrap().u8().unwrap();
    let v = df.column("month_value").unwrap().f64().unwrap();
    let d = df.column("derivation").unwrap().str().unwrap();
    let f = df.column("month_value_from").unwrap().u8().unwrap();
    let y = df.column("year").unwrap().i32().unwrap();
    for r in 0..df.height() {
        if e.get(r) == Some(entity)
            && i.get(r) == Some(indicator)
            && m.get(r) == Some(month)
            && y.get(r) == Some(2024)
        {
            return MonthRow {
                month_value: v.get(r).expect("month value"),
                derivation: d.get(r).unwrap_or("").to_string(),
                from: f.get(r),
            };
        }
    }
    panic!("no monthly row {entity} {indicator} {month}");
}

trait FactLookup {
    fn lazy_free_filter(
        self,
        entity: &str,
        indicator: &str,
        from: Option<u8>,
        to: Option<u8>,
    ) -> (usize, f64);
}

impl FactLookup for DataFrame {
    /// (number of 2024 facts with this key and ytd kind, the value of the last one).
    fn lazy_free_filter(
        self,
        entity: &str,
        indicator: &str,
        from: Option<u8>,
        to: Option<u8>,
    ) -> (usize, f64) {
        let e = self.column("entity_id").unwrap().str().unwrap();
        let i = self.column("indicator").unwrap().str().unwrap();
        let k = self.column("period_kind").unwrap().str().unwrap();
        let mf = self.column("month_from").unwrap().u8().unwrap();
        let mt = self.column("month_to").unwrap().u8().unwrap();
        let v = self.column("value").unwrap().f64().unwrap();
        let y = self.column("year").unwrap().i32().unwrap();
        let mut n = 0;
        let mut last = f64::NAN;
        for r in 0..self.height() {
            if e.get(r) == Some(entity)
                && y.get(r) == Some(2024)
                && i.get(r) == Some(indicator)
                && k.get(r) == Some("ytd")
                && mf.get(r) == from
                && mt.get(r) == to
            {
                n += 1;
                last = v.get(r).unwrap_or(f64::NAN);
            }
        }
        (n, last)
    }
}

fn table_hashes(run: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    TABLE_NAMES
        .iter()
        .map(|t| (t.to_string(), table_bytes(run, t)))
        .collect()
}

#[test]
fn second_run_is_byte_identical() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let first = std::fs::canonicalize(s.current()).unwrap();
    let a = table_hashes(&first);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let second = std::fs::canonicalize(s.current()).unwrap();
    assert_ne!(first, second, "a new run directory");
    let b = table_hashes(&second);
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name}.parquet differs between runs");
    }
}

#[test]
fn failed_publish_leaves_current_whole() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let before = std::fs::read_link(s.current()).unwrap();
    let before_tables = table_hashes(&s.current());
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let out = s.run(&[("PARKSTAT_FAILPOINT", "before_swap")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a crash before the swap is exit 1: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("`current` still points at the previous run"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_link(s.current()).unwrap(), before);
    assert_eq!(
        table_hashes(&s.current()),
        before_tables,
        "current is whole and unchanged"
    );
    let obs = read_parquet(&s.current().join("observations.parquet"));
    assert!(obs.height() > 0);
    let runs = parkstat::publish::run_dir::list_runs(&s.out());
    assert_eq!(
        runs.len(),
        1,
        "the failed run left nothing behind: {runs:?}"
    );

    assert_eq!(s.run(&[]).status.code(), Some(0), "the next run succeeds");
    assert_ne!(std::fs::read_link(s.current()).unwrap(), before);
}

#[test]
fn concurrent_run_is_refused() {
    let s = Scratch::new();
    let lock = parkstat::publish::run_dir::RunLock::acquire(&s.out()).expect("take the lock");
    let out = s.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another parkstat run is already working on"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names the holder: {err}"
    );
    assert!(!s.current().exists(), "nothing published");
    drop(lock);
    assert_eq!(
        s.run(&[]).status.code(),
        Some(0),
        "runs once the lock is free"
    );
}

#[test]
fn unknown_config_key_names_file_line_and_key() {
    let s = Scratch::new();
    let p = s.pipeline();
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text.replace("keep_runs = 5", "keep_runs = 5\nkeep_rnus = 7");
    std::fs::write(&p, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("keep_rnus"))
        .unwrap()
        + 1;
    let out = s.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("default.toml:{line}")),
        "file and line: {err}"
    );
    assert!(err.contains("keep_rnus"), "the key: {err}");
    assert!(err.contains("unknown field"), "what is wrong: {err}");
    assert!(err.contains("what to do"), "what to do: {err}");
    assert!(!s.out().join("runs").exists(), "nothing written");
}

#[test]
fn bad_csv_row_becomes_a_reject_and_the_run_goes_on() {
    let s = Scratch::new();
    let f = s.path().join("data/csv/extra.csv");
    std::fs::write(&f, "园区,指标,年份,期间,数值,单位,同比\n江州高新区,营业收入,2024,1-8月,abc,万元,\n江州高新区,营业收入,2024,13月,5,万元,\n").unwrap();
    let out = s.run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rejects = read_parquet(&s.current().join("rejects.parquet"));
    let path = rejects
        .column("source_path")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    let loc = rejects.column("locator").unwrap().str().unwrap().clone();
    let reason = rejects.column("reason").unwrap().str().unwrap().clone();
    let mine: Vec<(String, String)> = (0..rejects.height())
        .filter(|&r| path.get(r) == Some("data/csv/extra.csv"))
        .map(|r| {
            (
                loc.get(r).unwrap().to_string(),
                reason.get(r).unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine[0].0, "L2:F5");
    assert!(
        mine[0].1.contains("not a number") && mine[0].1.contains("write it as"),
        "{mine:?}"
    );
    assert_eq!(mine[1].0, "L3:F5");
    assert!(mine[1].1.contains("unreadable period `13月`"), "{mine:?}");

    // extract shows the same, as JSON lines with the table named.
    let out = parkstat()
        .args(["extract", "--format", "jsonl"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("{\"table\":\"rejects\""))
            .count(),
        2,
        "{text}"
    );
}

#[test]
fn a_file_that_cannot_be_read_fails_alone_with_exit_3() {
    let s = Scratch::new();
    std::fs::write(
        s.path().join("data/csv/broken.csv"),
        [0x00u8, 0xFF, 0xFE, 0x00, 0x81],
    )
    .unwrap();
    let out = s.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("failed: data/csv/broken.csv"), "{err}");
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
    let broken = run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "data/csv/broken.csv")
        .unwrap();
    assert_eq!(broken["status"], "failed");
    assert!(broken["error"].as_str().unwrap().len() > 5);
    assert_eq!(run["exit_code"], 3);
    let obs = read_parquet(&s.current().join("observations.parquet"));
    assert!(obs.height() > 200, "the other inputs were published");
}

#[test]
fn run_json_records_inputs_outputs_and_timings() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["tool"], "parkstat");
    assert_eq!(run["config_hash"].as_str().unwrap().len(), 64);
    let inputs = run["inputs"].as_array().unwrap();
    let of_kind = |k: &str| inputs.iter().filter(|i| i["kind"] == k).count();
    assert_eq!((of_kind("csv"), of_kind("text")), (4, 6));
    for i in inputs {
        assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(i["cached"], false);
    }
    let encodings: Vec<&str> = inputs
        .iter()
        .filter_map(|i| i["encoding"].as_str())
        .collect();
    assert!(encodings.contains(&"GB18030"), "{encodings:?}");
    for t in TABLE_NAMES {
        assert_eq!(
            run["outputs"][t]["sha256"].as_str().unwrap().len(),
            64,
            "{t}"
        );
    }
    for stage in [
        "discover",
        "ingest",
        "normalize",
        "reconcile",
        "derive",
        "check",
        "publish",
        "total",
    ] {
        assert!(run["timings_ms"][stage].is_u64(), "{stage}");
    }
}

#[test]
fn sample_data_is_the_generator_output() {
    for (rel, bytes) in generator::generate() {
        let on_disk = std::fs::read(project().join("data").join(&rel))
            .unwrap_or_else(|e| panic!("data/{rel}: {e}"));
        assert!(
            on_disk == bytes,
            "data/{rel} differs from examples/make_sample_data.rs; rerun it"
        );
    }
}
