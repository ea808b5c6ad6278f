//! Work beside the stages (writing the cache and the observations, reading the previous
//! run, comparing with it): on a thread of its own, or in place when the run is held to
//! one thread (`--jobs 1`), so that a run asked to use one core uses one.

use std::thread::JoinHandle;

/// True when the worker pool has a single thread: side work then runs in place.
pub fn in_place() -> bool {
    rayon::current_num_threads() == 1
}

/// Side work started with [`spawn`]: running on its thread, or already done.
pub enum Side<T> {
    /// On a thread of its own.
    Running(JoinHandle<T>),
    /// Run in place (`--jobs 1`): its result.
    Done(T),
}

/// Starts `f` on a thread of its own, or runs it now when the pool has one thread.
pub fn spawn<T, F>(f: F) -> Side<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if in_place() {
        Side::Done(f())
    } else {
        Side::Running(std::thread::spawn(f))
    }
}

impl<T> Side<T> {
    /// Its result; `Err` when its thread panicked, as [`JoinHandle::join`].
    pub fn join(self) -> std::thread::Result<T> {
        match self {
            Side::Running(h) => h.join(),
            Side::Done(t) => Ok(t),
        }
    }
}

/// Runs `work` and `side` beside it on a scoped thread of its own; when the pool has one
/// thread, `side` first and then `work`, in place. `side`'s result is `Err` when its
/// thread panicked, as [`std::thread::ScopedJoinHandle::join`].
pub fn beside<A, B>(
    work: impl FnOnce() -> A,
    side: impl FnOnce() -> B + Send,
) -> (A, std::thread::Result<B>)
where
    B: Send,
{
    if in_place() {
        let b = side();
        (work(), Ok(b))
    } else {
        std::thread::scope(|s| {
            let b = s.spawn(side);
            let a = work();
            (a, b.join())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("a thread pool")
    }

    #[test]
    fn one_thread_runs_side_work_in_place_and_more_beside() {
        let caller = |n| {
            pool(n).install(|| {
                let here = std::thread::current().id();
                let side = spawn(|| std::thread::current().id());
                (here, side.join().expect("no panic"))
            })
        };
        let (here, there) = caller(1);
        assert_eq!(here, there, "--jobs 1 ran side work on another thread");
        let (here, there) = caller(2);
        assert_ne!(here, there, "side work did not get a thread of its own");
    }

    #[test]
    fn work_and_side_work_share_one_thread_only_when_the_pool_has_one() {
        let threads = |n| {
            pool(n).install(|| {
                let id = || std::thread::current().id();
                let (a, b) = beside(id, id);
                (a, b.expect("no panic"))
            })
        };
        let (a, b) = threads(1);
        assert_eq!(a, b, "--jobs 1 ran side work on another thread");
        let (a, b) = threads(2);
        assert_ne!(a, b, "side work did not get a thread of its own");
    }
}
