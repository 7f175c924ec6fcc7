//! A team for short, latency-bound kernels: the product of a batch-1 layer, a few microseconds
//! of work that reads a weight matrix once.
//!
//! rayon's workers go to sleep a few microseconds after their last job, and waking one costs
//! more than such a kernel; rayon also gives no say over which thread runs which part, so the
//! part of the weights one core read last time may be read by the other core next time, from
//! the shared cache instead of its own. The team fixes both:
//!
//! * member `t` of `T` always does share `t` of a job (the caller is member 0), so a core keeps
//!   re-reading the same part of the weights from its own L2 cache;
//! * a helper keeps checking for the next job for [`SPIN`] after its last one before it parks,
//!   so the jobs of a model's layers, and of consecutive calls, start at once;
//! * a helper stops spinning as soon as a rayon parallel region starts ([`quiet`]), so it never
//!   competes with the pool for a core for long;
//! * the caller never waits for a helper that has not started: once its own share is done it
//!   takes every share nobody has claimed yet, so a parked or descheduled helper costs at most
//!   the serial time. Which thread runs a share never changes the result: shares are fixed by
//!   the job, not by who runs them.
//!
//! One job at a time: a second caller arriving while the team is busy runs its job alone.
//! Helpers are plain threads, one per pool thread besides the caller; a team is rebuilt (and the
//! old one left parked) when the pool is (thread count changed, or a forked child).
use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a helper keeps looking for a new job after its last one before it parks.
pub const SPIN: Duration = Duration::from_micros(200);

/// Bumped whenever a rayon parallel region starts: spinning helpers then park at once.
static QUIET: AtomicU64 = AtomicU64::new(0);

/// Tells spinning helpers to park (called when a parallel region starts).
#[inline]
pub(crate) fn quiet() {
    QUIET.fetch_add(1, Ordering::Relaxed);
}

/// One job: `f(member, members)` for every member.
type Job<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// What the caller and the helpers share.
struct Shared {
    members: usize,
    /// Number of the current job (0: none yet); a new value announces a job.
    seq: AtomicU64,
    /// The current job: a pointer to a `Job` on the caller's stack, valid until all its shares
    /// are done (the caller waits for that before returning).
    job: AtomicPtr<()>,
    /// For each member, the last job whose share was claimed (by the helper or the caller).
    claimed: Vec<AtomicU64>,
    /// Helper shares of the current job finished so far.
    done: AtomicUsize,
    /// A share panicked (the caller re-raises it).
    panicked: AtomicBool,
    /// Whether each helper is (about to be) parked, so the caller must unpark it.
    parked: Vec<AtomicBool>,
    /// Held by the caller of the current job.
    busy: AtomicBool,
    threads: UnsafeCell<Vec<Thread>>,
}

// SAFETY: `threads` is written once, before any job is announced, and only read afterwards.
unsafe impl Sync for Shared {}

/// A team of `members` threads (the caller and `members - 1` helpers).
pub struct Team {
    shared: Arc<Shared>,
}

impl Team {
    /// A team of `members` (at least 1; with 1 every job runs on the caller).
    pub fn new(members: usize) -> Team {
        let members = members.max(1);
        let shared = Arc::new(Shared {
            members,
            seq: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            claimed: (0..members).map(|_| AtomicU64::new(0)).collect(),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            parked: (0..members).map(|_| AtomicBool::new(false)).collect(),
            busy: AtomicBool::new(false),
            threads: UnsafeCell::new(Vec::new()),
        });
        let mut threads = Vec::with_capacity(members);
        threads.push(std::thread::current());
        for member in 1..members {
            let s = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("lamina-team-{member}"))
                .spawn(move || helper(&s, member));
            match spawned {
                Ok(handle) => threads.push(handle.thread().clone()),
                // No thread: its shares are always taken by the caller.
                Err(_) => threads.push(std::thread::current()),
            }
        }
        // SAFETY: no job has been announced, so no helper reads `threads` yet.
        unsafe { *shared.threads.get() = threads };
        Team { shared }
    }

    /// Number of members (the caller included).
    pub fn members(&self) -> usize {
        self.shared.members
    }

    /// Runs `f(member, members)` for every member, member 0 on the calling thread, and returns
    /// when all have run. Runs everything on the caller when the team is busy with another
    /// caller's job. A panic in any share is re-raised here.
    pub fn run(&self, f: &(dyn Fn(usize, usize) + Sync)) {
        let s = &*self.shared;
        let t = s.members;
        if t == 1
            || s.busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            (0..t).for_each(|m| f(m, t));
            return;
        }
        /// Releases the team even when a share panics on the caller.
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _release = Release(&s.busy);
        let job: Job<'_> = f;
        s.job
            .store(&job as *const Job<'_> as *mut (), Ordering::Relaxed);
        s.done.store(0, Ordering::Relaxed);
        s.panicked.store(false, Ordering::Relaxed);
        let seq = s.seq.load(Ordering::Relaxed) + 1;
        s.seq.store(seq, Ordering::SeqCst);
        // SAFETY: `threads` was filled before the first job (see `new`).
        let threads = unsafe { &*s.threads.get() };
        for m in 1..t {
            if s.parked[m].load(Ordering::SeqCst) {
                threads[m].unpark();
            }
        }
        // Own share, then every share no helper has started. The helpers' shares must finish
        // before `job` (on this stack) goes away, even if the own share panics.
        let own = catch_unwind(AssertUnwindSafe(|| f(0, t)));
        let mut mine = 0;
        for m in 1..t {
            if claim(s, m, seq) {
                if catch_unwind(AssertUnwindSafe(|| f(m, t))).is_err() {
                    s.panicked.store(true, Ordering::Relaxed);
                }
                mine += 1;
            }
        }
        let mut spins = 0u32;
        while s.done.load(Ordering::Acquire) + mine < t - 1 {
            spins += 1;
            if spins < 1 << 14 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        if let Err(p) = own {
            std::panic::resume_unwind(p);
        }
        if s.panicked.load(Ordering::Relaxed) {
            panic!("a share of a team job panicked on a helper thread");
        }
    }
}

