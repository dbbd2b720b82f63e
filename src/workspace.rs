//! The fast gradient path: the same backpropagation as [`TwoLayerNet::trace`],
//! fused and written into buffers that are reused from call to call.
//!
//! The forward pass applies f and f′ while each row of z is fresh from the
//! product (one exponential gives both), the output pass forms ŷ, δ(3) and
//! ½ Σ (y − ŷ)² together, and δ(2) is scaled by f′(z(2)) as it is produced.
//! After the first call for a given shape, a single-threaded call allocates
//! nothing.
//!
//! ∂J/∂W is a sum over examples ("every example gets a vote"), so a large
//! batch is cut into contiguous shards of rows, one per thread; each thread
//! computes its shard's sums, and the sums are added in shard order. The
//! result therefore depends only on the batch and the thread count, never
//! on timing.
//!
//! For the same reason a shard need not hold all its rows' terms at once:
//! it runs them through the whole pass a block of rows at a time (a few
//! MiB of terms, so they come back from cache rather than memory), and each
//! block adds its share to the shard's sums.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use crate::activation::Activate;
use crate::cost::output_errors;
use crate::error::Error;
use crate::gemm::{self, Finish, Isa, Kernel, LINE, Layout, NARROW, on_lines};
use crate::matrix::{Matrix, all_finite};
use crate::network::{Gradients, TwoLayerNet};
use crate::tiny::{self, TinyPass};

/// Reusable buffers for [`TwoLayerNet::gradients_in`] and
/// [`TwoLayerNet::cost_and_gradients_in`]: after the first call for a given
/// batch size and network shape, a single-threaded call allocates nothing.
///
/// A workspace grows to the largest shape it has seen and can serve any
/// network and batch; for a large batch it holds a block of rows per thread
/// (a few MiB of terms), not the whole batch. It also sets how many threads
/// share a batch: [`Workspace::new`] picks one thread for small problems
/// and all available cores for those estimated above [`PARALLEL_WORK`]
/// multiply-adds; [`Workspace::with_threads`] fixes the count. For a given
/// batch and thread count the result is the same bit for bit on every run.
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
    /// `None`: chosen per call from the problem's size.
    threads: Option<NonZeroUsize>,
    /// The budget for one block of rows: [`BLOCK_BYTES`] but in tests.
    block_bytes: usize,
    /// What the buffers were last sized for: rows per block, the network's
    /// sizes and the number of shards.
    fitted: Option<(usize, (usize, usize, usize), usize)>,
    /// z(2) = X·W(1), then a(2) = f(z(2)) in place; N × hidden.
    a2: Vec<f64>,
    /// f′(z(2)); N × hidden.
    fp2: Vec<f64>,
    /// z(3) = a(2)·W(2), then ŷ = f(z(3)) in place; N × outputs.
    y_hat: Vec<f64>,
    /// δ(3); N × outputs.
    delta3: Vec<f64>,
    /// δ(2); N × hidden.
    delta2: Vec<f64>,
    /// Every shard but the first: its ∂J/∂W(1) then ∂J/∂W(2) sums.
    partials: Vec<f64>,
    /// Every shard's ∂J/∂W(2)ᵀ = δ(3)ᵀ·a(2), outputs × hidden, where a
    /// network with few outputs sums it (see [`NARROW`]).
    transposed: Vec<f64>,
    /// W(1) copied onto a cache line, when its rows could start on lines
    /// but its storage does not (see `on_lines`).
    w1: Vec<f64>,
    /// Packed panels for the matrix products, one per shard.
    scratch: Vec<Vec<f64>>,
    gradients: Gradients,
}

