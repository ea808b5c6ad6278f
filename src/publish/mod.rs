//! Publish: every table as Parquet plus `run.json`, written whole, then made `current` atomically.

pub mod csv_out;
pub mod manifest;
pub mod parquet;
pub mod parts;
pub mod read_back;
pub mod run_dir;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Result};

/// Current UTC time as `2024-09-01T08:00:00Z`.
pub fn now_utc() -> String {
    let (y, mo, d, h, mi, s) = utc_parts(SystemTime::now());
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A run id from the current UTC time: `20240901T080000Z`.
pub fn run_stamp() -> String {
    let (y, mo, d, h, mi, s) = utc_parts(SystemTime::now());
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

fn utc_parts(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// Fails on purpose where `PARKSTAT_FAILPOINT` names this point: lets tests
/// show that a failure at that moment leaves `current` whole.
pub fn failpoint(name: &str) -> Result<()> {
    if std::env::var("PARKSTAT_FAILPOINT").is_ok_and(|v| v == name) {
        bail!("failpoint `{name}` reached (PARKSTAT_FAILPOINT is set)");
    }
    Ok(())
}

/// Path of the run `current` points at.
pub fn current_dir(out_dir: &Path) -> std::path::PathBuf {
    out_dir.join("current")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(utc_parts(UNIX_EPOCH), (1970, 1, 1, 0, 0, 0));
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_725_148_800 + 3661);
        assert_eq!(utc_parts(t), (2024, 9, 1, 1, 1, 1));
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(1_709_164_800);
        assert_eq!(utc_parts(leap), (2024, 2, 29, 0, 0, 0));
    }
}
