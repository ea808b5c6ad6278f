//! Helpers shared by the integration tests: a scratch copy of the project and the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// The project directory (where Cargo.toml is).
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary copy of `pipelines/` and `data/`, so runs write to their own `out/`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&project().join("pipelines"), &dir.path().join("pipelines"));
        copy_dir(&project().join("data"), &dir.path().join("data"));
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn pipeline(&self) -> PathBuf {
        self.path().join("pipelines/default.toml")
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("out/default")
    }

    pub fn current(&self) -> PathBuf {
        self.out().join("current")
    }

    /// `parkstat run` on the scratch default pipeline.
    pub fn run(&self, envs: &[(&str, &str)]) -> Output {
        let mut c = parkstat();
        c.arg("run").arg(self.pipeline());
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().expect("run parkstat")
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

pub fn parkstat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_parkstat"))
}

/// A table file, or a Hive-partitioned table (`monthly.parquet` read as `monthly/year=*/…`).
pub fn read_parquet(path: &Path) -> DataFrame {
    let files = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        let dir = path.parent().expect("a table has a run directory");
        let name = path.file_stem().expect("a table name").to_string_lossy();
        parkstat::publish::read_back::table_files(dir, &name)
    };
    assert!(!files.is_empty(), "no table at {}", path.display());
    let read = |p: &Path| {
        let f = std::fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
        ParquetReader::new(f)
            .finish()
            .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    };
    let mut df = read(&files[0]);
    for f in &files[1..] {
        df.vstack_mut(&read(f)).expect("partitions share a schema");
    }
    df
}

/// The bytes of every file of a table, in order: what byte-identical runs compare.
pub fn table_bytes(run: &Path, name: &str) -> Vec<u8> {
    let files = parkstat::publish::read_back::table_files(run, name);
    assert!(!files.is_empty(), "no table {name} in {}", run.display());
    files
        .iter()
        .flat_map(|f| {
            let mut b = f
                .strip_prefix(run)
                .unwrap()
                .to_string_lossy()
                .into_owned()
                .into_bytes();
            b.extend(std::fs::read(f).expect("table file"));
            b
        })
        .collect()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A string column as a Vec, nulls as `None`.
pub fn strings(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    let ca = df
        .column(col)
        .unwrap_or_else(|_| panic!("column {col}"))
        .str()
        .unwrap_or_else(|_| panic!("{col} is not a string column"));
    (0..ca.len())
        .map(|i| ca.get(i).map(str::to_string))
        .collect()
}

/// A float column as a Vec, nulls as `None`.
pub fn floats(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    let ca = df
        .column(col)
        .unwrap_or_else(|_| panic!("column {col}"))
        .f64()
        .unwrap_or_else(|_| panic!("{col} is not f64"));
    (0..ca.len()).map(|i| ca.get(i)).collect()
}
