//! The output directory: the lock, a run written whole, the atomic swap of `current`, retention.
//!
//! ```text
//! out/<pipeline>/.lock
//! out/<pipeline>/runs/<run_id>/      a complete run (tables, run.json)
//! out/<pipeline>/runs/.tmp-<run_id>/ a run being written; never read
//! out/<pipeline>/current -> runs/<run_id>
//! ```

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::LockHeld;

/// Holds the pipeline's lock for as long as it lives; the OS releases it when the process ends.
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock at `<out_dir>/.lock`, or says who holds it.
    pub fn acquire(out_dir: &Path) -> Result<RunLock> {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating output directory {}", out_dir.display()))?;
        let path = out_dir.join(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = if holder.trim().is_empty() {
                    "a process that has not written its pid yet".to_string()
                } else {
                    holder.trim().to_string()
                };
                return Err(LockHeld { lock: path, holder }.into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(
            file,
            "pid {} since {}",
            std::process::id(),
            crate::publish::now_utc()
        )?;
        file.flush()?;
        Ok(RunLock { _file: file })
    }
}

/// A run directory being written; published with [`PendingRun::publish`].
pub struct PendingRun {
    pub out_dir: PathBuf,
    pub run_id: String,
    /// Where tables are written now.
    pub tmp: PathBuf,
}

impl PendingRun {
    /// Creates `runs/.tmp-<run_id>/` with a run id unique in `runs/`.
    pub fn create(out_dir: &Path, stamp: &str) -> Result<PendingRun> {
        let runs = out_dir.join("runs");
        std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
        // Runs sort by id, oldest first: a run of a second that already has runs (kept,
        // pending or retired) takes the next number after theirs, never a freed one.
        let taken = std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = [".tmp-", RETIRED]
                    .iter()
                    .find_map(|p| name.strip_prefix(p))
                    .unwrap_or(&name);
                match id.strip_prefix(stamp)? {
                    "" => Some(1),
                    n => n.strip_prefix('-')?.parse::<u32>().ok(),
                }
            })
            .max();
        let run_id = match taken {
            None => stamp.to_string(),
            Some(n) => format!("{stamp}-{:03}", n + 1),
        };
        let tmp = runs.join(format!(".tmp-{run_id}"));
        std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(PendingRun {
            out_dir: out_dir.to_path_buf(),
            run_id,
            tmp,
        })
    }

    /// Makes the run visible: fsync, rename into `runs/<run_id>`, then swap `current` with one rename.
    pub fn publish(self) -> Result<PathBuf> {
        sync_dir_files(&self.tmp)?;
        let runs = self.out_dir.join("runs");
        let final_dir = runs.join(&self.run_id);
        std::fs::rename(&self.tmp, &final_dir).with_context(|| {
            format!("renaming {} to {}", self.tmp.display(), final_dir.display())
        })?;
        sync_dir(&runs);
        crate::publish::failpoint("before_swap")?;
        let link_tmp = self.out_dir.join(format!(".current-{}", self.run_id));
        let _ = std::fs::remove_file(&link_tmp);
        std::os::unix::fs::symlink(Path::new("runs").join(&self.run_id), &link_tmp)
            .with_context(|| format!("creating link {}", link_tmp.display()))?;
        std::fs::rename(&link_tmp, self.out_dir.join("current"))
            .context("swapping the `current` link")?;
        sync_dir(&self.out_dir);
        Ok(final_dir)
    }

    /// Removes a run that will not be published.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
        let _ = std::fs::remove_dir_all(self.out_dir.join("runs").join(&self.run_id));
    }
}

/// Starts flushing a file just written into a pending run to disk, on a thread of its
/// own, while the run goes on: `publish` then finds most of the run's data on disk and
/// its own flush (which alone makes the run durable) is quick. The last of a rerun's
/// steps were this flush, ~12 ms of the medium bench's 57 files.
pub fn flush_soon(path: &Path) {
    use std::sync::mpsc::{channel, Sender};
    use std::sync::{Mutex, OnceLock};
    static QUEUE: OnceLock<Mutex<Sender<PathBuf>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<PathBuf>();
        std::thread::spawn(move || {
            for p in rx {
                // A failure here is found again by `publish`'s flush.
                let _ = File::open(&p).and_then(|f| f.sync_data());
            }
        });
        Mutex::new(tx)
    });
    if let Ok(tx) = queue.lock() {
        let _ = tx.send(path.to_path_buf());
    }
}

