//! The run: discover → ingest → normalize → reconcile → derive → check → publish.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use polars::prelude::DataFrame;

use crate::check;
use crate::config::pipeline::Pipeline;
use crate::derive::{self, Derived};
use crate::error::exit;
use crate::ingest::{self, discover};
use crate::model::{Check, Fact, FactRef, MonthlyRef, Observation, Reject, Severity, Table};
use crate::progress::Progress;
use crate::publish::manifest::{InputRecord, RunManifest};
use crate::publish::parquet::{
    write_frame_table, write_grouped_table, write_partitioned_frame, write_table, TableFile,
};
use crate::publish::parts::PreviousParts;
use crate::publish::run_dir::{prune, PendingRun, RunLock};
use crate::publish::{now_utc, run_stamp};
use crate::reconcile;
use crate::side::{self, Side};

/// Every table of a run, sorted by key, ready to publish.
#[derive(Debug, Default)]
pub struct Tables {
    /// Published columns plus `tolerance` and `source_mtime` (`normalize::frame`);
    /// empty in a run that publishes, which writes it once sorted and lets it go.
    pub observations: DataFrame,
    /// Read in place as rows with `FactRef::rows`.
    pub facts: DataFrame,
    pub derived: Derived,
    pub checks: Vec<Check>,
    pub rejects: Vec<Reject>,
}

/// The outcome of the compute stages, before anything is written.
pub struct Computed {
    pub tables: Tables,
    pub inputs: Vec<InputRecord>,
    pub warnings: Vec<String>,
    pub timings_ms: BTreeMap<String, u64>,
    /// The previous run's id and the facts changed since, when there was one to read.
    pub changes: Option<(String, Vec<crate::diff::FactChange>)>,
    /// The observations table being written (a run that publishes), and how long it took.
    pub observations_written: Option<Side<Result<(TableFile, u64)>>>,
    /// The facts table being written, from the end of reconcile on.
    pub facts_written: Option<Side<Result<(TableFile, u64)>>>,
    /// The previous run's part files, for the partitioned tables written in publish.
    pub previous_parts: Option<Arc<PreviousParts>>,
}

/// What a finished run reports.
pub struct RunSummary {
    pub manifest: RunManifest,
    pub run_dir: Option<PathBuf>,
    pub exit_code: i32,
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The run a new one is compared with: its id, and its facts being read on a thread.
pub type Previous = (String, Side<Result<crate::publish::read_back::StoredTable>>);

/// The observations being written: should a stage fail, the writer is waited for, so
/// the abandoned run's directory is not written into once it is removed.
struct Writing(Option<Side<Result<(TableFile, u64)>>>);

impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            let _ = w.join();
        }
    }
}

/// What a run that publishes gives the stages.
pub struct Publishing<'a> {
    /// The run to compare with: the changes since are found beside derive and check,
    /// so the two facts frames and their join are gone before tables are written.
    pub previous: Option<Previous>,
    /// Where the run's tables go: the observations are written there as soon as they
    /// are sorted, beside reconcile, derive and check, and let go after reconcile.
    pub dir: &'a std::path::Path,
    /// The previous run's part files, being read: parts with the same rows are linked
    /// from it (`publish::parts`). None in a `--full` run.
    pub parts: Option<Side<PreviousParts>>,
    /// A `--full` run: every table is encoded, nothing taken from the previous run.
    pub full: bool,
}

