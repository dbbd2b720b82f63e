//! The process's kept threads, shared by every workspace, and how a call
//! shares its shards with them.
//!
//! A thread started for a call must be placed on an idle core while the
//! calling thread is already busy with its own shard: on the virtual
//! machines measured that wait, and the wake at the join, are a large share
//! of a call of a millisecond or two (BENCHMARKS.md, "Threads are kept").
//! So the process keeps one thread fewer than it has cores, started by the
//! first call that shares a batch, and a call runs its first shard itself.
//! A kept thread that sleeps between calls still waits to be woken, so it
//! spins for a while first ([`Shared::wait_for`]); the caller does the same
//! at the join.
//!
//! Every call claims kept threads for its other shards only while they are
//! free and a core is ([`Load`]); a shard that finds none runs on the
//! calling thread after its first. Several callers at once thus share the
//! cores rather than fight for them, and as each call cuts its batch the
//! same way whoever runs a shard, its bits do not depend on them. A panic
//! in a shard is caught where it runs and raised in its caller alone.
//!
//! A kept thread outlives the call, so it cannot borrow the call's X, y and
//! weights: each call copies them into a [`Job`] for it ([`job`](super::job)).
//! Where a shard is too large to copy cheaply ([`worth_copying`]), the call
//! starts a thread of its own in place of the kept thread it claimed, which
//! borrows what it reads.

use std::fmt;
use std::hint;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::job::{Job, Outcome, worth_copying};
use super::shard::{Cut, ShardBuffers};
use crate::error::Error;
use crate::isa::{self, Path};

/// What passes between a caller and a kept thread.
#[derive(Default)]
struct Slot {
    /// A job for the thread to run.
    job: Option<Job>,
    /// A job it has run, and what came of it.
    done: Option<(Job, Outcome)>,
    /// The storage of its last job, kept for the next caller's copies.
    spare: Option<Job>,
    /// How many threads sleep on the condition variable.
    sleeping: usize,
}

/// The longest a thread spins for a change to the slot before it sleeps.
const SPIN_LIMIT: Duration = Duration::from_millis(1);

/// How busy the process's threads are: callers inside a shared call, and
/// kept threads claimed by one. Nobody spins while their sum exceeds the
/// cores, and a caller claims a kept thread only while it is below.
struct Load {
    cores: AtomicUsize,
    callers: AtomicUsize,
    claimed: AtomicUsize,
}

static LOAD: Load = Load {
    cores: AtomicUsize::new(1),
    callers: AtomicUsize::new(0),
    claimed: AtomicUsize::new(0),
};

impl Load {
    /// Whether more threads want to run than there are cores.
    fn oversubscribed(&self) -> bool {
        let busy = self.callers.load(Ordering::Relaxed) + self.claimed.load(Ordering::Relaxed);
        busy > self.cores.load(Ordering::Relaxed)
    }
}

/// A [`Slot`] and the signals that it changed, shared with the thread.
#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
    /// Counts the changes to the slot, so that a waiting thread can watch
    /// for one without taking the lock.
    changes: AtomicUsize,
    /// How long the last job ran, in nanoseconds: the spin's budget.
    last_job: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // A pass's panic is caught outside the lock, so no holder panics.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the slot and wakes the other side.
    fn post(&self, change: impl FnOnce(&mut Slot)) {
        let mut slot = self.lock();
        change(&mut slot);
        self.changes.fetch_add(1, Ordering::Release);
        if slot.sleeping > 0 {
            self.changed.notify_all();
        }
    }

    /// Waits until `ready` takes something from the slot. A thread woken
    /// from sleep waits to be run again, a large share of a short call on
    /// a virtual machine (BENCHMARKS.md, "Threads are kept"), so it first
    /// spins, for as long as the last job ran and at most [`SPIN_LIMIT`]:
    /// back-to-back calls find it awake, and it burns no more time idle
    /// than it worked. It does not spin while more threads want to run
    /// than there are cores ([`Load`]), where its core serves better.
    fn wait_for<T>(&self, mut ready: impl FnMut(&mut Slot) -> Option<T>) -> T {
        let seen = self.changes.load(Ordering::Acquire);
        if let Some(taken) = ready(&mut self.lock()) {
            return taken;
        }
        let budget = Duration::from_nanos(self.last_job.load(Ordering::Relaxed)).min(SPIN_LIMIT);
        let start = Instant::now();
        while self.changes.load(Ordering::Acquire) == seen
            && start.elapsed() < budget
            && !LOAD.oversubscribed()
        {
            for _ in 0..64 {
                hint::spin_loop();
            }
        }
        let mut slot = self.lock();
        loop {
            if let Some(taken) = ready(&mut slot) {
                return taken;
            }
            slot.sleeping += 1;
            slot = self
                .changed
                .wait(slot)
                .unwrap_or_else(PoisonError::into_inner);
            slot.sleeping -= 1;
        }
    }

    /// The kept thread's life: run each job put in the slot.
    fn serve(&self) {
        loop {
            let mut job = self.wait_for(|slot| slot.job.take());
            let start = Instant::now();
            let outcome = job.run();
            let took = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.last_job.store(took, Ordering::Relaxed);
            self.post(|slot| slot.done = Some((job, outcome)));
        }
    }
}

