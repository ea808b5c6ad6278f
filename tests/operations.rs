//! What a scheduler relies on: the same bytes whatever the thread count or
//! file order, a dry run that writes nothing, a JSON summary, retention.

mod common;

use common::*;
use parkstat::model::TABLE_NAMES;
use polars::prelude::{ParquetReader, SerReader};

fn tables(dir: &std::path::Path) -> Vec<Vec<u8>> {
    TABLE_NAMES.iter().map(|t| table_bytes(dir, t)).collect()
}

#[test]
fn same_bytes_whatever_the_thread_count_and_file_order() {
    let a = Scratch::new();
    let out = parkstat()
        .args(["run", "--jobs", "1"])
        .arg(a.pipeline())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Another copy whose files are created in the reverse order, run on two threads.
    let b = tempfile::tempdir().unwrap();
    copy_dir(&project().join("pipelines"), &b.path().join("pipelines"));
    let mut files: Vec<std::path::PathBuf> = walk(&project().join("data"));
    files.sort();
    files.reverse();
    for f in files {
        let rel = f.strip_prefix(project()).unwrap();
        let to = b.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap();
    }
    let out = parkstat()
        .args(["run", "--jobs", "2"])
        .arg(b.path().join("pipelines/default.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (ta, tb) = (
        tables(&a.current()),
        tables(&b.path().join("out/default/current")),
    );
    for (i, t) in TABLE_NAMES.iter().enumerate() {
        assert!(
            ta[i] == tb[i],
            "{t}.parquet differs between --jobs 1 and --jobs 2 with files created in another order"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            v.extend(walk(&e.path()));
        } else {
            v.push(e.path());
        }
    }
    v
}

#[test]
fn dry_run_writes_nothing_and_validate_agrees() {
    let s = Scratch::new();
    for args in [vec!["run", "--dry-run"], vec!["validate"]] {
        let out = parkstat().args(&args).arg(s.pipeline()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("nothing written"), "{}", stderr(&out));
        assert!(!s.path().join("out").exists(), "{args:?} wrote output");
    }
    // A broken input makes validate say so with exit 3, still writing nothing.
    std::fs::write(s.path().join("data/csv/bad.csv"), [0xFFu8, 0x00, 0xFE]).unwrap();
    let out = parkstat()
        .arg("validate")
        .arg(s.pipeline())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("failed: data/csv/bad.csv"),
        "{}",
        stderr(&out)
    );
    assert!(!s.path().join("out").exists());
}

#[test]
fn json_summary_for_schedulers() {
    let s = Scratch::new();
    let out = parkstat()
        .args(["run", "--log-format", "json"])
        .arg(s.pipeline())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = stderr(&out);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("one JSON object: {e}: {line}"));
    assert_eq!(v["event"], "run_finished");
    assert_eq!(v["exit_code"], 0);
    assert!(v["rows"]["observations"].as_u64().unwrap() > 300);
    assert_eq!(v["checks"]["error"], 0);
}

#[test]
fn old_runs_are_pruned_and_current_kept() {
    let s = Scratch::new();
    let p = s.pipeline();
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("keep_runs = 5", "keep_runs = 2");
    std::fs::write(&p, text).unwrap();
    for _ in 0..3 {
        assert_eq!(s.run(&[]).status.code(), Some(0));
    }
    let runs = parkstat::publish::run_dir::list_runs(&s.out());
    assert_eq!(runs.len(), 2, "{runs:?}");
    let current = parkstat::publish::run_dir::current_run(&s.out()).unwrap();
    assert_eq!(runs.last(), Some(&current), "current is the newest run");

    // The run pruned last is retired under a hidden name, and deleted by the next run.
    let retired = || -> Vec<String> {
        std::fs::read_dir(s.out().join("runs"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".old-"))
            .collect()
    };
    let before = retired();
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let after = retired();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before, "the run retired before is gone");
    // Runs of one second are numbered on, never taking a retired run's id: the newest
    // is the last in order and the current one.
    let runs = parkstat::publish::run_dir::list_runs(&s.out());
    assert_eq!(runs.len(), 2, "{runs:?}");
    let current = parkstat::publish::run_dir::current_run(&s.out()).unwrap();
    assert_eq!(runs.last(), Some(&current), "{runs:?}");
}

