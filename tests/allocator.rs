//! The purge delay each run sets (`parkstat::allocator`): short when it parses every
//! input, the usual one when it reads the cache. A test binary of its own: nothing
//! else in it runs a pipeline meanwhile.

mod common;

use common::*;
use parkstat::allocator::{purge_delay, PARSING_EVERYTHING_MS, USUAL_MS};

#[test]
fn a_run_that_parses_every_input_gives_freed_memory_back_sooner() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&project().join("data"), &dir.path().join("data"));
    copy_dir(&project().join("pipelines"), &dir.path().join("pipelines"));
    let p = parkstat::config::pipeline::Pipeline::load(&dir.path().join("pipelines/default.toml"))
        .expect("the default pipeline");
    let progress = parkstat::progress::Progress::hidden();
    let user = std::env::var_os("MIMALLOC_PURGE_DELAY").is_some();
    let before = purge_delay();
    let mut seen = Vec::new();
    for full in [false, false, true, false] {
        parkstat::run::run(&p, &progress, full).expect("run");
        seen.push(purge_delay());
    }
    if user {
        assert_eq!(seen, vec![before; 4], "the user's setting decides");
    } else {
        // No cache yet, the cache, `--full`, the cache again.
        assert_eq!(
            seen,
            vec![
                PARSING_EVERYTHING_MS,
                USUAL_MS,
                PARSING_EVERYTHING_MS,
                USUAL_MS
            ]
        );
    }
}