/// One kept thread. A mutex and a condition variable pass its jobs, rather
/// than a channel, because they allocate nothing once the thread is started.
struct Worker {
    shared: Arc<Shared>,
    /// Whether a caller holds it, from before its job is given until after
    /// it is collected.
    claimed: AtomicBool,
}

impl Worker {
    /// A new thread waiting for jobs, or `None` where none can be started.
    /// It lives as long as the process.
    fn start() -> Option<Worker> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::Builder::new()
            .name("backprop-shard".into())
            .spawn(move || theirs.serve())
            .ok()?;
        Some(Worker {
            shared,
            claimed: AtomicBool::new(false),
        })
    }

    /// Hands shard `s` of `cut` to the thread, with the buffers in `bufs`.
    fn give(&self, cut: &Cut<'_>, s: usize, path: Path, bufs: &mut ShardBuffers) {
        let mut job = self.shared.lock().spare.take().unwrap_or_default();
        job.fill(cut, s, path, bufs);
        self.shared.post(|slot| slot.job = Some(job));
    }

    /// Waits for the job given, puts its buffers back in `bufs`, and
    /// returns what came of it.
    fn collect(&self, bufs: &mut ShardBuffers) -> Outcome {
        let (mut job, outcome) = self.shared.wait_for(|slot| slot.done.take());
        std::mem::swap(&mut job.bufs, bufs);
        self.shared.lock().spare = Some(job);
        outcome
    }
}

/// The process's kept threads, one fewer than its cores: each caller is
/// the first thread of its own call.
struct Pool {
    workers: Vec<Worker>,
}

/// The pool, its threads started by the first call that shares a batch.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        LOAD.cores.store(cores, Ordering::Relaxed);
        let workers = (1..cores).map_while(|_| Worker::start()).collect();
        Pool { workers }
    })
}

/// How many kept threads callers hold at this moment.
#[cfg(test)]
pub(super) fn claimed() -> usize {
    LOAD.claimed.load(Ordering::Relaxed)
}

impl Pool {
    /// A kept thread for one shard of the calling thread's, if one is free
    /// and a core is: its index in the pool.
    fn claim(&self) -> Option<usize> {
        let claimed = LOAD.claimed.fetch_add(1, Ordering::Relaxed) + 1;
        let callers = LOAD.callers.load(Ordering::Relaxed);
        if callers + claimed <= LOAD.cores.load(Ordering::Relaxed) {
            for (i, worker) in self.workers.iter().enumerate() {
                let free = worker.claimed.compare_exchange(
                    false,
                    true,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                );
                if free.is_ok() {
                    return Some(i);
                }
            }
        }
        LOAD.claimed.fetch_sub(1, Ordering::Relaxed);
        None
    }