/// Claims member `m`'s share of job `seq`; false when someone already did.
fn claim(s: &Shared, m: usize, seq: u64) -> bool {
    let c = &s.claimed[m];
    let last = c.load(Ordering::Relaxed);
    last < seq
        && c.compare_exchange(last, seq, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
}

/// A helper's life: run member `m`'s share of each new job; spin for [`SPIN`] after the last
/// one (or until a parallel region starts), then park until unparked.
fn helper(s: &Shared, m: usize) {
    let mut seen = s.seq.load(Ordering::Acquire);
    loop {
        let mut last_work = Instant::now();
        let quiet_at = QUIET.load(Ordering::Relaxed);
        let mut spins = 0u32;
        loop {
            let seq = s.seq.load(Ordering::Acquire);
            if seq != seen {
                seen = seq;
                if claim(s, m, seq) {
                    // SAFETY: the share is ours, so job `seq` is still running and its caller
                    // is waiting for us: the job it stored before announcing `seq` is alive.
                    let job = unsafe { *(s.job.load(Ordering::Relaxed) as *const Job<'_>) };
                    if catch_unwind(AssertUnwindSafe(|| job(m, s.members))).is_err() {
                        s.panicked.store(true, Ordering::Relaxed);
                    }
                    s.done.fetch_add(1, Ordering::Release);
                }
                last_work = Instant::now();
                continue;
            }
            spins = spins.wrapping_add(1);
            if spins % 64 == 0
                && (QUIET.load(Ordering::Relaxed) != quiet_at || last_work.elapsed() >= SPIN)
            {
                break;
            }
            std::hint::spin_loop();
        }
        s.parked[m].store(true, Ordering::SeqCst);
        // A job announced after the last check is either seen here or unparks us (the caller
        // reads `parked` after announcing; both sides use SeqCst).
        if s.seq.load(Ordering::SeqCst) == seen {
            std::thread::park();
        }
        s.parked[m].store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_member_runs_once_per_job() {
        for members in [1, 2, 3, 4] {
            let team = Team::new(members);
            assert_eq!(team.members(), members);
            for _ in 0..200 {
                let hits: Vec<AtomicUsize> = (0..members).map(|_| AtomicUsize::new(0)).collect();
                team.run(&|m, t| {
                    assert_eq!(t, members);
                    hits[m].fetch_add(1, Ordering::Relaxed);
                });
                assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
            }
        }
    }

    #[test]
    fn parked_helpers_are_woken_or_replaced_by_the_caller() {
        let team = Team::new(2);
        for _ in 0..5 {
            // Long enough for the helper to park.
            std::thread::sleep(SPIN * 3);
            let sum = AtomicUsize::new(0);
            team.run(&|m, _| {
                sum.fetch_add(m + 1, Ordering::Relaxed);
            });
            assert_eq!(sum.load(Ordering::Relaxed), 3);
        }
    }

    #[test]
    fn concurrent_callers_each_get_all_shares() {
        let team = Arc::new(Team::new(2));
        let errors = Mutex::new(0);
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    for _ in 0..300 {
                        let seen: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
                        team.run(&|m, _| {
                            seen[m].fetch_add(1, Ordering::Relaxed);
                        });
                        if seen.iter().any(|h| h.load(Ordering::Relaxed) != 1) {
                            *errors.lock().unwrap() += 1;
                        }
                    }
                });
            }
        });
        assert_eq!(*errors.lock().unwrap(), 0);
    }

    #[test]
    fn a_panicking_share_is_reraised_and_the_team_stays_usable() {
        let team = Team::new(2);
        for bad in [0, 1] {
            let r = catch_unwind(AssertUnwindSafe(|| {
                team.run(&|m, _| {
                    if m == bad {
                        panic!("share {m}");
                    }
                })
            }));
            assert!(r.is_err());
            let n = AtomicUsize::new(0);
            team.run(&|_, _| {
                n.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(n.load(Ordering::Relaxed), 2);
        }
    }
}