/// Runs every stage but publish: nothing is written but the cache (the next run's) and,
/// in a run that publishes, the observations table.
pub fn compute(
    p: &Pipeline,
    progress: &Progress,
    cache: Option<crate::ingest::cache::Cache>,
    publishing: Option<Publishing>,
) -> Result<Computed> {
    let (previous, early, parts, full) = match publishing {
        Some(pb) => (pb.previous, Some(pb.dir.to_path_buf()), pb.parts, pb.full),
        None => (None, None, None, true),
    };
    let mut timings = BTreeMap::new();
    let mut warnings = Vec::new();

    let t = Instant::now();
    let found = discover::discover(p).map_err(|e| paths_error(p, e))?;
    warnings.extend(found.skipped.iter().cloned());
    for g in &found.empty_globs {
        warnings.push(format!(
            "no input matches `{g}` (under {})",
            p.root.display()
        ));
    }
    timings.insert("discover".into(), ms(t));

    let t = Instant::now();
    let results = ingest::ingest_all(p, &found.inputs, progress, cache.as_ref());
    let (gathered, spans) = crate::normalize::frame::gather_with_spans(
        &results,
        cache.as_ref().and_then(|c| c.frame()),
    )
    .context("joining the inputs' observations")?;
    // The sort gathers the cached rows from it (its columns shared, not copied).
    let cached_frame = cache.as_ref().and_then(|c| c.frame()).cloned();
    let mut cache_write = None;
    if let Some(c) = cache {
        let t = Instant::now();
        cache_write = c.store(&results, &gathered);
        timings.insert("cache".into(), ms(t));
        // The rows it held are in `gathered` now.
        drop(c);
    }
    progress.stage("reconcile");
    timings.insert("ingest".into(), ms(t));

    let t = Instant::now();
    let mut tables = Tables::default();
    let mut inputs = Vec::with_capacity(results.len());
    for r in results {
        inputs.push(InputRecord {
            path: r.input.rel.clone(),
            sha256: r.sha256.clone(),
            bytes: r.bytes,
            kind: r.input.kind.as_str().into(),
            status: if r.error.is_some() {
                "failed".into()
            } else {
                "ok".into()
            },
            encoding: r.encoding.clone(),
            rows: r.rows(),
            rejects: r.output.rejects.len(),
            cached: r.cached,
            error: r.error.clone(),
            notes: r.output.notes.clone(),
        });
        tables.rejects.extend(r.output.rejects);
    }
    let base = cached_frame
        .as_ref()
        .map(|frame| crate::normalize::pieces::Base {
            frame,
            spans: &spans,
        });
    tables.observations =
        crate::normalize::frame::sort_from(&gathered, base).context("sorting the observations")?;
    drop(gathered);
    drop(cached_frame);
    tables.rejects.sort_by(|a, b| {
        (&a.source_path, &a.locator, &a.reason).cmp(&(&b.source_path, &b.locator, &b.reason))
    });
    timings.insert("normalize".into(), ms(t));
    let facts_dir = early.clone();
    // A previous run that cannot be read only means every part is written.
    let previous_parts = parts.and_then(|p| p.join().ok()).map(Arc::new);
    let mut observations_written = Writing(early.map(|dir| {
        let obs = tables.observations.clone();
        let basis = crate::ingest::cache::rows_basis(p);
        let previous = previous_parts.clone();
        crate::side::spawn(move || -> Result<(TableFile, u64)> {
            let t = Instant::now();
            let df = crate::normalize::frame::published(&obs)
                .context("selecting the observations' columns")?;
            drop(obs);
            let file = write_partitioned_frame(
                &dir,
                Observation::NAME,
                df,
                previous.as_deref(),
                Some(&basis),
            )?;
            Ok((file, ms(t)))
        })
    }));

    let t = Instant::now();
    let rec = reconcile::reconcile(p, &tables.observations).context("reconciling the facts")?;
    if observations_written.0.is_some() {
        // Facts hold what they took from it; the rest goes once the file is written.
        tables.observations = DataFrame::default();
    }
    timings.insert("reconcile".into(), ms(t));

    // Written beside derive and check, whose last part leaves a core idle; in publish
    // it was the last table to finish. The writer digests the row groups first and hands
    // them to the comparison, which then reads only the previous run's groups that
    // differ; with no writer the sender is dropped and every row is compared.
    let (groups_to, groups) = std::sync::mpsc::sync_channel(1);
    // Read since the run began; a previous run that cannot be read is compared with none.
    let previous = previous.and_then(|(id, read)| Some((id, Arc::new(read.join().ok()?.ok()?))));
    let mut facts_written = Writing(facts_dir.map(|dir| {
        let df = rec.frame.clone();
        let reuse = previous.as_ref().filter(|_| !full).map(|(_, f)| f.clone());
        crate::side::spawn(move || -> Result<(TableFile, u64)> {
            let t = Instant::now();
            let file = write_grouped_table(&dir, Fact::NAME, df, reuse.as_deref(), |g| {
                let _ = groups_to.send(g.to_vec());
            })?;
            Ok((file, ms(t)))
        })
    }));
    let facts = &rec.frame;
    let diff = move || {
        let t = Instant::now();
        let (prev, old) = previous?;
        // No groups (the facts not written): every row is compared.
        let groups = groups.recv().unwrap_or_default();
        let changes = crate::publish::read_back::fact_changes(&old, facts, &groups).ok()?;
        Some((prev, changes, ms(t)))
    };
    let stages = || -> Result<_> {
        let t = Instant::now();
        let derived = derive::derive(p, facts).context("deriving the tables")?;
        let derive_ms = ms(t);
        let t = Instant::now();
        let checks = check::check(
            &p.dictionaries.indicators,
            facts,
            &rec.conflicts,
            &derived.monthly,
            &derived.shares,
        )
        .context("checking the figures")?;
        Ok((derived, derive_ms, checks, ms(t)))
    };
    let (stages, changes) = side::beside(stages, diff);
    // A failed comparison only leaves the report without its changes section.
    let changes = changes.ok().flatten();
    let (derived, derive_ms, checks, check_ms) = stages?;
    tables.derived = derived;
    tables.checks = checks;
    timings.insert("derive".into(), derive_ms);
    timings.insert("check".into(), check_ms);
    let changes = changes.map(|(prev, rows, diff_ms)| {
        timings.insert("diff".into(), diff_ms);
        (prev, rows)
    });
    tables.facts = rec.frame;
    if let Some(w) = cache_write {
        let t = Instant::now();
        // A failed write only costs parsing next time.
        let _ = w.join();
        timings.insert("cache_wait".into(), ms(t));
    }

    Ok(Computed {
        tables,
        inputs,
        warnings,
        timings_ms: timings,
        changes,
        observations_written: observations_written.0.take(),
        facts_written: facts_written.0.take(),
        previous_parts,
    })
}