/// Above this estimated cost of one gradient computation, in multiply-adds,
/// [`Workspace::new`] shares the batch among all available cores.
///
/// The estimate for N examples through a network of sizes (I, H, O) is
/// N·(H·(I + O) + 10·(H + O) + 250): the multiply-adds of the forward
/// products (the backward ones match them), about ten more for each
/// activation, and 250 for the rest of each example's work, the weights
/// that make measured single-thread times proportional to it on the
/// reference machine. Threads pay once the work outweighs starting them:
/// there a second thread broke even at about 3 M, for networks from the
/// series' 2-3-1 (N ≈ 10 000) to 256-512-10 (N ≈ 28).
/// [`Workspace::threads_for`] tells what a workspace will use.
///
/// ```
/// use backprop::{TwoLayerNet, Workspace};
///
/// // The series' network on its three examples stays on one thread.
/// let net = TwoLayerNet::random(2, 3, 1, 0)?;
/// assert!(3 * (3 * (2 + 1) + 10 * (3 + 1) + 250) < backprop::PARALLEL_WORK);
/// assert_eq!(Workspace::new().threads_for(&net, 3), 1);
/// # Ok::<(), backprop::Error>(())
/// ```
pub const PARALLEL_WORK: usize = 3 << 20;

/// The estimated cost of one activation, in multiply-adds (see
/// [`PARALLEL_WORK`]).
const ACTIVATION_WORK: usize = 10;
/// The estimated cost of the rest of one example's pass (checks, δ(3), the
/// error term, loop overhead), in multiply-adds.
const EXAMPLE_WORK: usize = 250;

/// The estimate of [`PARALLEL_WORK`] for `n` examples through a network of
/// sizes (i, h, o).
fn estimated_work(n: usize, (i, h, o): (usize, usize, usize)) -> usize {
    n.saturating_mul(h * (i + o) + ACTIVATION_WORK * (h + o) + EXAMPLE_WORK)
}

/// Fewest rows worth a shard of their own.
const MIN_SHARD_ROWS: usize = 16;

/// A shard runs its rows through the whole pass a block at a time, sized
/// so that one block's per-example terms (its rows of X, a(2), f′(z(2)),
/// δ(2), ŷ and δ(3)) take at most about this many bytes: each term is then
/// read back from cache rather than from memory, and the buffers stay that
/// small however large the batch.
const BLOCK_BYTES: usize = 4 << 20;

