//! [`Workspace`]: the fused pass's buffers, and the last gradients it
//! gave.

use std::cell::RefCell;
use std::num::NonZeroUsize;

use crate::fused::{Buffers, plan};
use crate::layer::Layer;
use crate::matrix::Matrix;
use crate::net::{Gradients, Network, NetworkGradients};

/// Reusable buffers for the fused gradient pass of [`TwoLayerNet`](crate::TwoLayerNet) and
/// [`Network`] (`gradients_in` and `cost_and_gradients_in`):
/// after the first call for a given batch size and network shape, a call
/// allocates nothing, on one thread or on the kept threads.
///
/// A workspace grows to the largest shape it has seen and can serve any
/// network and batch; for a large batch it holds a block of rows per thread
/// (a few MiB of terms, or four times the network's parameters where that
/// is more), not the whole batch. It also sets how many threads
/// share a batch: [`Workspace::new`] picks one thread for small problems
/// and, for those estimated above [`PARALLEL_WORK`](crate::PARALLEL_WORK)
/// multiply-adds, every available core or the count in the environment
/// variable `BACKPROP_THREADS` (read once); [`Workspace::with_threads`]
/// fixes the count. For a given batch and thread count the result is the
/// same bit for bit on every run (the crate docs, "Determinism", say what
/// can change it).
///
/// The threads that share a batch belong to the process, not to the
/// workspace: one fewer than the cores, started by the first call that
/// shares a batch, and shared by every workspace. A call runs its first
/// shard itself and hands each other one to a kept thread that is free,
/// while a core is; a shard that finds none runs on the calling thread.
/// So several callers at once share the cores rather than fight for them,
/// and as a call cuts its batch the same way whoever runs each shard, its
/// bits depend on the thread count alone. A kept thread spins before it
/// sleeps, for as long as its last shard took and at most a millisecond,
/// so that calls made one after another find it awake; it never spins
/// longer than it worked, nor while more threads want to run than there
/// are cores. Each call copies to them their rows of X and y and the
/// weights, a small part of their work; a call whose shard would be dear
/// to copy starts a thread in place of the kept one, which borrows them
/// instead.
///
/// A call that fails leaves the gradients of the last successful call in
/// place.
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet, Workspace};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
/// let mut ws = Workspace::new();
/// for _ in 0..100 {
///     let (j, g) = net.cost_and_gradients_in(&d.x, &d.y, &mut ws)?;
///     assert!(j.is_finite());
///     let g = g.clone(); // or step straight from the borrowed gradients
///     net.gradient_descent_step(&g, 2.0)?;
/// }
/// assert_eq!(ws.gradients().dj_dw1.shape(), (2, 3));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Workspace {
    buffers: Buffers,
    two_layer: Gradients,
    network: NetworkGradients,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// An empty workspace that uses one thread for small problems and, for
    /// large ones, `BACKPROP_THREADS` threads when that environment
    /// variable holds a whole number from 1 up, else every available core;
    /// it takes its size from the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// let ws = backprop::Workspace::new();
    /// assert_eq!(ws.gradients().dj_dw1.shape(), (0, 0));
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with(None)
    }

    fn with(threads: Option<NonZeroUsize>) -> Self {
        Workspace {
            buffers: Buffers::new(threads),
            two_layer: Gradients {
                dj_dw1: Matrix::zeros(0, 0),
                dj_dw2: Matrix::zeros(0, 0),
            },
            network: NetworkGradients::default(),
        }
    }

    /// An empty workspace that shares every batch among `threads` threads
    /// (fewer when the batch has fewer rows). One thread never starts
    /// another; neither allocates once warm.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use backprop::{sigmoid, Matrix, TwoLayerNet, Workspace};
    ///
    /// let x = Matrix::randn(512, 8, 1).map(sigmoid);
    /// let y = Matrix::randn(512, 2, 2).map(sigmoid);
    /// let net = TwoLayerNet::random(8, 16, 2, 3)?;
    /// let mut one = Workspace::with_threads(NonZeroUsize::MIN);
    /// let mut two = Workspace::with_threads(NonZeroUsize::new(2).unwrap());
    /// let g1 = net.gradients_in(&x, &y, &mut one)?.to_vec();
    /// let g2 = net.gradients_in(&x, &y, &mut two)?.to_vec();
    /// for (a, b) in g2.iter().zip(&g1) {
    ///     assert!((a - b).abs() <= 1e-12 * b.abs());
    /// }
    /// // The same thread count gives the same bits every time.
    /// assert_eq!(net.gradients_in(&x, &y, &mut two)?.to_vec(), g2);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn with_threads(threads: NonZeroUsize) -> Self {
        Self::with(Some(threads))
    }

    /// The gradients of the last successful call for a [`TwoLayerNet`](crate::TwoLayerNet)
    /// (empty before the first).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(ws.gradients(), &net.gradients(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn gradients(&self) -> &Gradients {
        &self.two_layer
    }

    /// The gradients of the last successful call for a
    /// [`Network`] (empty before the first).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = Network::random(&[2, 4, 4, 1], 42)?;
    /// let mut ws = Workspace::new();
    /// net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(ws.network_gradients(), &net.gradients(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn network_gradients(&self) -> &NetworkGradients {
        &self.network
    }

    /// How many threads a call with a batch of `n` examples through `net`
    /// (a [`TwoLayerNet`](crate::TwoLayerNet) or a [`Network`]) shares the work among: the count given to
    /// [`with_threads`](Self::with_threads), or for [`new`](Self::new) one
    /// thread up to [`PARALLEL_WORK`](crate::PARALLEL_WORK) and every
    /// available core above it; in both cases at most one per
    /// [`MIN_SHARD_ROWS`](crate::MIN_SHARD_ROWS) examples.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use backprop::{TwoLayerNet, Workspace};
    ///
    /// let net = TwoLayerNet::random(64, 128, 10, 1)?;
    /// let ws = Workspace::new();
    /// assert_eq!(ws.threads_for(&net, 100), 1);
    /// let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    /// assert_eq!(ws.threads_for(&net, 4096), cores.min(4096 / backprop::MIN_SHARD_ROWS));
    /// let three = Workspace::with_threads(NonZeroUsize::new(3).unwrap());
    /// assert_eq!(three.threads_for(&net, 100), 3);
    /// assert_eq!(three.threads_for(&net, 20), 2);
    /// // The same estimate for the same layers as a `Network`.
    /// assert_eq!(ws.threads_for(net.network(), 4096), ws.threads_for(&net, 4096));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn threads_for(&self, net: &impl AsRef<Network>, n: usize) -> usize {
        plan::shards(self.buffers.threads, n, net.as_ref().layers())
    }

    /// Runs `f` with this thread's own default workspace, which keeps its
    /// buffers from call to call (the workspace behind `gradients`).
    pub(crate) fn with_thread_local<T>(f: impl FnOnce(&mut Workspace) -> T) -> T {
        thread_local! {
            static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new());
        }
        WORKSPACE.with(|ws| match ws.try_borrow_mut() {
            Ok(mut ws) => f(&mut ws),
            // Only reachable if `f` itself came back here; a fresh one serves.
            Err(_) => f(&mut Workspace::new()),
        })
    }

    pub(crate) fn buffers(&mut self) -> &mut Buffers {
        &mut self.buffers
    }

    /// The pass's gradients, just computed for `layers`, as a two-layer
    /// network's: handed over, not copied (the pass's own vectors take
    /// the previous gradients' place, to be overwritten by the next call).
    pub(crate) fn store_two_layer(&mut self, layers: &[Layer]) -> &Gradients {
        let g = &mut self.two_layer;
        shape_as(&mut g.dj_dw1, &layers[0].weights);
        shape_as(&mut g.dj_dw2, &layers[1].weights);
        g.dj_dw1.swap_values(self.buffers.gradients_mut(0));
        g.dj_dw2.swap_values(self.buffers.gradients_mut(1));
        g
    }

    /// The pass's gradients, just computed for `layers`: handed over where
    /// a layer has no bias, copied where ∂J/∂W and ∂J/∂b share its sums.
    pub(crate) fn store_network(&mut self, layers: &[Layer]) -> &NetworkGradients {
        let g = &mut self.network;
        g.dj_dw.resize_with(layers.len(), || Matrix::zeros(0, 0));
        g.dj_db.resize(layers.len(), None);
        let parts = layers.iter().zip(&mut g.dj_dw).zip(&mut g.dj_db);
        for (k, ((layer, dj_dw), dj_db)) in parts.enumerate() {
            shape_as(dj_dw, &layer.weights);
            let sums = self.buffers.gradients_mut(k);
            match &layer.bias {
                None => {
                    dj_dw.swap_values(sums);
                    *dj_db = None;
                }
                Some(bias) => {
                    let (w, b) = sums.split_at(dj_dw.as_slice().len());
                    dj_dw.as_mut_slice().copy_from_slice(w);
                    let dj_db = dj_db.get_or_insert_with(|| Matrix::zeros(0, 0));
                    shape_as(dj_db, bias);
                    dj_db.as_mut_slice().copy_from_slice(b);
                }
            }
        }
        g
    }
}

/// `m` made the shape of `like` (zeros, allocated only when it is not
/// that shape already), to take a gradient of that shape.
fn shape_as(m: &mut Matrix, like: &Matrix) {
    if m.shape() != like.shape() {
        *m = Matrix::zeros(like.rows(), like.cols());
    }
}