/// Flushes every file under `dir` to disk, the partitions' files under their `year=`
/// folders included, then the folders themselves: only then may a rename make the
/// run visible, or a power cut could leave `current` pointing at empty files.
fn sync_dir_files(dir: &Path) -> Result<()> {
    use rayon::prelude::*;
    let (files, dirs) = tree(dir)?;
    files
        .par_iter()
        .try_for_each(|f| File::open(f).and_then(|f| f.sync_all()))
        .with_context(|| format!("flushing the files of {} to disk", dir.display()))?;
    for d in dirs.iter().rev() {
        sync_dir(d);
    }
    Ok(())
}

/// The files under `dir` and its folders (`dir` first, each folder before the ones in it).
fn tree(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let (mut files, mut dirs) = (Vec::new(), vec![dir.to_path_buf()]);
    let mut i = 0;
    while i < dirs.len() {
        for e in std::fs::read_dir(&dirs[i])? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_file() {
                files.push(e.path());
            } else if t.is_dir() {
                dirs.push(e.path());
            }
        }
        i += 1;
    }
    Ok((files, dirs))
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// The prefix of a run directory `prune` retired, to be deleted by `sweep`.
const RETIRED: &str = ".old-";

/// Deletes the runs `prune` retired, on a thread of its own: the run that calls it
/// holds the lock, so nothing else writes there meanwhile. Whatever is left (the
/// process ended first) is deleted next time.
pub fn sweep(out_dir: &Path) -> std::thread::JoinHandle<()> {
    let runs = out_dir.join("runs");
    std::thread::spawn(move || {
        for e in std::fs::read_dir(&runs).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(RETIRED) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    })
}

/// The run `current` points at, if any.
pub fn current_run(out_dir: &Path) -> Option<String> {
    let target = std::fs::read_link(out_dir.join("current")).ok()?;
    target.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Published runs, oldest first.
pub fn list_runs(out_dir: &Path) -> Vec<String> {
    let mut runs: Vec<String> = std::fs::read_dir(out_dir.join("runs"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    runs.sort();
    runs
}

/// Retires the oldest runs beyond `keep`, never the current one, and deletes leftovers of
/// crashed runs. A retired run is renamed `runs/.old-<id>` at once (no longer a run
/// `list_runs`, `diff` or a BI tool sees) and deleted by the next run, beside its stages
/// (`sweep`): deleting its ~60 files took 10–20 ms at the end of every run.
pub fn prune(out_dir: &Path, keep: usize) {
    let current = current_run(out_dir);
    let runs = list_runs(out_dir);
    let excess = runs.len().saturating_sub(keep);
    let dir = out_dir.join("runs");
    for r in runs.iter().take(excess) {
        if Some(r) != current.as_ref() {
            let old = dir.join(format!("{RETIRED}{r}"));
            if std::fs::rename(dir.join(r), &old).is_err() {
                let _ = std::fs::remove_dir_all(dir.join(r));
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(out_dir.join("runs")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(out_dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".current-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is flushed before a run is renamed into place: the partitions' files under
    /// their `year=` folders too, and every folder, outermost first.
    #[test]
    fn every_file_of_a_run_is_flushed_partitions_included() {
        let d = tempfile::tempdir().unwrap();
        let run = d.path();
        let part = run.join("observations/year=2024");
        std::fs::create_dir_all(&part).unwrap();
        for f in [
            run.join("facts.parquet"),
            run.join("run.json"),
            part.join("part-00000.parquet"),
        ] {
            std::fs::write(f, b"x").unwrap();
        }
        let (mut files, dirs) = tree(run).unwrap();
        files.sort();
        assert_eq!(
            files,
            [
                run.join("facts.parquet"),
                part.join("part-00000.parquet"),
                run.join("run.json"),
            ]
        );
        assert_eq!(dirs, [run.to_path_buf(), run.join("observations"), part]);
        sync_dir_files(run).unwrap();
    }
}