    /// Gives back a kept thread claimed by [`claim`](Self::claim).
    fn release(&self, i: usize) {
        self.workers[i].claimed.store(false, Ordering::Release);
        LOAD.claimed.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a thread among the callers for as long as it lives.
struct Caller;

impl Caller {
    fn enter() -> Caller {
        LOAD.callers.fetch_add(1, Ordering::Relaxed);
        Caller
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        LOAD.callers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A workspace's share of the process's kept threads: which one took each
/// of its call's shards, kept so that a call allocates nothing.
#[derive(Default)]
pub(super) struct Workers {
    /// Per shard after the first, the kept thread that runs it, if any.
    taken: Vec<Option<usize>>,
}

impl Workers {
    /// Shards 1, 2, … of `cut`, while `first` runs on this thread; their
    /// results added to `first`'s in shard order. Each goes to a kept thread
    /// that is free while a core is ([`Pool::claim`]), else it runs here
    /// after `first`: the shards, and so the bits, are the same either way.
    /// A shard too large to copy ([`worth_copying`]) runs on a thread
    /// started for the call in place of the kept one, borrowing what it
    /// reads.
    pub fn run(
        &mut self,
        cut: &Cut<'_>,
        path: Path,
        first: impl FnOnce() -> Result<f64, Error>,
        others: &mut [ShardBuffers],
    ) -> Result<f64, Error> {
        let pool = pool();
        let _caller = Caller::enter();
        self.taken.clear();
        self.taken.extend(others.iter().map(|_| pool.claim()));
        let taken = &self.taken;
        let outcome = if worth_copying(cut.net.layers, cut.rows_of(0).0) {
            give_and_collect(pool, taken, cut, path, first, others)
        } else {
            thread::scope(|scope| {
                let mut handles = (others.iter_mut().enumerate())
                    .map(|(s, bufs)| {
                        let shard = cut.shard(s + 1, bufs);
                        let run =
                            move || catch_unwind(AssertUnwindSafe(|| isa::dispatch(path, shard)));
                        match taken[s] {
                            Some(_) => Ran::Spawned(scope.spawn(run)),
                            None => Ran::Here(run),
                        }
                    })
                    .collect::<Vec<_>>();
                let first = catch_unwind(AssertUnwindSafe(first));
                let outcomes = handles.iter_mut().map(|ran| {
                    let taken = std::mem::replace(ran, Ran::Done);
                    match taken {
                        Ran::Spawned(handle) => handle.join().unwrap_or_else(Err),
                        Ran::Here(run) => run(),
                        Ran::Done => unreachable!("each shard is run once"),
                    }
                });
                add_in_order(first, outcomes)
            })
        };
        // Released before a panic is raised, or the kept threads would be
        // lost to every later call in the process.
        for &i in self.taken.iter().flatten() {
            pool.release(i);
        }
        outcome.unwrap_or_else(|payload| resume_unwind(payload))
    }
}

/// Where a shard of a call that starts threads runs.
enum Ran<H, F> {
    Spawned(H),
    Here(F),
    Done,
}

/// The copying route of [`Workers::run`]: each shard in `taken` is copied
/// into a job for its kept thread, the rest run here after `first`.
fn give_and_collect(
    pool: &Pool,
    taken: &[Option<usize>],
    cut: &Cut<'_>,
    path: Path,
    first: impl FnOnce() -> Result<f64, Error>,
    others: &mut [ShardBuffers],
) -> Outcome {
    for (s, bufs) in others.iter_mut().enumerate() {
        if let Some(i) = taken[s] {
            pool.workers[i].give(cut, s + 1, path, bufs);
        }
    }
    let first = catch_unwind(AssertUnwindSafe(first));
    let panicked = first.is_err();
    let outcomes = others
        .iter_mut()
        .enumerate()
        .map(|(s, bufs)| match taken[s] {
            // Every job is collected, even after a panic, so that the
            // workspace keeps its buffers.
            Some(i) => pool.workers[i].collect(bufs),
            None if panicked => Ok(Ok(0.0)),
            None => catch_unwind(AssertUnwindSafe(|| {
                isa::dispatch(path, cut.shard(s + 1, bufs))
            })),
        });
    add_in_order(first, outcomes)
}

/// The first shard's loss plus the others', in shard order; or, once every
/// shard's outcome is in, the first panic raised.
fn add_in_order(first: Outcome, others: impl Iterator<Item = Outcome>) -> Outcome {
    let (mut loss, mut panic) = match first {
        Ok(loss) => (loss, None),
        Err(payload) => (Ok(0.0), Some(payload)),
    };
    for outcome in others {
        match outcome {
            Ok(shard) => loss = loss.and_then(|sum| Ok(sum + shard?)),
            Err(payload) => panic = panic.or(Some(payload)),
        }
    }
    match panic {
        Some(payload) => Err(payload),
        None => Ok(loss),
    }
}

/// A copy of a workspace claims kept threads as its calls need them.
impl Clone for Workers {
    fn clone(&self) -> Self {
        Workers::default()
    }
}

impl fmt::Debug for Workers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workers").finish_non_exhaustive()
    }
}