/// Sorts one file's observation rows (`extract`) in the order `normalize::frame::sort`
/// gives a run's frame: fact key, then place.
pub fn sort_observations(obs: &mut [Observation]) {
    use rayon::slice::ParallelSliceMut;
    obs.par_sort_by(|a, b| {
        reconcile::facts::key_ref(a)
            .cmp(&reconcile::facts::key_ref(b))
            .then_with(|| a.source_path.cmp(&b.source_path))
            .then_with(|| a.locator.cmp(&b.locator))
            .then_with(|| a.obs_id.cmp(&b.obs_id))
    });
}

/// A path problem of the pipeline (a glob, the output directory) as a config error.
fn paths_error(p: &Pipeline, message: String) -> crate::error::ConfigError {
    crate::error::ConfigError {
        file: p.file.clone(),
        line: None,
        key: Some("sources.paths".into()),
        message,
        hint: "fix the paths of [[sources]] or `output`".into(),
    }
}

/// Runs the pipeline and publishes it: the `run` command.
pub fn run(p: &Pipeline, progress: &Progress, full: bool) -> Result<RunSummary> {
    let started_at = now_utc();
    let t_all = Instant::now();
    // Refused before anything is created, the output directory included.
    discover::check_paths(p).map_err(|e| paths_error(p, e))?;
    let _lock = RunLock::acquire(&p.out_dir)?;
    // Before the run's threads start.
    crate::allocator::for_run(full || !crate::ingest::cache::Cache::present(p));
    let swept = crate::publish::run_dir::sweep(&p.out_dir);
    let t = Instant::now();
    let cache = crate::ingest::cache::Cache::load(p, !full);
    let load_ms = ms(t);
    // The report compares with the previous run's facts: read them while the stages run.
    let previous_run = crate::publish::run_dir::current_run(&p.out_dir);
    let previous_facts = previous_run.clone().map(|prev| {
        let dir = p.out_dir.join("runs").join(&prev);
        let read = crate::side::spawn(move || crate::publish::read_back::stored_facts(&dir));
        (prev, read)
    });
    let parts = previous_run.filter(|_| !full).map(|prev| {
        let dir = p.out_dir.join("runs").join(&prev);
        crate::side::spawn(move || PreviousParts::read(&dir))
    });
    let pending = PendingRun::create(&p.out_dir, &run_stamp())?;
    let publishing = Publishing {
        previous: previous_facts,
        dir: &pending.tmp,
        parts,
        full,
    };
    let mut c = match compute(p, progress, Some(cache), Some(publishing)) {
        Ok(c) => c,
        Err(e) => {
            pending.abandon();
            return Err(e);
        }
    };
    c.timings_ms.insert("cache_load".into(), load_ms);
    progress.stage("publish");

    let t = Instant::now();
    let observations_written = c.observations_written.take();
    let facts_written = c.facts_written.take();
    // The report's rows of both tables, read side by side (one after the other they
    // kept a core idle before the tables could start); the park charts are drawn from
    // them while the tables are written.
    let (report_facts, report_monthly) = rayon::join(
        || crate::report::facts_read(&c.tables.facts),
        || {
            crate::report::monthly_read(
                &c.tables.derived.monthly,
                &p.main_indicators,
                &p.dictionaries.indicators,
                &c.tables.checks,
            )
        },
    );
    let changes = c.changes.take();
    let tables = &c.tables;
    let report_facts = &report_facts;
    let report_monthly = &report_monthly;
    let parks = move || {
        let t = Instant::now();
        let facts = report_facts
            .as_ref()
            .map_err(Clone::clone)
            .and_then(FactRef::rows);
        let monthly = report_monthly
            .as_ref()
            .map_err(Clone::clone)
            .and_then(MonthlyRef::rows);
        let parks = match (&facts, &monthly) {
            (Ok(f), Ok(m)) => crate::report::render_parks(&report_input(p, tables, f, m)),
            (Err(e), _) | (_, Err(e)) => Err(anyhow::anyhow!("reading the tables back: {e}")),
        };
        (facts, monthly, parks, ms(t))
    };
    let previous_parts = c.previous_parts.take();
    let (written, side) = side::beside(
        || {
            write_tables(
                &pending.tmp,
                tables,
                observations_written,
                facts_written,
                previous_parts.as_deref(),
            )
        },
        parks,
    );
    let outputs = match written {
        Ok((o, early_ms)) => {
            if let Some(took) = early_ms {
                c.timings_ms.insert("write_observations".into(), took);
            }
            o
        }
        Err(e) => {
            pending.abandon();
            return Err(e);
        }
    };
    let mut checks = BTreeMap::new();
    for s in [Severity::Error, Severity::Warn, Severity::Info] {
        checks.insert(
            s.as_str().to_string(),
            c.tables.checks.iter().filter(|x| x.severity == s).count(),
        );
    }
    let failed = c.inputs.iter().any(|i| i.status == "failed");
    let exit_code = if failed || checks["error"] > 0 {
        exit::PARTIAL
    } else {
        exit::OK
    };
    c.timings_ms.insert("publish".into(), ms(t));
    c.timings_ms.insert("total".into(), ms(t_all));
    let manifest = RunManifest {
        tool: "parkstat".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id: pending.run_id.clone(),
        pipeline: p.name.clone(),
        config_hash: p.config_hash.clone(),
        started_at,
        finished_at: now_utc(),
        exit_code,
        inputs: c.inputs,
        outputs,
        checks,
        warnings: c.warnings,
        timings_ms: c.timings_ms,
        peak_rss_kb: None,
    };
    // The report is for people; a failure to draw it is a warning, never a lost run.
    let t_report = Instant::now();
    let mut manifest = manifest;
    let html = match side {
        Ok((Ok(facts), Ok(monthly), Ok(parks), parks_ms)) => {
            manifest.timings_ms.insert("report_parks".into(), parks_ms);
            let input = report_input(p, &c.tables, &facts, &monthly);
            crate::report::render(&manifest, &input, changes, parks)
        }
        Ok((_, _, Err(e), _)) => Err(e),
        Ok(_) => Err(anyhow::anyhow!("the tables could not be read back")),
        Err(_) => Err(anyhow::anyhow!("drawing the park charts failed")),
    }
    .and_then(|h| {
        let path = pending.tmp.join("report.html");
        h.write(&path).context("writing report.html")?;
        crate::publish::run_dir::flush_soon(&path);
        Ok(())
    });
    if let Err(e) = html {
        manifest
            .warnings
            .push(format!("report.html not written: {e:#}"));
    }
    manifest.timings_ms.insert("report".into(), ms(t_report));
    manifest.peak_rss_kb = crate::publish::manifest::peak_rss_kb();
    let json = serde_json::to_vec_pretty(&manifest)?;
    if let Err(e) = std::fs::write(pending.tmp.join("run.json"), json).context("writing run.json") {
        pending.abandon();
        return Err(e);
    }
    let run_id = pending.run_id.clone();
    let out_dir = pending.out_dir.clone();
    let published = pending.publish();
    let run_dir = match published {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_dir_all(out_dir.join("runs").join(&run_id));
            return Err(e.context("publishing the run; `current` still points at the previous run"));
        }
    };
    let _ = swept.join();
    prune(&p.out_dir, p.keep_runs);
    // Handing millions of small strings back to the allocator one by one takes a
    // noticeable part of a run; a CLI run exits right after, so free them off the
    // critical path (a long-lived caller still gets the memory back).
    let tables = std::mem::take(&mut c.tables);
    std::thread::spawn(move || drop(tables));

    Ok(RunSummary {
        manifest,
        run_dir: Some(run_dir),
        exit_code,
    })
}

