//! Threads kept alive between calls, one per shard after the first.
//!
//! A thread started for a call must be placed on an idle core while the
//! calling thread is already busy with its own shard: on the virtual
//! machines measured that wait, and the wake at the join, are a large share
//! of a call of a millisecond or two (BENCHMARKS.md, "Threads are kept").
//! A kept thread that sleeps between calls still waits to be woken, so it
//! spins for a while first ([`Shared::wait_for`]); the caller does the same
//! at the join.
//!
//! A kept thread outlives the call, so it cannot borrow the call's X, y and
//! weights. Each call copies into a [`Job`] the shard's rows of X and y and
//! the layers, and moves the shard's buffers into it; the job goes to the
//! thread and comes back with the buffers and the shard's result, so that
//! once the threads are started nothing is allocated. Where a shard is too
//! large to copy cheaply ([`worth_copying`]), the call starts threads of
//! its own that borrow what they read.

use std::fmt;
use std::hint;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::lined::grow;
use super::pass::Net;
use super::shard::{Cut, Layout, ShardBuffers};
use crate::cost::Cost;
use crate::error::Error;
use crate::gemm::{self, Path, on_lines};
use crate::layer::Layer;

/// The most values a job may copy: 2 MiB, which takes about as long to
/// copy as the least a thread started per call waits to start. Above it,
/// a thread started for the call, which borrows what it reads, costs less.
const COPY_LIMIT: usize = 1 << 18;

/// Whether a shard of `cut` is cheap enough to copy for a kept thread.
pub(super) fn worth_copying(cut: &Cut<'_>) -> bool {
    let layers = cut.net.layers;
    let row = layers[0].inputs() + layers[layers.len() - 1].units();
    let params: usize = layers.iter().map(Layer::param_count).sum();
    let (rows, ..) = cut.rows_of(0);
    rows * row + params <= COPY_LIMIT
}

/// A shard's loss (½ Σ (y − ŷ)², or its cross-entropy) or its error, or the panic its pass raised.
type Outcome = thread::Result<Result<f64, Error>>;

/// What one shard's pass reads, owned, and what it gives back.
#[derive(Default)]
struct Job {
    layers: Vec<Layer>,
    cost: Cost,
    lined: Vec<f64>,
    copies: Vec<Option<usize>>,
    layout: Layout,
    x: Vec<f64>,
    y: Vec<f64>,
    rows: usize,
    block: usize,
    path: Option<Path>,
    bufs: ShardBuffers,
}

impl Job {
    /// Copies shard `s` of `cut` in, and takes its buffers.
    fn fill(&mut self, cut: &Cut<'_>, s: usize, path: Path, bufs: &mut ShardBuffers) {
        let (rows, x, y) = cut.rows_of(s);
        let Net {
            layers,
            cost,
            lined,
            copies,
        } = cut.net;
        self.cost = cost;
        // Weights the caller reads from cache lines are copied once, from
        // its lined copy into this job's, at the same offsets.
        copy_layers(&mut self.layers, layers, copies);
        self.copies.clear();
        self.copies.extend_from_slice(copies);
        let used = (layers.iter().zip(copies))
            .filter_map(|(layer, at)| at.map(|at| at + layer.weights.as_slice().len()))
            .max()
            .unwrap_or(0);
        grow(&mut self.lined, used);
        on_lines(&mut self.lined)[..used].copy_from_slice(&lined[..used]);
        self.layout.copy_from(cut.layout);
        self.x.clear();
        self.x.extend_from_slice(x);
        self.y.clear();
        self.y.extend_from_slice(y);
        (self.rows, self.block, self.path) = (rows, cut.block, Some(path));
        std::mem::swap(&mut self.bufs, bufs);
    }

    /// The shard's pass, on the kept thread.
    fn run(&mut self) -> Outcome {
        let Job {
            layers,
            cost,
            lined,
            copies,
            layout,
            x,
            y,
            rows,
            block,
            path,
            bufs,
        } = self;
        let net = Net {
            layers,
            cost: *cost,
            lined: on_lines(lined),
            copies,
        };
        // The shard as a batch of its own, cut into blocks as the call cut
        // it, so that it gives the bits it gives on the calling thread.
        let cut = Cut {
            net,
            n: *rows,
            shards: 1,
            block: *block,
            x,
            y,
            layout,
        };
        // Every panic is caught, so that the thread lives on to answer.
        catch_unwind(AssertUnwindSafe(|| {
            let path = path.expect("a job is filled before it is given");
            gemm::dispatch(path, cut.shard(0, bufs))
        }))
    }
}

/// Copies `from` into `to`, reusing `to`'s storage where the shapes match.
/// The weights of a layer with a lined copy (`copies`) are not copied:
/// the pass reads that copy instead ([`Net::w`]), so the layer serves only
/// for its shape.
fn copy_layers(to: &mut Vec<Layer>, from: &[Layer], copies: &[Option<usize>]) {
    to.truncate(from.len());
    for ((to, from), at) in to.iter_mut().zip(from.iter()).zip(copies) {
        let same = to.weights.shape() == from.weights.shape()
            && to.bias.as_ref().map(|b| b.shape()) == from.bias.as_ref().map(|b| b.shape());
        if same {
            if at.is_none() {
                to.weights
                    .as_mut_slice()
                    .copy_from_slice(from.weights.as_slice());
            }
            if let (Some(to), Some(from)) = (&mut to.bias, &from.bias) {
                to.as_mut_slice().copy_from_slice(from.as_slice());
            }
            to.activation = from.activation;
        } else {
            *to = from.clone();
        }
    }
    to.extend(from[to.len()..].iter().cloned());
}

