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

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use crate::activation::Activate;
use crate::cost::output_errors;
use crate::error::Error;
use crate::gemm::{self, Finish, Isa, Kernel, Layout};
use crate::matrix::{Matrix, all_finite};
use crate::network::{Gradients, TwoLayerNet};
use crate::tiny::{self, TinyPass};

/// Reusable buffers for [`TwoLayerNet::gradients_in`] and
/// [`TwoLayerNet::cost_and_gradients_in`]: after the first call for a given
/// batch size and network shape, a single-threaded call allocates nothing.
///
/// A workspace grows to the largest shape it has seen and can serve any
/// network and batch. It also sets how many threads share a batch:
/// [`Workspace::new`] picks one thread for small problems and all available
/// cores above [`PARALLEL_WORK`] multiply-adds; [`Workspace::with_threads`]
/// fixes the count. For a given batch and thread count the result is the
/// same bit for bit on every run.
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
    /// Packed panels for the matrix products, one per shard.
    scratch: Vec<Vec<f64>>,
    gradients: Gradients,
}

/// Above this many multiply-adds per gradient (N·hidden·(inputs + outputs)
/// for each of the forward and backward passes), [`Workspace::new`] shares
/// the batch among all available cores.
///
/// ```
/// // The series' network on its three examples stays on one thread.
/// assert!(3 * 3 * (2 + 1) < backprop::PARALLEL_WORK);
/// ```
pub const PARALLEL_WORK: usize = 1 << 21;