/// A run killed with SIGKILL at any moment leaves `current` whole (the previous run or the
/// new one, never a part), and the next run succeeds.
#[test]
fn killed_runs_never_leave_a_partial_current() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let whole = |dir: &std::path::Path| {
        TABLE_NAMES.iter().all(|t| {
            let files = parkstat::publish::read_back::table_files(dir, t);
            !files.is_empty()
                && files.iter().all(|p| {
                    std::fs::File::open(p)
                        .ok()
                        .and_then(|f| ParquetReader::new(f).finish().ok())
                        .is_some()
                })
        }) && serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(dir.join("run.json")).unwrap_or_default(),
        )
        .is_ok()
    };
    // One run's duration, to spread the kills over it.
    let t = std::time::Instant::now();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let span = t.elapsed().as_micros().max(2_000) as u64;
    let mut killed = 0;
    for i in 0..25u64 {
        let mut child = parkstat()
            .arg("run")
            .arg(s.pipeline())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(span * i / 24));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert!(
            whole(&s.current()),
            "after a kill at {}µs, current is not whole",
            span * i / 24
        );
    }
    assert!(
        killed >= 10,
        "most kills landed during a run ({killed} of 25)"
    );
    let out = s.run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the next run succeeds: {}",
        stderr(&out)
    );
    assert!(whole(&s.current()));
}

/// The progress bar is drawn on a terminal only: never into a scheduler's log.
#[test]
fn progress_bar_only_on_a_terminal() {
    let s = Scratch::new();
    let piped = s.run(&[]);
    assert_eq!(piped.status.code(), Some(0));
    let err = stderr(&piped);
    assert!(!err.contains(" files ") && !err.contains('\u{1b}'), "{err}");
    assert!(err.contains("rows:"), "the summary is still printed: {err}");
    // Under a pseudo-terminal (util-linux `script`), the bar is drawn.
    let cmd = format!(
        "{} run {}",
        env!("CARGO_BIN_EXE_parkstat"),
        s.pipeline().display()
    );
    let tty = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .output()
        .expect("util-linux script runs");
    assert_eq!(tty.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(shown.contains("/14 files"), "{shown}");
    // --quiet draws nothing even there.
    let quiet = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &format!("{cmd} --quiet"), "/dev/null"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains(" files "));
}

/// `run --full` on the scratch pipeline (exit 0), and the tables it published.
fn full_run_tables(s: &Scratch) -> Vec<Vec<u8>> {
    let out = parkstat()
        .args(["run", "--full"])
        .arg(s.pipeline())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    tables(&s.current())
}

/// The inputs the last run parsed (not taken from the cache).
fn parsed(s: &Scratch) -> Vec<String> {
    cached_flags(s)
        .into_iter()
        .filter(|(_, c)| !c)
        .map(|(p, _)| p)
        .collect()
}

