//! The one place that decides serial or parallel, and owns lamina's rayon pool.
//!
//! * `LAMINA_NUM_THREADS` sets the pool size (default: all cores), read when the pool is first used.
//! * Work below [`GRAIN`] elements runs serially on the calling thread, so tiny ops stay fast.
//! * Parallel kernels never nest: kernels called from inside a parallel region run serially.
//! * After `fork()` the child gets a fresh pool on first use (the parent's worker threads do not
//!   exist in the child; using the old pool would deadlock).
//! * The process's main thread, when it is the one that first uses the pool, becomes one of the
//!   pool's threads (worker 0; the pool then starts one thread fewer). Its parallel kernels run
//!   their share on the calling thread instead of handing all of it to sleeping workers and
//!   blocking: each parallel region wakes one thread fewer, and when a worker is slow to wake the
//!   caller takes its share too. A pool rebuilt later (`set_num_threads`, or in a forked child)
//!   cannot include that thread again (rayon allows one pool per thread) and runs all work on
//!   its own threads, as pools built from other threads do.
//! * Short, latency-bound kernels (batch-1 products) use a [`team`] instead of the pool: helpers
//!   that keep looking for work for a moment after each job, and always take the same share.
pub mod team;

use ndarray::{ArcArray, ArrayD, ArrayViewD, IxDyn, Zip};
use rayon::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;

thread_local! {
    /// True while this thread is inside [`install`]: kernels it runs then stay serial.
    static IN_REGION: Cell<bool> = const { Cell::new(false) };
    /// True on the thread that a pool was built around (see the module doc): being a rayon
    /// worker does not, on this thread, mean running inside a parallel region.
    static IS_CALLER: Cell<bool> = const { Cell::new(false) };
}

/// Elements below which an elementwise kernel runs serially (~30 µs of serial work).
pub const GRAIN: usize = 32 * 1024;

/// Bumped in the child after every fork, so the pool is rebuilt there.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
/// The current pool (leaked, so `&'static`), and the fork generation it was built in.
static POOL: AtomicPtr<PoolEntry> = AtomicPtr::new(std::ptr::null_mut());
static THREADS_OVERRIDE: AtomicUsize = AtomicUsize::new(0);
static ATFORK: Once = Once::new();

struct PoolEntry {
    generation: u64,
    pool: rayon::ThreadPool,
}

/// The current team (leaked, so `&'static`), and the fork generation it was built in.
static TEAM: AtomicPtr<TeamEntry> = AtomicPtr::new(std::ptr::null_mut());

struct TeamEntry {
    generation: u64,
    team: team::Team,
}

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