/// What the report is drawn from.
fn report_input<'a, 'r>(
    p: &'a Pipeline,
    t: &'a Tables,
    facts: &'a [FactRef<'r>],
    monthly: &'a [MonthlyRef<'r>],
) -> crate::report::ReportInput<'a, 'r> {
    crate::report::ReportInput {
        entities: p.entities.all(),
        main_indicators: &p.main_indicators,
        indicators: &p.dictionaries.indicators,
        facts,
        monthly,
        checks: &t.checks,
        rejects: &t.rejects,
    }
}

/// Writes every table in parallel; the observations unless they are being written.
fn write_tables(
    dir: &std::path::Path,
    t: &Tables,
    observations: Option<Side<Result<(TableFile, u64)>>>,
    facts: Option<Side<Result<(TableFile, u64)>>>,
    previous: Option<&PreviousParts>,
) -> Result<(BTreeMap<String, TableFile>, Option<u64>)> {
    let out: Mutex<BTreeMap<String, TableFile>> = Mutex::new(BTreeMap::new());
    let err: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let record = |name: &str, r: Result<TableFile>| match r {
        Ok(f) => {
            out.lock()
                .expect("no panics while holding this lock")
                .insert(name.to_string(), f);
        }
        Err(e) => {
            err.lock()
                .expect("no panics while holding this lock")
                .get_or_insert(e);
        }
    };
    let writing = observations.is_some();
    let facts_early = facts.is_some();
    let grouped = |name: &'static str, df: &DataFrame| {
        let previous = previous.and_then(|p| p.grouped(name));
        record(
            name,
            write_grouped_table(dir, name, df.clone(), previous, |_| {}),
        )
    };
    rayon::scope(|s| {
        if !writing {
            s.spawn(|_| {
                record(
                    Observation::NAME,
                    crate::normalize::frame::published(&t.observations)
                        .context("selecting the observations' columns")
                        .and_then(|df| {
                            write_partitioned_frame(dir, Observation::NAME, df, previous, None)
                        }),
                )
            });
        }
        if !facts_early {
            s.spawn(|_| {
                record(
                    Fact::NAME,
                    write_grouped_table(dir, Fact::NAME, t.facts.clone(), None, |_| {}),
                )
            });
        }
        s.spawn(|_| {
            record(
                crate::model::Monthly::NAME,
                write_partitioned_frame(
                    dir,
                    crate::model::Monthly::NAME,
                    t.derived.monthly.clone(),
                    previous,
                    None,
                ),
            )
        });
        s.spawn(|_| grouped(crate::model::Quarterly::NAME, &t.derived.quarterly));
        s.spawn(|_| {
            record(
                crate::model::Annual::NAME,
                write_frame_table(dir, crate::model::Annual::NAME, t.derived.annual.clone()),
            )
        });
        s.spawn(|_| {
            record(
                crate::model::Share::NAME,
                write_frame_table(dir, crate::model::Share::NAME, t.derived.shares.clone()),
            )
        });
        s.spawn(|_| grouped(crate::model::Ranking::NAME, &t.derived.rankings));
        s.spawn(|_| record(Check::NAME, write_table(dir, &t.checks)));
        s.spawn(|_| record(Reject::NAME, write_table(dir, &t.rejects)));
    });
    // The writer started beside the stages has run on while the others were written.
    if let Some(w) = facts {
        let r = w
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("writing the facts failed")));
        record(Fact::NAME, r.map(|(f, _)| f));
    }
    let early = observations.map(|w| {
        w.join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("writing the observations failed")))
    });
    if let Some(e) = err.into_inner().expect("no panics while holding this lock") {
        return Err(e);
    }
    let mut out = out.into_inner().expect("no panics while holding this lock");
    let early_ms = match early {
        Some(Ok((file, took))) => {
            out.insert(Observation::NAME.to_string(), file);
            Some(took)
        }
        Some(Err(e)) => return Err(e),
        None => None,
    };
    Ok((out, early_ms))
}