/// Rows per block for a shard of `rows` examples through a network of
/// sizes (i, h, o): all of them unless a block of `bytes` is smaller and
/// large enough that both forward products still take the blocked kernel,
/// whose sums along a row of z do not depend on how many rows it is given
/// (so ŷ, and J, have the same bits either way).
fn block_rows(rows: usize, (i, h, o): (usize, usize, usize), bytes: usize) -> usize {
    let block = (bytes / (8 * (i + 3 * h + 3 * o))) / 64 * 64;
    let blocked_kernel = |k: usize, n: usize| block * k * n > gemm::DIRECT_MAX;
    if block < rows && blocked_kernel(i, h) && blocked_kernel(h, o) {
        block
    } else {
        rows
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// An empty workspace that uses one thread for small problems and every
    /// available core for large ones; it takes its size from the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// let ws = backprop::Workspace::new();
    /// assert_eq!(ws.gradients().dj_dw1.shape(), (0, 0));
    /// ```
    pub fn new() -> Self {
        Workspace {
            threads: None,
            block_bytes: BLOCK_BYTES,
            fitted: None,
            a2: Vec::new(),
            fp2: Vec::new(),
            y_hat: Vec::new(),
            delta3: Vec::new(),
            delta2: Vec::new(),
            partials: Vec::new(),
            transposed: Vec::new(),
            w1: Vec::new(),
            scratch: Vec::new(),
            gradients: Gradients {
                dj_dw1: Matrix::zeros(0, 0),
                dj_dw2: Matrix::zeros(0, 0),
            },
        }
    }

    /// An empty workspace that shares every batch among `threads` threads
    /// (fewer when the batch has fewer rows). One thread never spawns and
    /// never allocates once warm.
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
    pub fn with_threads(threads: NonZeroUsize) -> Self {
        Workspace {
            threads: Some(threads),
            ..Self::new()
        }
    }

    /// The gradients of the last successful call (empty before the first).
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
    pub fn gradients(&self) -> &Gradients {
        &self.gradients
    }

    /// Runs `f` with this thread's own default workspace, which keeps its
    /// buffers from call to call (the workspace behind
    /// [`TwoLayerNet::gradients`]).
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

    /// How many threads a call with a batch of `n` examples through `net`
    /// shares the work among: the count given to
    /// [`with_threads`](Self::with_threads), or for [`new`](Self::new) one
    /// thread up to [`PARALLEL_WORK`] and every available core above it;
    /// in both cases at most one per 16 examples.
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
    /// assert_eq!(ws.threads_for(&net, 4096), cores.min(4096 / 16));
    /// let three = Workspace::with_threads(NonZeroUsize::new(3).unwrap());
    /// assert_eq!(three.threads_for(&net, 100), 3);
    /// assert_eq!(three.threads_for(&net, 20), 2);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn threads_for(&self, net: &TwoLayerNet, n: usize) -> usize {
        let sizes = (net.input_size(), net.hidden_size(), net.output_size());
        self.shards(n, sizes)
    }

    /// How many shards a batch of `n` rows through a network of `sizes`
    /// is cut into.
    fn shards(&self, n: usize, sizes: (usize, usize, usize)) -> usize {
        let wanted = match self.threads {
            Some(t) => t.get(),
            None if estimated_work(n, sizes) >= PARALLEL_WORK => available_cores(),
            None => 1,
        };
        wanted.min(n.div_ceil(MIN_SHARD_ROWS)).max(1)
    }

    /// Sizes every buffer for `shards` shards that each take `block` rows
    /// at a time through a network of sizes (i, h, o), reusing capacity.
    fn fit(&mut self, block: usize, sizes @ (i, h, o): (usize, usize, usize), shards: usize) {
        if self.fitted == Some((block, sizes, shards)) {
            return;
        }
        self.fitted = Some((block, sizes, shards));
        let rows = shards * block;
        for (buf, len) in [
            (&mut self.a2, rows * h),
            (&mut self.fp2, rows * h),
            (&mut self.y_hat, rows * o),
            (&mut self.delta3, rows * o),
            (&mut self.delta2, rows * h),
            (&mut self.partials, (shards - 1) * (i * h + h * o)),
            (&mut self.transposed, shards * h * o),
        ] {
            // Room to start on a cache line (see `on_lines`).
            buf.resize(len + LINE - 1, 0.0);
        }
        if self.scratch.len() < shards {
            self.scratch.resize_with(shards, Vec::new);
        }
        let g = &mut self.gradients;
        if g.dj_dw1.shape() != (i, h) {
            g.dj_dw1 = Matrix::zeros(i, h);
        }
        if g.dj_dw2.shape() != (h, o) {
            g.dj_dw2 = Matrix::zeros(h, o);
        }
    }
}

/// `w`, a matrix with rows of `cols` values, or a copy of it in `copy` that
/// starts on a cache line, where that lines up every row of it and `w`'s
/// storage does not start on one (see `on_lines`).
fn lined_up<'a>(w: &'a [f64], cols: usize, copy: &'a mut Vec<f64>) -> &'a [f64] {
    if !cols.is_multiple_of(LINE) || (w.as_ptr() as usize).is_multiple_of(LINE * size_of::<f64>()) {
        return w;
    }
    let lined = gemm::lines(copy, w.len());
    lined.copy_from_slice(w);
    lined
}

/// The cores this process may use, asked once.
fn available_cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// One shard's rows of X and y, its block of every per-example buffer, its
/// gradient sums and its scratch.
struct Shard<'a> {
    /// W(1), the network's or a copy of it on a cache line.
    w1: &'a [f64],
    rows: usize,
    /// Rows per block: the per-example buffers hold this many.
    block: usize,
    x: &'a [f64],
    y: &'a [f64],
    a2: &'a mut [f64],
    fp2: &'a mut [f64],
    y_hat: &'a mut [f64],
    delta3: &'a mut [f64],
    delta2: &'a mut [f64],
    dj_dw1: &'a mut [f64],
    dj_dw2: &'a mut [f64],
    /// ∂J/∂W(2)ᵀ, where a network with few outputs sums it.
    dj_dw2_t: &'a mut [f64],
    scratch: &'a mut Vec<f64>,
}