fn configured_threads() -> usize {
    let o = THREADS_OVERRIDE.load(Ordering::Relaxed);
    if o > 0 {
        return o;
    }
    std::env::var("LAMINA_NUM_THREADS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// Sets the pool size for pools built from now on (the current pool is replaced on next use).
pub fn set_num_threads(n: usize) {
    THREADS_OVERRIDE.store(n.max(1), Ordering::SeqCst);
    // Force a rebuild: a new generation makes the current pool stale. The old pool is leaked on
    // purpose (it may still be running work for another caller).
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// lamina's thread pool.
pub fn pool() -> &'static rayon::ThreadPool {
    ATFORK.call_once(|| {
        // SAFETY: registering a plain extern "C" handler that only touches an atomic.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
    let gen = FORK_GENERATION.load(Ordering::SeqCst);
    let cur = POOL.load(Ordering::Acquire);
    // SAFETY: entries are leaked boxes, never freed.
    if !cur.is_null() && unsafe { (*cur).generation } == gen {
        return unsafe { &(*cur).pool };
    }
    let pool = build_pool(configured_threads());
    let entry = Box::into_raw(Box::new(PoolEntry {
        generation: gen,
        pool,
    }));
    match POOL.compare_exchange(cur, entry, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => unsafe { &(*entry).pool },
        // Another thread installed a pool first: use it (ours is leaked, harmless).
        Err(other) => unsafe { &(*other).pool },
    }
}

/// Whether the calling thread is the process's main thread.
fn on_main_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: both calls only read the caller's ids (the raw syscall, since glibc's gettid
        // wrapper is newer than some systems the wheel may run on).
        unsafe { libc::syscall(libc::SYS_gettid) == libc::getpid() as libc::c_long }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// A pool of `threads` threads; the calling thread is one of them when it is the main thread
/// and not yet part of a pool (see the module doc).
fn build_pool(threads: usize) -> rayon::ThreadPool {
    let builder = || {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lamina-{i}"))
    };
    if threads > 1 && on_main_thread() && !IS_CALLER.with(Cell::get) {
        if let Ok(pool) = builder().use_current_thread().build() {
            IS_CALLER.with(|c| c.set(true));
            return pool;
        }
    }
    builder()
        .build()
        .expect("lamina: cannot start the thread pool")
}

/// The team for latency-bound kernels, as many members as the pool has threads; rebuilt with the
/// pool (thread count changed, forked child). Old teams are leaked: their helpers stay parked.
pub fn team() -> &'static team::Team {
    let threads = num_threads();
    let gen = FORK_GENERATION.load(Ordering::SeqCst);
    let cur = TEAM.load(Ordering::Acquire);
    // SAFETY: entries are leaked boxes, never freed.
    if !cur.is_null() && unsafe { (*cur).generation } == gen {
        return unsafe { &(*cur).team };
    }
    let entry = Box::into_raw(Box::new(TeamEntry {
        generation: gen,
        team: team::Team::new(threads),
    }));
    match TEAM.compare_exchange(cur, entry, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => unsafe { &(*entry).team },
        // Another thread installed a team first: use it (ours is leaked, its helpers park).
        Err(other) => unsafe { &(*other).team },
    }
}

/// The number of threads parallel kernels use.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// True when called from inside a parallel region: from a pool thread, or from a thread that is
/// running [`install`] (kernels then stay serial: no nesting).
pub fn in_worker() -> bool {
    IN_REGION.with(Cell::get)
        || (rayon::current_thread_index().is_some() && !IS_CALLER.with(Cell::get))
}

/// Whether work of `n` elements should run in parallel.
#[inline]
pub fn should_parallelize(n: usize) -> bool {
    n >= GRAIN && !in_worker() && num_threads() > 1
}

/// Runs `f` inside lamina's pool; on the thread the pool was built around, `f` runs right here
/// and its parallel iterators share the work with the pool's other threads.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if IN_REGION.with(Cell::get) {
        return f();
    }
    /// Leaves the region even when `f` panics.
    struct Region;
    impl Drop for Region {
        fn drop(&mut self) {
            IN_REGION.with(|r| r.set(false));
        }
    }
    IN_REGION.with(|r| r.set(true));
    let _region = Region;
    team::quiet();
    pool().install(f)
}

/// Maps a view elementwise into a new row-major array, in parallel above the grain size.
pub fn map_array<S, D, F>(a: &ArrayViewD<'_, S>, f: F) -> ArcArray<D, IxDyn>
where
    S: Copy + Send + Sync,
    D: Copy + Send + Sync,
    F: Fn(S) -> D + Sync + Send,
{
    let n = a.len();
    if let Some(src) = a.as_slice() {
        let v = map_slice(src, &f);
        return ArrayD::from_shape_vec(a.raw_dim(), v)
            .expect("shape matches")
            .into_shared();
    }
    let out = if should_parallelize(n) {
        install(|| Zip::from(a).par_map_collect(|&x| f(x)))
    } else {
        Zip::from(a).map_collect(|&x| f(x))
    };
    to_standard(out)
}

/// Maps a contiguous slice into a new `Vec`, in parallel above the grain size.
pub fn map_slice<S, D, F>(src: &[S], f: &F) -> Vec<D>
where
    S: Copy + Send + Sync,
    D: Copy + Send + Sync,
    F: Fn(S) -> D + Sync + Send,
{
    if should_parallelize(src.len()) {
        install(|| {
            src.par_iter()
                .with_min_len(GRAIN / 4)
                .map(|&x| f(x))
                .collect()
        })
    } else {
        src.iter().map(|&x| f(x)).collect()
    }
}

/// Zips two contiguous slices of equal length into a new `Vec`, in parallel above the grain size.
pub fn zip_slices<A, B, D, F>(a: &[A], b: &[B], f: &F) -> Vec<D>
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    D: Copy + Send + Sync,
    F: Fn(A, B) -> D + Sync + Send,
{
    debug_assert_eq!(a.len(), b.len());
    if should_parallelize(a.len()) {
        install(|| {
            a.par_iter()
                .with_min_len(GRAIN / 4)
                .zip(b.par_iter())
                .map(|(&x, &y)| f(x, y))
                .collect()
        })
    } else {
        a.iter().zip(b.iter()).map(|(&x, &y)| f(x, y)).collect()
    }
}

/// Returns a row-major array (copying only if `a` is not already row-major).
pub fn to_standard<D: Copy>(a: ArrayD<D>) -> ArcArray<D, IxDyn> {
    if a.is_standard_layout() {
        a.into_shared()
    } else {
        a.as_standard_layout().into_owned().into_shared()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_slice_serial_and_parallel_agree() {
        let v: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
        let par = map_slice(&v, &|x: f32| x * 2.0);
        let ser: Vec<f32> = v.iter().map(|x| x * 2.0).collect();
        assert_eq!(par, ser);
    }

    #[test]
    fn pool_is_reused() {
        let a = pool() as *const _;
        let b = pool() as *const _;
        assert_eq!(a, b);
    }
}
