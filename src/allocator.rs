//! mimalloc's purge delay: how long freed memory is kept before it is given back to
//! the system. The command line makes mimalloc the global allocator (`main.rs`); a
//! user's `MIMALLOC_PURGE_DELAY` always decides over what is set here.

/// `mi_option_purge_delay`: its place in mimalloc v3's `mi_option_t` (libmimalloc-sys names
/// no constant for it); the binary's `purge_delay_is_the_option_we_set` fails if a new
/// mimalloc moves it.
pub const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Set before any other thread starts, for every command: mimalloc's default keeps
/// freed memory for a second. A rerun is short (~0.3 s on the medium bench) and with
/// 200 ms gave memory freed after its sort back just before it exited: 500 ms spared
/// that, reruns 2.5% faster (12 alternating pairs) for a peak 20 MiB higher (259 ->
/// 279 MiB). It must be set before the first free: mimalloc schedules the next purge
/// when memory is first freed after the last one, with the delay then in effect.
pub fn tune() {
    set_purge_delay(USUAL_MS);
}

/// The purge delay for a run. One that parses every input (`--full`, or no cache
/// yet) frees the many small frames of its inputs as it goes: kept long, they were
/// its peak (~330 MB on the medium bench with 200 ms, of ~265 MB live). With 20 ms
/// the peak is ~280 MB and the run ~1% longer. A rerun keeps [`USUAL_MS`]: with 20
/// ms it took 7% longer.
pub fn for_run(parses_everything: bool) {
    set_purge_delay(if parses_everything {
        PARSING_EVERYTHING_MS
    } else {
        USUAL_MS
    });
}

/// The delay [`tune`] sets, and a rerun's.
pub const USUAL_MS: i64 = 500;
/// The delay of a run that parses every input.
pub const PARSING_EVERYTHING_MS: i64 = 20;

/// The purge delay in effect, in ms.
// `c_long` is 32 bits on some targets.
#[allow(clippy::useless_conversion)]
pub fn purge_delay() -> i64 {
    // SAFETY: reads one option of the linked mimalloc.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) })
}

fn set_purge_delay(ms: i64) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: called before the threads of a run start (rayon's pool, if built,
        // idle); mimalloc reads the option's value each time it purges.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms as _) };
    }
}