impl TwoLayerNet {
    /// ∂J/∂W(1) and ∂J/∂W(2), as [`gradients`](Self::gradients) computes
    /// them, written into `ws`: after the first call with a given shape, a
    /// single-threaded call allocates nothing.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// let g = net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(g.dj_dw2.shape(), (3, 1));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients_in<'w>(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &'w mut Workspace,
    ) -> Result<&'w Gradients, Error> {
        self.backpropagate(x, y, ws)?;
        Ok(&ws.gradients)
    }

    /// J and both gradients, as [`cost_and_gradients`](Self::cost_and_gradients)
    /// computes them, written into `ws`.
    ///
    /// # Errors
    ///
    /// Those of [`cost_and_gradients`](Self::cost_and_gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// let (j, _) = net.cost_and_gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(j, net.cost(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost_and_gradients_in<'w>(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &'w mut Workspace,
    ) -> Result<(f64, &'w Gradients), Error> {
        let half_sse = self.backpropagate(x, y, ws)?;
        let j =
            self.cost_function()
                .value_from_half_sse(half_sse, x.rows(), self.w1(), self.w2())?;
        Ok((j, &ws.gradients))
    }

    /// Fills `ws` with both gradients, shard by shard, and returns
    /// ½ Σ (y − ŷ)² (not checked for overflow: only the cost needs it).
    fn backpropagate(&self, x: &Matrix, y: &Matrix, ws: &mut Workspace) -> Result<f64, Error> {
        self.check_xy(x, y)?;
        let n = x.rows();
        let sizes @ (i, h, o) = (self.input_size(), self.hidden_size(), self.output_size());
        let shards = ws.shards(n, sizes);
        let tiny = shards == 1 && tiny::fits(n, sizes);
        let block = if tiny {
            n
        } else {
            block_rows(n.div_ceil(shards), sizes, ws.block_bytes)
        };
        let path = gemm::Path::best();
        ws.fit(block, sizes, shards);
        if tiny {
            let half_sse = gemm::dispatch(
                path,
                Tiny(TinyPass {
                    dims: (n, i, h, o),
                    x: x.as_slice(),
                    y: y.as_slice(),
                    w1: self.w1().as_slice(),
                    w2: self.w2().as_slice(),
                    a2: on_lines(&mut ws.a2),
                    fp2: on_lines(&mut ws.fp2),
                    y_hat: on_lines(&mut ws.y_hat),
                    delta3: on_lines(&mut ws.delta3),
                    delta2: on_lines(&mut ws.delta2),
                    dj_dw1: ws.gradients.dj_dw1.as_mut_slice(),
                    dj_dw2: ws.gradients.dj_dw2.as_mut_slice(),
                }),
            )?;
            self.finish(&mut ws.gradients, n)?;
            return Ok(half_sse);
        }
        let Workspace {
            a2,
            fp2,
            y_hat,
            delta3,
            delta2,
            partials,
            transposed,
            w1,
            scratch,
            gradients,
            ..
        } = ws;
        // The product kernels read W(1)'s rows in place, 8 values at a time.
        let w1 = lined_up(self.w1().as_slice(), h, w1);

        let half_sse = {
            // Contiguous row ranges, the first ones a row longer when N does
            // not divide evenly; the first shard sums straight into the
            // gradients, the others into their partials.
            let (mut x, mut y) = (x.as_slice(), y.as_slice());
            let (mut a2, mut fp2, mut y_hat) = (on_lines(a2), on_lines(fp2), on_lines(y_hat));
            let (mut delta3, mut delta2) = (on_lines(delta3), on_lines(delta2));
            let mut transposed = on_lines(transposed);
            let mut sums = std::iter::once((
                gradients.dj_dw1.as_mut_slice(),
                gradients.dj_dw2.as_mut_slice(),
            ))
            .chain(
                on_lines(partials)
                    .chunks_exact_mut(i * h + h * o)
                    .map(|p| p.split_at_mut(i * h)),
            );
            let mut scratch = scratch.iter_mut();
            let mut s = 0;
            let mut next_shard = std::iter::from_fn(|| {
                if s == shards {
                    return None;
                }
                let rows = n / shards + usize::from(s < n % shards);
                s += 1;
                let (dj_dw1, dj_dw2) = sums.next()?;
                Some(Shard {
                    w1,
                    rows,
                    block,
                    x: take(&mut x, rows * i),
                    y: take(&mut y, rows * o),
                    a2: take_mut(&mut a2, block * h),
                    fp2: take_mut(&mut fp2, block * h),
                    y_hat: take_mut(&mut y_hat, block * o),
                    delta3: take_mut(&mut delta3, block * o),
                    delta2: take_mut(&mut delta2, block * h),
                    dj_dw1,
                    dj_dw2,
                    dj_dw2_t: take_mut(&mut transposed, h * o),
                    scratch: scratch.next()?,
                })
            });
            let first = next_shard.next().expect("at least one shard");
            if shards == 1 {
                gemm::dispatch(
                    path,
                    ShardPass {
                        net: self,
                        shard: first,
                    },
                )?
            } else {
                std::thread::scope(|scope| {
                    let others: Vec<_> = next_shard
                        .map(|shard| {
                            scope
                                .spawn(move || gemm::dispatch(path, ShardPass { net: self, shard }))
                        })
                        .collect();
                    let mut half_sse = gemm::dispatch(
                        path,
                        ShardPass {
                            net: self,
                            shard: first,
                        },
                    );
                    // Joined and added in shard order, whatever order they end in.
                    for handle in others {
                        let shard = handle
                            .join()
                            .unwrap_or_else(|e| std::panic::resume_unwind(e));
                        half_sse = half_sse.and_then(|sum| Ok(sum + shard?));
                    }
                    half_sse
                })?
            }
        };

        // Every further shard's sums, added in shard order.
        let (dj_dw1, dj_dw2) = (
            gradients.dj_dw1.as_mut_slice(),
            gradients.dj_dw2.as_mut_slice(),
        );
        for partial in on_lines(partials).chunks_exact(i * h + h * o) {
            let (p1, p2) = partial.split_at(i * h);
            dj_dw1.iter_mut().zip(p1).for_each(|(g, p)| *g += p);
            dj_dw2.iter_mut().zip(p2).for_each(|(g, p)| *g += p);
        }
        self.finish(gradients, n)?;
        Ok(half_sse)
    }

    /// Turns the summed gradients into the cost's and checks them.
    fn finish(&self, gradients: &mut Gradients, n: usize) -> Result<(), Error> {
        let cost = self.cost_function();
        let dj_dw2 = gradients.dj_dw2.as_mut_slice();
        cost.finish_gradient(dj_dw2, self.w2(), n);
        check(dj_dw2, "dJ/dW(2)")?;
        let dj_dw1 = gradients.dj_dw1.as_mut_slice();
        cost.finish_gradient(dj_dw1, self.w1(), n);
        check(dj_dw1, "dJ/dW(1)")
    }

    /// One shard's forward and backward pass, a block of rows at a time:
    /// its rows of every term, its sums a(2)ᵀ·δ(3) and Xᵀ·δ(2) (the first
    /// block stores them, the later ones add to them), and its
    /// ½ Σ (y − ŷ)², added in row order.
    #[inline(always)]
    fn shard_pass<I: Isa>(&self, isa: I, s: Shard<'_>) -> Result<f64, Error> {
        let w2 = self.w2().as_slice();
        let (i, h, o) = (self.input_size(), self.hidden_size(), self.output_size());
        let Shard {
            w1,
            rows,
            block,
            x,
            y,
            a2,
            fp2,
            y_hat,
            delta3,
            delta2,
            dj_dw1,
            dj_dw2,
            dj_dw2_t,
            scratch,
        } = s;
        // Outputs few enough to sum ∂J/∂W(2) as its transpose (one output
        // has its own pass below).
        let narrow = (2..=NARROW).contains(&o);
        let mut half_sse = 0.0;
        for start in (0..rows).step_by(block) {
            let n = block.min(rows - start);
            let add = start > 0;
            let x = &x[start * i..(start + n) * i];
            let y = &y[start * o..(start + n) * o];
            let (a2, fp2, delta2) = (&mut a2[..n * h], &mut fp2[..n * h], &mut delta2[..n * h]);
            let (y_hat, delta3) = (&mut y_hat[..n * o], &mut delta3[..n * o]);

            // z(2) = X·W(1); then a(2) = f(z(2)) and f′(z(2)) from one
            // exponential.
            gemm::multiply(isa, Layout::AB, (n, i, h), x, w1, a2, scratch);
            if !Activate(a2, fp2).run(isa) {
                return Err(Error::Overflow { what: "z(2)" });
            }

            // z(3) = a(2)·W(2); then ŷ = f(z(3)) with f′(z(3)) held in δ(3),
            // which becomes −(y − ŷ) ⊙ f′(z(3)).
            gemm::multiply(isa, Layout::AB, (n, h, o), a2, w2, y_hat, scratch);
            if !Activate(y_hat, delta3).run(isa) {
                return Err(Error::Overflow { what: "z(3)" });
            }
            half_sse = output_errors(half_sse, y, y_hat, delta3);

            let finite;
            if o == 1 {
                // One output: W(2) is a column, δ(3) one value per example,
                // and both δ(2) and a(2)ᵀ·δ(3) come from one pass over the
                // rows, where products would each pay a set-up per row.
                if !add {
                    dj_dw2.fill(0.0);
                }
                for (((delta2, fp2), a2), &d) in delta2
                    .chunks_exact_mut(h)
                    .zip(fp2.chunks_exact(h))
                    .zip(a2.chunks_exact(h))
                    .zip(&*delta3)
                {
                    // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))
                    for ((d2, &fp), &w) in delta2.iter_mut().zip(fp2).zip(w2) {
                        *d2 = d * w * fp;
                    }
                    // ∂J/∂W(2) = a(2)ᵀ·δ(3)
                    for (g, &a) in dj_dw2.iter_mut().zip(a2) {
                        *g = I::madd(a, d, *g);
                    }
                }
                finite = all_finite(delta2);
            } else {
                // ∂J/∂W(2) = a(2)ᵀ·δ(3), this block's share of the sum; with
                // few outputs, summed as its transpose δ(3)ᵀ·a(2), whose
                // cost follows the outputs as rows of tiles, where as
                // columns they would leave most of each tile idle.
                let (dims, a, b, sum) = if narrow {
                    ((o, n, h), &*delta3, &*a2, &mut *dj_dw2_t)
                } else {
                    ((h, n, o), &*a2, &*delta3, &mut *dj_dw2)
                };
                gemm::multiply_add(isa, add, Layout::AtB, dims, a, b, sum, scratch);
                // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2)), scaled and checked block by
                // block as the product finishes them.
                let mut scale = ScaleParts {
                    by: fp2,
                    finite: true,
                };
                gemm::multiply_then(
                    isa,
                    Layout::ABt,
                    (n, o, h),
                    delta3,
                    w2,
                    delta2,
                    scratch,
                    &mut scale,
                );
                finite = scale.finite;
            }
            if !finite {
                return Err(Error::Overflow { what: "δ(2)" });
            }

            // ∂J/∂W(1) = Xᵀ·δ(2), this block's share of the sum
            gemm::multiply_add(isa, add, Layout::AtB, (i, n, h), x, delta2, dj_dw1, scratch);
        }
        if narrow {
            // ∂J/∂W(2) from the transpose summed above.
            for (p, row) in dj_dw2.chunks_exact_mut(o).enumerate() {
                for (j, g) in row.iter_mut().enumerate() {
                    *g = dj_dw2_t[j * h + p];
                }
            }
        }
        Ok(half_sse)
    }
}