/// Fewest rows worth a shard of their own.
const MIN_SHARD_ROWS: usize = 64;

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
            a2: Vec::new(),
            fp2: Vec::new(),
            y_hat: Vec::new(),
            delta3: Vec::new(),
            delta2: Vec::new(),
            partials: Vec::new(),
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

    /// How many shards a batch of `n` rows with `work` multiply-adds per
    /// pass is cut into.
    fn shards(&self, n: usize, work: usize) -> usize {
        let wanted = match self.threads {
            Some(t) => t.get(),
            None if work >= PARALLEL_WORK => available_cores(),
            None => 1,
        };
        wanted.min(n.div_ceil(MIN_SHARD_ROWS)).max(1)
    }

    /// Sizes every buffer for a batch of `n` examples through a network of
    /// sizes (i, h, o) in `shards` shards, reusing capacity.
    fn fit(&mut self, n: usize, (i, h, o): (usize, usize, usize), shards: usize) {
        for (buf, len) in [
            (&mut self.a2, n * h),
            (&mut self.fp2, n * h),
            (&mut self.y_hat, n * o),
            (&mut self.delta3, n * o),
            (&mut self.delta2, n * h),
            (&mut self.partials, (shards - 1) * (i * h + h * o)),
        ] {
            buf.resize(len, 0.0);
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

/// The cores this process may use, asked once.
fn available_cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// One shard's rows of every per-example buffer, its gradient sums and its
/// scratch.
struct Shard<'a> {
    rows: usize,
    x: &'a [f64],
    y: &'a [f64],
    a2: &'a mut [f64],
    fp2: &'a mut [f64],
    y_hat: &'a mut [f64],
    delta3: &'a mut [f64],
    delta2: &'a mut [f64],
    dj_dw1: &'a mut [f64],
    dj_dw2: &'a mut [f64],
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
        let shards = ws.shards(n, n * h * (i + o));
        let path = gemm::Path::best();
        ws.fit(n, sizes, shards);
        if shards == 1 && tiny::fits(n, sizes) {
            let half_sse = gemm::dispatch(
                path,
                Tiny(TinyPass {
                    dims: (n, i, h, o),
                    x: x.as_slice(),
                    y: y.as_slice(),
                    w1: self.w1().as_slice(),
                    w2: self.w2().as_slice(),
                    a2: &mut ws.a2,
                    fp2: &mut ws.fp2,
                    y_hat: &mut ws.y_hat,
                    delta3: &mut ws.delta3,
                    delta2: &mut ws.delta2,
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
            scratch,
            gradients,
            ..
        } = ws;

        let half_sse = {
            // Contiguous row ranges, the first ones a row longer when N does
            // not divide evenly; the first shard sums straight into the
            // gradients, the others into their partials.
            let (mut x, mut y) = (x.as_slice(), y.as_slice());
            let (mut a2, mut fp2, mut y_hat) = (&mut a2[..], &mut fp2[..], &mut y_hat[..]);
            let (mut delta3, mut delta2) = (&mut delta3[..], &mut delta2[..]);
            let mut sums = std::iter::once((
                gradients.dj_dw1.as_mut_slice(),
                gradients.dj_dw2.as_mut_slice(),
            ))
            .chain(
                partials
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
                    rows,
                    x: take(&mut x, rows * i),
                    y: take(&mut y, rows * o),
                    a2: take_mut(&mut a2, rows * h),
                    fp2: take_mut(&mut fp2, rows * h),
                    y_hat: take_mut(&mut y_hat, rows * o),
                    delta3: take_mut(&mut delta3, rows * o),
                    delta2: take_mut(&mut delta2, rows * h),
                    dj_dw1,
                    dj_dw2,
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
        for partial in partials.chunks_exact(i * h + h * o) {
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

    /// One shard's forward and backward pass: its rows of every term, its
    /// sums a(2)ᵀ·δ(3) and Xᵀ·δ(2), and its ½ Σ (y − ŷ)².
    #[inline(always)]
    fn shard_pass<I: Isa>(&self, isa: I, s: Shard<'_>) -> Result<f64, Error> {
        let (w1, w2) = (self.w1().as_slice(), self.w2().as_slice());
        let (n, i, h, o) = (
            s.rows,
            self.input_size(),
            self.hidden_size(),
            self.output_size(),
        );

        // z(2) = X·W(1); then a(2) = f(z(2)) and f′(z(2)) from one exponential.
        gemm::multiply(isa, Layout::AB, (n, i, h), s.x, w1, s.a2, s.scratch);
        if !Activate(s.a2, s.fp2).run(isa) {
            return Err(Error::Overflow { what: "z(2)" });
        }

        // z(3) = a(2)·W(2); then ŷ = f(z(3)) with f′(z(3)) held in δ(3),
        // which becomes −(y − ŷ) ⊙ f′(z(3)).
        gemm::multiply(isa, Layout::AB, (n, h, o), s.a2, w2, s.y_hat, s.scratch);
        if !Activate(s.y_hat, s.delta3).run(isa) {
            return Err(Error::Overflow { what: "z(3)" });
        }
        let half_sse = output_errors(s.y, s.y_hat, s.delta3);

        let finite;
        if o == 1 {
            // One output: W(2) is a column, δ(3) one value per example, and
            // both δ(2) and this shard's a(2)ᵀ·δ(3) come from one pass over
            // the rows, where products would each pay a set-up per row.
            s.dj_dw2.fill(0.0);
            for (((delta2, fp2), a2), &d) in s
                .delta2
                .chunks_exact_mut(h)
                .zip(s.fp2.chunks_exact(h))
                .zip(s.a2.chunks_exact(h))
                .zip(&*s.delta3)
            {
                // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))
                for ((d2, &fp), &w) in delta2.iter_mut().zip(fp2).zip(w2) {
                    *d2 = d * w * fp;
                }
                // ∂J/∂W(2) = a(2)ᵀ·δ(3)
                for (g, &a) in s.dj_dw2.iter_mut().zip(a2) {
                    *g = I::madd(a, d, *g);
                }
            }
            finite = all_finite(s.delta2);
        } else {
            // ∂J/∂W(2) = a(2)ᵀ·δ(3), this shard's share of the sum
            gemm::multiply(
                isa,
                Layout::AtB,
                (h, n, o),
                s.a2,
                s.delta3,
                s.dj_dw2,
                s.scratch,
            );
            // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2)), scaled and checked block by
            // block as the product finishes them.
            let mut scale = ScaleParts {
                by: s.fp2,
                finite: true,
            };
            gemm::multiply_then(
                isa,
                Layout::ABt,
                (n, o, h),
                s.delta3,
                w2,
                s.delta2,
                s.scratch,
                &mut scale,
            );
            finite = scale.finite;
        }
        if !finite {
            return Err(Error::Overflow { what: "δ(2)" });
        }

        // ∂J/∂W(1) = Xᵀ·δ(2), this shard's share of the sum
        gemm::multiply(
            isa,
            Layout::AtB,
            (i, n, h),
            s.x,
            s.delta2,
            s.dj_dw1,
            s.scratch,
        );
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
        part.iter_mut().zip(by).for_each(|(v, s)| *v *= s);
        self.finite &= all_finite(part);
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
}
