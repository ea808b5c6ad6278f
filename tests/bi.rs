//! BI readiness: the published output loads in DuckDB and pyarrow as it is, Hive
//! partitions included. The Python packages go into a virtual environment of this
//! build (target/bi-venv) that the test makes itself; nothing is assumed installed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

const CHECK: &str = r#"
import json, sys
import duckdb, pyarrow.dataset as ds

cur = sys.argv[1]
out = {}
# pyarrow: the partitioned tables as datasets, their types.
for t in ("observations", "monthly"):
    d = ds.dataset(f"{cur}/{t}", format="parquet", partitioning="hive")
    out[t + "_rows"] = d.count_rows()
    out[t + "_types"] = {f.name: str(f.type) for f in d.schema}
# DuckDB: types as SQL sees them, and a park's month values against its ytd.
con = duckdb.connect()
con.execute(f"CREATE VIEW monthly AS SELECT * FROM read_parquet('{cur}/monthly/*/*.parquet', hive_partitioning = true)")
out["duckdb_types"] = {r[0]: r[1] for r in con.execute("DESCRIBE monthly").fetchall()}
out["sum_vs_ytd"] = con.execute("""
    SELECT sum(month_value), max_by(ytd_value, month), count(*)
    FROM monthly
    WHERE entity_id = 'jz_hitech' AND indicator = 'industrial_output' AND year = 2024 AND scope = 'park'
""").fetchone()
out["years"] = [r[0] for r in con.execute(
    f"SELECT DISTINCT year FROM read_parquet('{cur}/observations/*/*.parquet', hive_partitioning = true) ORDER BY 1").fetchall()]
out["facts"] = con.execute(f"SELECT count(*) FROM '{cur}/facts.parquet'").fetchone()[0]
print(json.dumps(out))
"#;

/// target/bi-venv with duckdb and pyarrow, made on first use.
fn venv() -> PathBuf {
    let dir = project().join("target/bi-venv");
    let python = dir.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import duckdb, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 is part of the machine");
        assert!(made.success(), "python3 -m venv {} failed", dir.display());
        let pip = Command::new(dir.join("bin/pip"))
            .args(["install", "-q", "duckdb>=1.1", "pyarrow>=15"])
            .status()
            .expect("pip runs");
        assert!(
            pip.success(),
            "pip install duckdb pyarrow failed (network?)"
        );
    }
    python
}

#[test]
fn duckdb_and_pyarrow_read_the_output_with_its_types_and_sums() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let cur = std::fs::canonicalize(s.current()).unwrap();
    let out = Command::new(venv())
        .args(["-c", CHECK])
        .arg(&cur)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let obs = read_parquet(&cur.join("observations.parquet"));
    assert_eq!(r["observations_rows"], obs.height());
    let t = &r["observations_types"];
    assert_eq!(t["value"], "double");
    assert_eq!(t["month_to"], "uint8");
    assert_eq!(t["approx"], "bool");
    // polars writes Arrow string views; pyarrow reads them as such.
    assert!(
        ["string", "large_string", "string_view"].contains(&t["entity_id"].as_str().unwrap()),
        "{t}"
    );
    assert_eq!(t["year"], "int32");
    let m = &r["monthly_types"];
    assert_eq!(
        (m["month"].as_str(), m["ytd_value"].as_str()),
        (Some("uint8"), Some("double"))
    );

    let d = &r["duckdb_types"];
    assert_eq!(d["month_value"], "DOUBLE");
    assert_eq!(d["month"], "UTINYINT");
    assert_eq!(d["entity_id"], "VARCHAR");
    assert!(d["year"] == "BIGINT" || d["year"] == "INTEGER", "{d}");

    // A park's month values sum to its latest year-to-date value.
    let (sum, ytd, n) = (
        r["sum_vs_ytd"][0].as_f64().unwrap(),
        r["sum_vs_ytd"][1].as_f64().unwrap(),
        r["sum_vs_ytd"][2].as_u64().unwrap(),
    );
    assert!(n >= 6, "{n} months");
    assert!(
        (sum - ytd).abs() < 1e-3,
        "months sum to {sum}, ytd is {ytd}"
    );
    assert_eq!(r["years"], serde_json::json!([2023, 2024]));
    assert_eq!(
        r["facts"],
        read_parquet(&cur.join("facts.parquet")).height()
    );
}