/// One shard's pass as a [`Kernel`], so that all of it, products,
/// activation and the loops between them, is compiled for the instruction
/// set it runs on.
struct ShardPass<'a> {
    net: &'a TwoLayerNet,
    shard: Shard<'a>,
}

impl Kernel for ShardPass<'_> {
    type Output = Result<f64, Error>;
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) -> Result<f64, Error> {
        self.net.shard_pass(isa, self.shard)
    }
}

/// Multiplies each finished part of a product by the values at the same
/// place in `by`, and notes whether all it gave is finite.
struct ScaleParts<'a> {
    by: &'a [f64],
    finite: bool,
}

impl Finish for ScaleParts<'_> {
    #[inline(always)]
    fn part(&mut self, at: usize, part: &mut [f64]) {
        let by = &self.by[at..at + part.len()];
        // One pass: checked while each value is in a register.
        let mut finite = true;
        for (v, s) in part.iter_mut().zip(by) {
            *v *= s;
            finite &= v.is_finite();
        }
        self.finite &= finite;
    }
}

/// The small-batch pass as a [`Kernel`].
struct Tiny<'a>(TinyPass<'a>);

impl Kernel for Tiny<'_> {
    type Output = Result<f64, Error>;
    #[inline(always)]
    fn run<I: Isa>(self, _: I) -> Result<f64, Error> {
        if I::FMA {
            self.0.run::<true>()
        } else {
            self.0.run::<false>()
        }
    }
}

