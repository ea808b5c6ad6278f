//! The `parkstat` command line. Exit codes: 0 clean; 2 bad usage or config
//! (or another run holds the lock), nothing written; 3 published, but some
//! inputs failed or error-level checks fired; 1 crash, nothing published.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parkstat::cli;
use parkstat::error::{exit, exit_code_of};

/// A run makes millions of short strings (every figure's names, units and lineage);
/// glibc's malloc and free took an eighth of text extraction, mimalloc a fraction of that.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Before any thread starts: see `parkstat::allocator`.
fn tune_allocator() {
    parkstat::allocator::tune();
}

#[derive(Parser)]
#[command(
    name = "parkstat",
    version,
    about = "Industrial-park statistics: spreadsheets, CSV and report text → reconciled Parquet tables"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline and publish its tables under out/<pipeline>/current/.
    Run {
        /// Pipeline file.
        #[arg(default_value = "pipelines/default.toml")]
        pipeline: PathBuf,
        /// Threads to use (default: all cores); with 1, everything runs on one thread.
        #[arg(long)]
        jobs: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Read and check everything, write nothing (same as `validate`).
        #[arg(long)]
        dry_run: bool,
        /// Parse every input again, ignoring the per-input cache.
        #[arg(long)]
        full: bool,
        /// `text` (a one-screen summary) or `json` (one JSON object on stderr, for schedulers).
        #[arg(long, value_enum, default_value_t = cli::run::LogFormat::Text)]
        log_format: cli::run::LogFormat,
    },
    /// Show what input files yield, without a pipeline run.
    Extract {
        /// Input files (.csv now; .txt and spreadsheets as their readers land).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = cli::extract::Format::Table)]
        format: cli::extract::Format,
        /// Use this pipeline's entities and dictionaries instead of the built-in ones.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// Facts added, removed and changed between two retained runs (default: the last two).
    Diff {
        /// The older run: a run id under runs/, or `current`.
        run_a: Option<String>,
        /// The newer run (default: `current` when RUN_A is given).
        run_b: Option<String>,
        #[arg(long, default_value = "pipelines/default.toml")]
        pipeline: PathBuf,
        #[arg(long, value_enum, default_value_t = cli::extract::Format::Table)]
        format: cli::extract::Format,
    },
    /// Write report.html (one self-contained page) for a retained run (default: current).
    Report {
        /// A run id under runs/, or `current`.
        run: Option<String>,
        #[arg(long, default_value = "pipelines/default.toml")]
        pipeline: PathBuf,
    },
    /// Check a pipeline and its inputs; write nothing.
    Validate {
        #[arg(default_value = "pipelines/default.toml")]
        pipeline: PathBuf,
    },
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code as u8);
        }
    };
    let result = match cli.command {
        Command::Run {
            pipeline,
            jobs,
            quiet,
            dry_run,
            full,
            log_format,
        } => {
            if dry_run {
                cli::set_jobs(jobs).and_then(|_| cli::validate::execute(&pipeline))
            } else {
                cli::run::execute(&pipeline, jobs, quiet, log_format, full)
            }
        }
        Command::Extract {
            files,
            format,
            pipeline,
        } => cli::extract::execute(&files, format, pipeline.as_deref()),
        Command::Validate { pipeline } => cli::validate::execute(&pipeline),
        Command::Report { run, pipeline } => cli::report::execute(&pipeline, run.as_deref()),
        Command::Diff {
            run_a,
            run_b,
            pipeline,
            format,
        } => cli::diff::execute(&pipeline, run_a.as_deref(), run_b.as_deref(), format),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("parkstat: error: {e:#}");
            ExitCode::from(exit_code_of(&e) as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_the_option_we_set() {
        use parkstat::allocator::MI_OPTION_PURGE_DELAY;
        // SAFETY: reads and sets options of the linked mimalloc; nothing else in this
        // test binary sets them.
        let get = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        let default = get();
        tune_allocator();
        let set = get();
        parkstat::allocator::for_run(true);
        let parsing = get();
        // 1000 ms is v3's documented default of purge_delay and of no neighbouring option.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(
                default, 1000,
                "option {MI_OPTION_PURGE_DELAY} is not purge_delay"
            );
            assert_eq!((set, parsing), (500, 20));
        } else {
            assert_eq!(
                (set, parsing),
                (default, default),
                "the user's setting decides"
            );
        }
    }
}
