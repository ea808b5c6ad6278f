//! Progress for people at a terminal: a bar while inputs are read, the stage after.
//! Never drawn when stderr is not a terminal (cron, systemd, CI logs) or with --quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shows nothing.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// A bar on stderr when it is a terminal; otherwise nothing.
    pub fn on_terminal() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:<10} [{bar:30}] {pos}/{len} files {per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Progress { bar: Some(bar) }
    }

    pub fn files(&self, n: usize) {
        if let Some(b) = &self.bar {
            b.set_length(n as u64);
            b.set_message("ingest");
        }
    }

    pub fn file_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    pub fn stage(&self, name: &str) {
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