/// Takes the first `len` values off the front of `rest`.
fn take<'a>(rest: &mut &'a [f64], len: usize) -> &'a [f64] {
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    head
}

/// Takes the first `len` values off the front of `rest`, mutably.
fn take_mut<'a>(rest: &mut &'a mut [f64], len: usize) -> &'a mut [f64] {
    let (head, tail) = std::mem::take(rest).split_at_mut(len);
    *rest = tail;
    head
}

fn check(values: &[f64], what: &'static str) -> Result<(), Error> {
    if all_finite(values) {
        Ok(())
    } else {
        Err(Error::Overflow { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lined_up` copies exactly the matrices whose rows it can line up.
    #[test]
    fn lined_up_copies_only_what_it_can_line_up() {
        let on_a_line = |v: &[f64]| (v.as_ptr() as usize).is_multiple_of(64);
        let values: Vec<f64> = (0..60).map(f64::from).collect();
        let mut copy = Vec::new();
        for offset in 0..LINE {
            for cols in [8, 16] {
                let w = &values[offset..offset + 2 * cols];
                let lined = lined_up(w, cols, &mut copy);
                assert!(on_a_line(lined) && lined == w);
            }
            let w = &values[offset..offset + 30];
            assert_eq!(lined_up(w, 10, &mut copy).as_ptr(), w.as_ptr());
        }
    }

    /// The default's choice on either side of where a second thread broke
    /// even on the reference machine: there one thread was as fast or
    /// faster at the first batch of each pair, two threads 1.3–1.5× as fast
    /// at the second.
    #[test]
    fn the_default_shares_only_batches_that_gained_from_it() {
        let ws = Workspace::new();
        for (sizes @ (i, h, o), one, several) in [
            ((2, 3, 1), 3_000, 30_000),
            ((16, 32, 1), 1_024, 8_192),
            ((64, 128, 10), 128, 512),
            ((256, 512, 10), 8, 64),
        ] {
            let net = TwoLayerNet::random(i, h, o, 1).unwrap();
            assert_eq!(ws.threads_for(&net, one), 1, "{sizes:?}, N = {one}");
            assert_eq!(
                ws.threads_for(&net, several),
                available_cores().min(several / MIN_SHARD_ROWS),
                "{sizes:?}, N = {several}"
            );
        }
    }

    #[test]
    fn a_workspace_serves_networks_of_different_shapes() {
        let mut ws = Workspace::new();
        for (n, i, h, o) in [(5, 3, 4, 2), (2, 1, 1, 1), (7, 4, 6, 3)] {
            let net = TwoLayerNet::random(i, h, o, 1).unwrap();
            let x = Matrix::randn(n, i, 2);
            let y = Matrix::randn(n, o, 3).map(crate::sigmoid);
            let g = net.gradients_in(&x, &y, &mut ws).unwrap().clone();
            let t = net.trace(&x, &y).unwrap();
            assert_eq!(g.dj_dw1.shape(), (i, h));
            for (a, b) in g.to_vec().iter().zip(Gradients::from(t).to_vec()) {
                assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0));
            }
        }
    }

    /// Batches taken a block of rows at a time, on one thread and on
    /// three: the trace's gradients, J with the bits of `cost`, and the
    /// same bits on every run.
    #[test]
    fn blocks_of_rows_sum_to_the_whole_batch() {
        let (i, h, o) = (16, 64, 8);
        // 8 · (16 + 3·64 + 3·8) bytes a row: 64-row blocks.
        let bytes = 150_000;
        assert_eq!(block_rows(1000, (i, h, o), bytes), 64);
        // Too few rows, or a product too small for the blocked kernel.
        assert_eq!(block_rows(64, (i, h, o), bytes), 64);
        assert_eq!(block_rows(1000, (1, h, o), bytes), 1000);
        assert_eq!(block_rows(1000, (i, 4, o), 1 << 20), 1000);
        // One output: a block must be 257 rows or more for z(3)'s product;
        // 8 · (16 + 3·64 + 3) bytes a row make 320-row blocks here.
        let bytes_o1 = 320 * 8 * (i + 3 * h + 3);
        assert_eq!(block_rows(1000, (i, h, 1), bytes_o1), 320);
        assert_eq!(block_rows(1000, (i, h, 1), bytes), 1000);
        for (n, o, threads, bytes) in [
            (300, o, 1, bytes),
            (64 * 5, o, 1, bytes),
            (1000, 1, 1, bytes_o1),
            (600, o, 3, bytes),
        ] {
            let net = TwoLayerNet::random(i, h, o, 7).unwrap();
            let x = Matrix::randn(n, i, 8);
            let y = Matrix::randn(n, o, 9).map(crate::sigmoid);
            let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
            ws.block_bytes = bytes;
            let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            let g = g.to_vec();
            assert!(ws.a2.len() < n * h, "buffers for blocks, not the batch");
            // Sums of n terms taken in another grouping: equal to within
            // rounding, measured against the largest gradient.
            let want = Gradients::from(net.trace(&x, &y).unwrap()).to_vec();
            let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            for (a, b) in g.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
            }
            if threads == 1 {
                assert_eq!(j, net.cost(&x, &y).unwrap());
            }
            let (j2, g2) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            assert_eq!((j2, g2.to_vec()), (j, g));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(24))]

        /// Random batches in 128-row blocks, on one to three threads: the
        /// trace's gradients, J with the bits of the whole batch in one
        /// block on one thread (and of `cost`), the same bits run to run.
        #[test]
        fn blocks_agree_with_the_whole_batch(
            (n, i, h, o) in (129..=700usize, 8..=16usize, 24..=64usize, 6..=12usize),
            threads in 1..=3usize,
            seed in 0..1000u64,
        ) {
            let net = TwoLayerNet::random(i, h, o, seed).unwrap();
            let x = Matrix::randn(n, i, seed + 1);
            let y = Matrix::randn(n, o, seed + 2).map(crate::sigmoid);
            let bytes = 128 * 8 * (i + 3 * h + 3 * o);
            proptest::prop_assert_eq!(block_rows(n, (i, h, o), bytes), 128);
            let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
            ws.block_bytes = bytes;
            let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            let g = g.to_vec();
            let want = Gradients::from(net.trace(&x, &y).unwrap()).to_vec();
            let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            for (a, b) in g.iter().zip(&want) {
                proptest::prop_assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
            }
            let mut whole = Workspace::with_threads(NonZeroUsize::MIN);
            whole.block_bytes = usize::MAX / 2;
            let (j_whole, _) = net.cost_and_gradients_in(&x, &y, &mut whole).unwrap();
            if threads == 1 {
                proptest::prop_assert_eq!(j.to_bits(), j_whole.to_bits());
                proptest::prop_assert_eq!(j.to_bits(), net.cost(&x, &y).unwrap().to_bits());
            }
            let (j2, g2) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            proptest::prop_assert_eq!(j2.to_bits(), j.to_bits());
            proptest::prop_assert_eq!(g2.to_vec(), g);
        }
    }
}
