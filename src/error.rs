//! Typed errors of the core, and the exit code each one means.

use std::path::PathBuf;

/// A pipeline or dictionary file that cannot be used. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{}{}{}: {message}\n  what to do: {hint}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!(": key `{k}`")).unwrap_or_default())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
    pub hint: String,
}

/// Another run holds the pipeline's lock. Exit code 2: nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("another parkstat run is already working on {}: {holder}\n  what to do: wait for it to finish and run again; the lock is released when that process exits, so there is nothing to delete", lock.display())]
pub struct LockHeld {
    pub lock: PathBuf,
    pub holder: String,
}

/// Exit codes of DESIGN.md.
pub mod exit {
    /// Clean run.
    pub const OK: i32 = 0;
    /// Crash: nothing published.
    pub const CRASH: i32 = 1;
    /// Bad usage or config (or the lock is held): nothing written.
    pub const USAGE: i32 = 2;
    /// Published, but some inputs failed or error-level checks fired.
    pub const PARTIAL: i32 = 3;
}

/// The exit code for an error that ended a command.
pub fn exit_code_of(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<ConfigError>() || cause.is::<LockHeld>() || cause.is::<UsageError>() {
            return exit::USAGE;
        }
    }
    exit::CRASH
}

/// The command line asked for something that cannot be done. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