/// What passes between the calling thread and a kept one.
#[derive(Default)]
struct Slot {
    /// A job for the thread to run.
    job: Option<Job>,
    /// A job it has run, and what came of it.
    done: Option<(Job, Outcome)>,
    /// Set when the workspace is dropped: the thread ends.
    closed: bool,
    /// How many threads sleep on the condition variable.
    sleeping: usize,
}

/// The longest a thread spins for a change to the slot before it sleeps.
const SPIN_LIMIT: Duration = Duration::from_millis(1);

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
    /// from sleep waits to be run again (about 0.12 ms on the virtual
    /// machines measured, a third of a shared call at S2), so it first
    /// spins, for as long as the last job ran and at most [`SPIN_LIMIT`]:
    /// back-to-back calls find it awake, and it burns no more time idle
    /// than it worked.
    fn wait_for<T>(&self, mut ready: impl FnMut(&mut Slot) -> Option<T>) -> T {
        let seen = self.changes.load(Ordering::Acquire);
        if let Some(taken) = ready(&mut self.lock()) {
            return taken;
        }
        let budget = Duration::from_nanos(self.last_job.load(Ordering::Relaxed)).min(SPIN_LIMIT);
        let start = Instant::now();
        while self.changes.load(Ordering::Acquire) == seen && start.elapsed() < budget {
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

    /// The kept thread's life: run each job put in the slot, until closed.
    fn serve(&self) {
        loop {
            let next = self.wait_for(|slot| match slot.job.take() {
                Some(job) => Some(Some(job)),
                None if slot.closed => Some(None),
                None => None,
            });
            let Some(mut job) = next else { return };
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
    thread: Option<JoinHandle<()>>,
    /// Its job while it is not out: kept for the next call's copies.
    spare: Option<Job>,
    /// Whether a job is out (given and not yet collected).
    out: bool,
}

impl Worker {
    /// A new thread waiting for jobs, or `None` where none can be started.
    fn start() -> Option<Worker> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("backprop-shard".into())
            .spawn(move || theirs.serve())
            .ok()?;
        Some(Worker {
            shared,
            thread: Some(thread),
            spare: Some(Job::default()),
            out: false,
        })
    }

    /// Hands shard `s` of `cut` to the thread, with the buffers in `bufs`.
    fn give(&mut self, cut: &Cut<'_>, s: usize, path: Path, bufs: &mut ShardBuffers) {
        let mut job = self.spare.take().unwrap_or_default();
        job.fill(cut, s, path, bufs);
        self.shared.post(|slot| slot.job = Some(job));
        self.out = true;
    }

    /// Waits for the job that is out, if one is, and puts its buffers back
    /// in `bufs`; returns what came of it.
    fn collect(&mut self, bufs: &mut ShardBuffers) -> Option<Outcome> {
        if !self.out {
            return None;
        }
        let (mut job, outcome) = self.shared.wait_for(|slot| slot.done.take());
        self.out = false;
        std::mem::swap(&mut job.bufs, bufs);
        self.spare = Some(job);
        Some(outcome)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.post(|slot| slot.closed = true);
        if let Some(thread) = self.thread.take() {
            // It ends after the job it may be running; a panic in a pass
            // was caught there, so there is none to pass on.
            let _ = thread.join();
        }
    }
}

/// The kept threads of a workspace, started by the first call that shares
/// a batch among that many threads and ended when the workspace is dropped.
#[derive(Default)]
pub(super) struct Workers {
    kept: Vec<Worker>,
}

impl Workers {
    /// Shards 1, 2, … of `cut` on kept threads, each with the buffers in
    /// `others`, while `first` runs on this thread; their results added to
    /// `first`'s in shard order.
    pub fn run(
        &mut self,
        cut: &Cut<'_>,
        path: Path,
        first: impl FnOnce() -> Result<f64, Error>,
        others: &mut [ShardBuffers],
    ) -> Result<f64, Error> {
        while self.kept.len() < others.len() {
            match Worker::start() {
                Some(worker) => self.kept.push(worker),
                None => break,
            }
        }
        for (s, (worker, bufs)) in self.kept.iter_mut().zip(others.iter_mut()).enumerate() {
            worker.give(cut, s + 1, path, bufs);
        }
        // A panic here, as on the kept threads, is raised only once every
        // job is back, so that the workspace keeps its buffers.
        let (mut loss, mut panic) = match catch_unwind(AssertUnwindSafe(first)) {
            Ok(loss) => (loss, None),
            Err(payload) => (Ok(0.0), Some(payload)),
        };
        for (s, bufs) in others.iter_mut().enumerate() {
            let outcome = match self.kept.get_mut(s).and_then(|w| w.collect(bufs)) {
                Some(outcome) => outcome,
                None if panic.is_some() => continue,
                // No thread took it: it runs here.
                None => catch_unwind(AssertUnwindSafe(|| {
                    gemm::dispatch(path, cut.shard(s + 1, bufs))
                })),
            };
            match outcome {
                Ok(shard) => loss = loss.and_then(|sum| Ok(sum + shard?)),
                Err(payload) => panic = panic.or(Some(payload)),
            }
        }
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
        loss
    }
}

/// A copy of a workspace starts its own threads when it needs them.
impl Clone for Workers {
    fn clone(&self) -> Self {
        Workers::default()
    }
}

impl fmt::Debug for Workers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workers")
            .field("kept", &self.kept.len())
            .finish()
    }
}