fn cached_flags(s: &Scratch) -> Vec<(String, bool)> {
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
    run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["cached"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A rerun parses only the inputs that changed, and its tables are exactly those of a
/// full parse; `--full` parses everything; a changed dictionary invalidates every entry.
#[test]
fn incremental_reruns_parse_only_what_changed() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert!(
        cached_flags(&s).iter().all(|(_, c)| !c),
        "a first run parses everything"
    );
    let first = tables(&s.current());

    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert!(
        cached_flags(&s).iter().all(|(_, c)| *c),
        "{:?}",
        cached_flags(&s)
    );
    assert!(
        tables(&s.current()) == first,
        "cached inputs give the same tables"
    );

    // One figure corrected in one CSV: that file alone is parsed.
    let csv = s.path().join("data/csv/江州高新区_2024年1-8月_utf8.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains(",1-2月,153464.7,"));
    std::fs::write(
        &csv,
        text.replacen(",1-2月,153464.7,", ",1-2月,153465.7,", 1),
    )
    .unwrap();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert_eq!(parsed(&s), ["data/csv/江州高新区_2024年1-8月_utf8.csv"]);
    let incremental = tables(&s.current());
    assert!(incremental != first, "the corrected figure is published");
    let full = full_run_tables(&s);
    assert!(
        cached_flags(&s).iter().all(|(_, c)| !c),
        "--full parses everything"
    );
    assert!(full == incremental, "incremental = full");

    // A synonym added to the dictionary changes how every input reads.
    let dict = s.path().join("pipelines/indicators.toml");
    let t = std::fs::read_to_string(&dict).unwrap();
    std::fs::write(
        &dict,
        t.replacen("\"营收\"", "\"营收\", \"营业收入总计\"", 1),
    )
    .unwrap();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert!(
        cached_flags(&s).iter().all(|(_, c)| !c),
        "{:?}",
        cached_flags(&s)
    );
}

/// A rerun that parsed a few inputs appends one cache segment of their rows instead of
/// rewriting every cached row; once the segments hold too many rows no entry uses, the
/// next store writes one segment of the live rows. Every run in between takes all but
/// the changed file from the cache and publishes what a full parse does.
#[test]
fn the_cache_appends_what_a_rerun_parsed_and_compacts_unused_rows() {
    let s = Scratch::new();
    let index = s.out().join("cache/index.json");
    let segments = || -> Vec<(String, u64)> {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
        v["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["file"].as_str().unwrap().to_string(),
                    g["rows"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let files = || -> usize {
        std::fs::read_dir(s.out().join("cache"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            .count()
    };
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let first = segments();
    assert_eq!(first.len(), 1);
    let total = first[0].1;

    let csv = s.path().join("data/csv/江州高新区_2024年1-8月_utf8.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut counts = Vec::new();
    for k in 1..=6 {
        std::fs::write(
            &csv,
            text.replacen(",1-2月,153464.7,", &format!(",1-2月,15346{k}.7,"), 1),
        )
        .unwrap();
        assert_eq!(s.run(&[]).status.code(), Some(0));
        assert_eq!(
            parsed(&s),
            ["data/csv/江州高新区_2024年1-8月_utf8.csv"],
            "change {k}"
        );
        let now = segments();
        assert_eq!(
            files(),
            now.len(),
            "change {k}: only indexed files are kept"
        );
        assert!(now.len() <= 8);
        counts.push(now.len());
        // The next run takes everything from the cache and publishes a full parse's tables.
        assert_eq!(s.run(&[]).status.code(), Some(0));
        assert!(
            cached_flags(&s).iter().all(|(_, c)| *c),
            "change {k}: {:?}",
            cached_flags(&s)
        );
        let cached = tables(&s.current());
        assert!(full_run_tables(&s) == cached, "change {k}: cached = full");
        // `--full` wrote the cache whole again.
        assert_eq!(segments().len(), 1);
        assert_eq!(segments()[0].1, total);
        if k == 1 {
            // Appended, not rewritten: the first segment is the first run's file.
            assert_eq!(now.len(), 2, "{now:?}");
            assert_eq!(now[0], first[0]);
        }
    }
    assert_eq!(
        counts, [2; 6],
        "a --full store leaves one segment before each change"
    );

    // A file changed again leaves its last segment unused, and that segment goes; other
    // files changed in turn leave their first rows unused in the first segment, until
    // a store writes the live rows as one segment.
    let mut seen = Vec::new();
    for name in [
        "临港园区_2024年1-8月_gb18030.csv",
        "江州市_2024年1-8月_全市.csv",
        "江州经开区_2024年1-8月_utf8bom.csv",
        "江州高新区_2024年1-8月_utf8.csv",
    ] {
        let path = s.path().join("data/csv").join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"\n");
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(s.run(&[]).status.code(), Some(0));
        assert_eq!(parsed(&s), [format!("data/csv/{name}")]);
        let now = segments();
        let rows: u64 = now.iter().map(|g| g.1).sum();
        assert!(
            (rows - total) * 4 <= rows,
            "{name}: {rows} rows for {total} live"
        );
        assert_eq!(files(), now.len(), "{name}: only indexed files are kept");
        seen.push(now.len());
    }
    assert_eq!(seen[..2], [2, 3], "appended: {seen:?}");
    assert!(seen.windows(2).any(|w| w[1] < w[0]), "compacted: {seen:?}");
    let cached = {
        assert_eq!(s.run(&[]).status.code(), Some(0));
        assert!(cached_flags(&s).iter().all(|(_, c)| *c));
        tables(&s.current())
    };
    assert!(
        full_run_tables(&s) == cached,
        "cached = full after compaction"
    );
}

/// A damaged cache is a reparse, never a crash or a wrong answer: a truncated Parquet
/// file, a garbled index, an index whose offsets do not fit, an empty directory.
#[test]
fn a_corrupt_cache_means_a_reparse() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let good = tables(&s.current());
    let cache = s.out().join("cache");
    let parquet = || {
        std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "parquet"))
            .expect("a cached observations file")
    };
    let index = cache.join("index.json");
    // The cached rows rewritten with one value changed: a well-formed file of the
    // right shape that parkstat never wrote.
    let rewrite = |column: &'static str, value: Option<&'static str>| {
        use polars::prelude::*;
        let p = parquet();
        let mut df = ParquetReader::new(std::fs::File::open(&p).unwrap())
            .finish()
            .unwrap();
        let mut values: Vec<Option<String>> = df
            .column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        values[0] = value.map(str::to_string);
        df.replace(column, Column::new(column.into(), values))
            .unwrap();
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
    };
    type Damage<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let damages: [Damage; 8] = [
        (
            "truncated parquet",
            Box::new(|| {
                let p = parquet();
                let b = std::fs::read(&p).unwrap();
                std::fs::write(&p, &b[..b.len() / 2]).unwrap();
            }),
        ),
        (
            "bytes flipped inside the observations file",
            Box::new(|| {
                let p = parquet();
                let mut b = std::fs::read(&p).unwrap();
                let at = b.len() / 3;
                for x in &mut b[at..at + 16] {
                    *x ^= 0xff;
                }
                std::fs::write(&p, b).unwrap();
            }),
        ),
        (
            "garbled index",
            Box::new(|| {
                let b: Vec<u8> = std::fs::read(&index)
                    .unwrap()
                    .iter()
                    .map(|b| b ^ 0x5a)
                    .collect();
                std::fs::write(&index, b).unwrap();
            }),
        ),
        (
            "offsets that do not fit",
            Box::new(|| {
                let mut v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
                for e in v["entries"].as_object_mut().unwrap().values_mut() {
                    e["offset"] = serde_json::json!(e["offset"].as_u64().unwrap() + 1);
                }
                std::fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
            }),
        ),
        (
            "each entry pointing at another input's rows",
            Box::new(|| {
                let mut v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
                let entries = v["entries"].as_object_mut().unwrap();
                let places: Vec<serde_json::Value> = entries
                    .values()
                    .filter(|e| e["len"].as_u64().unwrap() > 0)
                    .map(|e| serde_json::json!([e["segment"], e["offset"], e["len"]]))
                    .collect();
                assert!(places.len() >= 2, "several inputs with rows");
                let mut next = places.iter().cycle().skip(1);
                for e in entries
                    .values_mut()
                    .filter(|e| e["len"].as_u64().unwrap() > 0)
                {
                    let p = next.next().unwrap();
                    (e["segment"], e["offset"], e["len"]) =
                        (p[0].clone(), p[1].clone(), p[2].clone());
                }
                std::fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
            }),
        ),
        (
            "a scope parkstat never writes",
            Box::new(move || rewrite("scope", Some("galaxy"))),
        ),
        (
            "a null where parkstat never writes one",
            Box::new(move || rewrite("entity_id", None)),
        ),
        (
            "emptied directory",
            Box::new(|| {
                for e in std::fs::read_dir(&cache).unwrap().flatten() {
                    std::fs::write(e.path(), b"").unwrap();
                }
            }),
        ),
    ];
    for (what, damage) in damages.iter() {
        damage();
        let out = s.run(&[]);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        // Every input with figures is parsed again (an entry of rejects alone may stand).
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.current().join("run.json")).unwrap()).unwrap();
        for i in run["inputs"].as_array().unwrap() {
            if i["rows"].as_u64().unwrap() > 0 {
                assert_eq!(i["cached"], false, "{what}: {}", i["path"]);
            }
        }
        assert!(tables(&s.current()) == good, "{what}: tables differ");
        // The next run finds the cache whole again.
        assert_eq!(s.run(&[]).status.code(), Some(0));
        assert!(
            cached_flags(&s).iter().all(|(_, c)| *c),
            "{what}: not rebuilt"
        );
    }
}

/// Rows of one observations table per input path.
fn rows_by_path(s: &Scratch) -> std::collections::BTreeMap<String, usize> {
    let obs = read_parquet(&s.current().join("observations.parquet"));
    let mut n = std::collections::BTreeMap::new();
    for p in strings(&obs, "source_path").into_iter().flatten() {
        *n.entry(p).or_insert(0) += 1;
    }
    n
}

/// The same bytes under two names, then one of them renamed: each rerun publishes what
/// a full parse does, every row under its own file's path. (The cache once keyed an
/// input by its content alone, and a rerun gave both names' rows to one of them.)
#[test]
fn copies_and_renames_keep_their_own_rows_in_reruns() {
    let s = Scratch::new();
    let dir = s.path().join("data/csv");
    let original = "data/csv/江州高新区_2024年1-8月_utf8.csv";
    let copy = "data/csv/江州高新区_2024年1-8月_utf8_副本.csv";
    std::fs::copy(s.path().join(original), s.path().join(copy)).unwrap();
    for run in ["first", "cached"] {
        assert!(matches!(s.run(&[]).status.code(), Some(0 | 3)), "{run}");
    }
    assert!(parsed(&s).is_empty(), "{:?}", parsed(&s));
    let rows = rows_by_path(&s);
    assert!(rows[original] > 0);
    assert_eq!(rows.get(copy), rows.get(original), "{rows:?}");
    assert!(tables(&s.current()) == full_run_tables(&s), "cached = full");

    let renamed = "data/csv/江州高新区_2024年1-8月_utf8_改名.csv";
    std::fs::rename(s.path().join(copy), s.path().join(renamed)).unwrap();
    assert!(dir.join("江州高新区_2024年1-8月_utf8_改名.csv").is_file());
    assert!(matches!(s.run(&[]).status.code(), Some(0 | 3)));
    assert_eq!(
        parsed(&s),
        [renamed],
        "a renamed file is read under its new name"
    );
    let rows = rows_by_path(&s);
    assert_eq!(rows.get(copy), None, "{rows:?}");
    assert_eq!(rows.get(renamed), rows.get(original), "{rows:?}");
    let rerun = tables(&s.current());
    assert!(rerun == full_run_tables(&s), "rerun after a rename = full");
}

/// A file rewritten with the same size and its modification time set back is read
/// again: its change time moved (`ingest::cache::Seen`). The rerun publishes what a
/// full parse does.
#[test]
fn a_rewrite_that_keeps_size_and_mtime_is_still_read() {
    let s = Scratch::new();
    // Metadata is only trusted once the file is 3 s older than the run recording it.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert!(parsed(&s).is_empty(), "{:?}", parsed(&s));

    let rel = "data/csv/江州高新区_2024年1-8月_utf8.csv";
    let csv = s.path().join(rel);
    let before = std::fs::metadata(&csv).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let edited = text.replacen(",1-2月,153464.7,", ",1-2月,153465.7,", 1);
    assert!(edited != text && edited.len() == text.len());
    std::fs::write(&csv, edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&csv)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let after = std::fs::metadata(&csv).unwrap();
    assert_eq!(
        (after.len(), after.modified().unwrap()),
        (before.len(), before.modified().unwrap())
    );

    assert_eq!(s.run(&[]).status.code(), Some(0));
    assert_eq!(parsed(&s), [rel]);
    let rerun = tables(&s.current());
    assert!(full_run_tables(&s) == rerun, "rerun = full");
}
