//! The fast gradient pass: the same backpropagation as
//! [`Network::trace`](crate::Network::trace), fused and written into
//! buffers that are reused from call to call, for a network of any depth.
//! It never names a network type: it takes a stack of [`Layer`]s and a
//! [`Cost`].
//!
//! The forward pass applies f and f′ while each block of z is fresh from
//! the product (one evaluation gives both), the output error forms ŷ, δ and
//! ½ Σ (y − ŷ)² together, and each hidden δ is scaled by f′(z) as the
//! product produces it. After the first call for a given shape, a
//! single-threaded call allocates nothing.
//!
//! ∂J/∂W is a sum over examples ("every example gets a vote"), so a large
//! batch is cut into contiguous shards of rows, one per thread, and each
//! shard runs its rows through the whole pass a block of rows at a time
//! (a few MiB of terms, so they come back from cache rather than memory);
//! [`plan`] states the order in which the sums are taken.
//!
//! - [`plan`]: threads, blocks, and the in-order path for tiny batches;
//! - [`pass`]: the derivation, one function per equation;
//! - [`products`]: the products, by the blocked kernels or in order;
//! - this module: the buffers, the shards and their ordered reduction.

mod pass;
pub(crate) mod plan;
mod products;

use std::num::NonZeroUsize;

use crate::cost::Cost;
use crate::error::Error;
use crate::gemm::{self, Isa, LINE, Path, Routine, on_lines, on_lines_ref};
use crate::layer::{Layer, Term, finite_or_overflow};
use crate::matrix::all_finite;
use pass::{Net, Sums, Terms};
use products::{Blocked, InOrder, Products};

/// The buffers of the pass and its thread setting, reused from call to
/// call: they grow to the largest shape they have served and never shrink.
#[derive(Debug, Clone)]
pub(crate) struct Buffers {
    /// `None`: chosen per call from the problem's size.
    pub threads: Option<NonZeroUsize>,
    /// The budget for one block of rows: [`plan::BLOCK_BYTES`] but in tests.
    pub block_bytes: usize,
    /// The instruction set: [`Path::best`] but in tests.
    pub path: Path,
    shards: Vec<ShardBuffers>,
    /// Per layer, where a(l) and f′(z(l)) start in a shard's terms.
    term_offsets: Vec<usize>,
    regions: Regions,
    /// Per layer, where its gradient starts in the unrolled parameters.
    sum_offsets: Vec<usize>,
    /// Weights copied onto cache lines, and per layer where its copy is.
    lined: Vec<f64>,
    copies: Vec<Option<usize>>,
    /// Parameters of the network last served.
    params: usize,
    /// The batch size and block budget last served, each layer's (inputs,
    /// units, bias), and the plan made for them.
    fitted: (usize, usize),
    fitted_layers: Vec<(usize, usize, bool)>,
    plan: Plan,
    /// Whether some layer's rows of W could start on cache lines.
    may_copy: bool,
}

/// How a batch is taken through the pass (see [`plan`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Plan {
    shards: usize,
    /// Rows per block: the terms hold this many.
    block: usize,
    /// Whether the products are taken in order (one block, one shard).
    tiny: bool,
}

/// One shard's buffers.
#[derive(Debug, Clone, Default)]
struct ShardBuffers {
    /// From a cache line on, laid out as [`Regions`] says: its block's rows
    /// of every a(l) and f′(z(l)), two buffers for hidden errors δ, its
    /// gradient sums unrolled as the parameters are, and the sums taken as
    /// their transposes.
    arena: Vec<f64>,
    /// Packed panels for the products.
    scratch: Vec<f64>,
}

/// Where each part of a shard's arena starts (the terms at 0), each on a
/// cache line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Regions {
    deltas: usize,
    /// Length of one of the two δ buffers.
    delta: usize,
    sums: usize,
    transposed: usize,
    end: usize,
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new(None)
    }
}

/// `len` rounded up to whole cache lines.
fn lines_for(len: usize) -> usize {
    len.next_multiple_of(LINE)
}

/// Grows `buf` to hold `len` values from a cache line on.
fn grow(buf: &mut Vec<f64>, len: usize) {
    if buf.len() < len + LINE - 1 {
        buf.resize(len + LINE - 1, 0.0);
    }
}

impl Buffers {
    pub(crate) fn new(threads: Option<NonZeroUsize>) -> Self {
        Buffers {
            threads,
            block_bytes: plan::BLOCK_BYTES,
            path: Path::best(),
            shards: Vec::new(),
            term_offsets: Vec::new(),
            regions: Regions::default(),
            sum_offsets: Vec::new(),
            lined: Vec::new(),
            copies: Vec::new(),
            params: 0,
            fitted: (0, 0),
            fitted_layers: Vec::new(),
            plan: Plan::default(),
            may_copy: false,
        }
    }

    /// The gradients of the last successful [`backpropagate`], unrolled in
    /// the order of the parameters: for each layer ∂J/∂W row by row, then
    /// ∂J/∂b where it has a bias. Unspecified after a failed one.
    pub(crate) fn gradients(&self) -> &[f64] {
        match self.shards.first() {
            Some(first) => {
                let at = self.regions.sums;
                &on_lines_ref(&first.arena)[at..at + self.params]
            }
            None => &[],
        }
    }

    /// The plan for a batch of `n` rows through `layers`, with every buffer
    /// sized for it: made again only when the batch size or a layer's
    /// shape differs from the last call's, reusing what is there.
    fn fit(&mut self, layers: &[Layer], n: usize) -> Plan {
        let shape = |l: &Layer| (l.inputs(), l.units(), l.bias.is_some());
        let same = self.fitted == (n, self.block_bytes)
            && self.fitted_layers.len() == layers.len()
            && self
                .fitted_layers
                .iter()
                .zip(layers)
                .all(|(&f, l)| f == shape(l));
        if !same {
            let shards = plan::shards(self.threads, n, layers);
            let tiny = shards == 1 && plan::tiny(n, layers);
            let block = if tiny {
                n
            } else {
                plan::block_rows(n.div_ceil(shards), layers, self.block_bytes)
            };
            self.plan = Plan {
                shards,
                block,
                tiny,
            };
            self.size(layers, block, shards);
            self.fitted = (n, self.block_bytes);
            self.fitted_layers.clear();
            self.fitted_layers.extend(layers.iter().map(shape));
            self.copies.clear();
            self.copies.resize(layers.len(), None);
            self.may_copy = layers.iter().any(|l| l.units().is_multiple_of(LINE));
        }
        if self.may_copy {
            self.line_up(layers);
        }
        self.plan
    }

    /// Sizes every buffer and sets the offsets.
    fn size(&mut self, layers: &[Layer], block: usize, shards: usize) {
        self.term_offsets.clear();
        let mut terms = 0;
        for layer in layers {
            for _ in 0..2 {
                self.term_offsets.push(terms);
                terms += lines_for(block * layer.units());
            }
        }
        self.sum_offsets.clear();
        let mut params = 0;
        for layer in layers {
            self.sum_offsets.push(params);
            params += layer.param_count();
        }
        self.params = params;
        let widest_hidden = layers[1..].iter().map(Layer::inputs).max().unwrap_or(0);
        let delta = lines_for(block * widest_hidden);
        if self.shards.len() < shards {
            self.shards.resize_with(shards, ShardBuffers::default);
        }
        let sums = terms + 2 * delta;
        let transposed = sums + lines_for(params);
        self.regions = Regions {
            deltas: terms,
            delta,
            sums,
            transposed,
            end: transposed + lines_for(params),
        };
        for s in &mut self.shards[..shards] {
            grow(&mut s.arena, self.regions.end);
        }
    }

    /// Copies onto cache lines the weights that need it (they may have
    /// changed since the last call, so this is done on every call).
    fn line_up(&mut self, layers: &[Layer]) {
        // The product kernels read rows of W in place, 8 values at a time:
        // where W's rows could start on cache lines but its storage does
        // not, a copy that does.
        self.copies.clear();
        let mut lined = 0;
        for layer in layers {
            let w = layer.weights.as_slice();
            let aligned = (w.as_ptr() as usize).is_multiple_of(LINE * size_of::<f64>());
            if layer.units().is_multiple_of(LINE) && !aligned {
                self.copies.push(Some(lined));
                lined += lines_for(w.len());
            } else {
                self.copies.push(None);
            }
        }
        if lined == 0 {
            return;
        }
        grow(&mut self.lined, lined);
        let copies = on_lines(&mut self.lined);
        for (layer, at) in layers.iter().zip(&self.copies) {
            if let Some(at) = *at {
                let w = layer.weights.as_slice();
                copies[at..at + w.len()].copy_from_slice(w);
            }
        }
    }
}

/// Runs the whole pass for the batch (X, y), already checked against
/// `layers`: afterwards [`Buffers::gradients`] holds ∂J/∂W and ∂J/∂b of
/// `cost`. Returns ½ Σ (y − ŷ)² (not checked for overflow: only the cost
/// needs it).
pub(crate) fn backpropagate(
    layers: &[Layer],
    cost: Cost,
    x: &[f64],
    y: &[f64],
    n: usize,
    bufs: &mut Buffers,
) -> Result<f64, Error> {
    let Plan {
        shards,
        block,
        tiny,
    } = bufs.fit(layers, n);
    let Buffers {
        shards: shard_buffers,
        term_offsets,
        regions,
        sum_offsets,
        lined,
        copies,
        params,
        ..
    } = bufs;
    let net = Net {
        layers,
        lined: on_lines(lined),
        copies,
    };
    let path = bufs.path;
    let cut = Cut {
        net,
        n,
        shards,
        block,
        x,
        y,
        term_offsets,
        regions: *regions,
        sum_offsets,
        params: *params,
    };
    let shard_at = |s, bufs| cut.shard(s, bufs);
    let (first, others) = shard_buffers[..shards]
        .split_first_mut()
        .expect("at least one shard");
    let half_sse = if tiny {
        gemm::dispatch(path, Tiny(shard_at(0, first)))?
    } else if shards == 1 {
        gemm::dispatch(path, shard_at(0, first))?
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = others
                .iter_mut()
                .enumerate()
                .map(|(s, bufs)| {
                    let shard = shard_at(s + 1, bufs);
                    scope.spawn(move || gemm::dispatch(path, shard))
                })
                .collect();
            let mut half_sse = gemm::dispatch(path, shard_at(0, &mut *first));
            // Joined and added in shard order, whatever order they end in.
            for handle in handles {
                let shard = handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                half_sse = half_sse.and_then(|sum| Ok(sum + shard?));
            }
            half_sse
        })?
    };
    let at = regions.sums;
    let sums = &mut on_lines(&mut first.arena)[at..at + *params];
    for other in others.iter_mut() {
        let partial = &on_lines(&mut other.arena)[at..at + *params];
        sums.iter_mut().zip(partial).for_each(|(g, p)| *g += p);
    }
    finish(layers, cost, sums, sum_offsets, n)?;
    Ok(half_sse)
}

/// Turns the summed gradients into the cost's, and checks them: an
/// overflow is reported for the last layer's term first, as the
/// derivation computes them.
fn finish(
    layers: &[Layer],
    cost: Cost,
    sums: &mut [f64],
    offsets: &[usize],
    n: usize,
) -> Result<(), Error> {
    if let Cost::Regularised { .. } = cost {
        for (layer, &at) in layers.iter().zip(offsets) {
            let (dj_dw, dj_db) =
                sums[at..at + layer.param_count()].split_at_mut(layer.weights.as_slice().len());
            cost.finish_gradient(dj_dw, &layer.weights, n);
            cost.finish_bias_gradient(dj_db, n);
        }
    }
    // One pass over all of them; only an overflow looks for where it is.
    if all_finite(sums) {
        return Ok(());
    }
    for (k, layer) in layers.iter().enumerate().rev() {
        let at = offsets[k];
        let (dj_dw, dj_db) =
            sums[at..at + layer.param_count()].split_at(layer.weights.as_slice().len());
        finite_or_overflow(all_finite(dj_dw), Term::DjDw, k + 1)?;
        finite_or_overflow(all_finite(dj_db), Term::DjDb, k + 1)?;
    }
    // The layers' gradients cover the sums, so this is not reached.
    Err(Error::Overflow { what: "dJ/dW" })
}

/// A batch and how it is cut into shards.
#[derive(Clone, Copy)]
struct Cut<'a> {
    net: Net<'a>,
    n: usize,
    shards: usize,
    /// Rows per block: the terms hold this many.
    block: usize,
    x: &'a [f64],
    y: &'a [f64],
    term_offsets: &'a [usize],
    regions: Regions,
    sum_offsets: &'a [usize],
    params: usize,
}

impl<'a> Cut<'a> {
    /// Shard `s`, with its buffers.
    fn shard<'b>(&'b self, s: usize, bufs: &'b mut ShardBuffers) -> Shard<'b>
    where
        'a: 'b,
    {
        let Cut { n, shards, .. } = *self;
        let layers = self.net.layers;
        let (inputs, outputs) = (layers[0].inputs(), layers[layers.len() - 1].units());
        // Contiguous row ranges, the first ones a row longer when N does
        // not divide evenly.
        let (start, rows) = if shards == 1 {
            (0, n)
        } else {
            let (size, longer) = (n / shards, n % shards);
            (s * size + s.min(longer), size + usize::from(s < longer))
        };
        Shard {
            cut: self,
            x: &self.x[start * inputs..(start + rows) * inputs],
            y: &self.y[start * outputs..(start + rows) * outputs],
            bufs,
        }
    }
}

/// One shard's rows of X and y, and its buffers.
struct Shard<'a> {
    /// The batch it is cut from, and how.
    cut: &'a Cut<'a>,
    x: &'a [f64],
    y: &'a [f64],
    bufs: &'a mut ShardBuffers,
}

/// A shard's pass as a [`Routine`], so that all of it, products, activation
/// and the loops between them, is compiled for the instruction set it runs
/// on.
impl Routine for Shard<'_> {
    type Output = Result<f64, Error>;
    #[inline(always)]
    fn run<I: Isa>(mut self, isa: I) -> Result<f64, Error> {
        let scratch = std::mem::take(&mut self.bufs.scratch);
        let mut blocked = Blocked { isa, scratch };
        let half_sse = self.pass::<_, 0>(&mut blocked);
        self.bufs.scratch = blocked.scratch;
        half_sse
    }
}

/// The one shard of a tiny batch, by the in-order products: a routine of
/// its own, so that its code is compiled apart from the blocked kernels
/// and stays small (a call this short is sensitive to where its code
/// lies). Two layers, the series' network, have their steps written out.
struct Tiny<'a>(Shard<'a>);

impl Routine for Tiny<'_> {
    type Output = Result<f64, Error>;
    #[inline(always)]
    fn run<I: Isa>(mut self, _: I) -> Result<f64, Error> {
        let two = self.0.cut.net.layers.len() == 2;
        match (I::FMA, two) {
            (true, true) => self.0.pass::<_, 2>(&mut InOrder::<true>),
            (false, true) => self.0.pass::<_, 2>(&mut InOrder::<false>),
            (true, false) => self.0.pass::<_, 0>(&mut InOrder::<true>),
            (false, false) => self.0.pass::<_, 0>(&mut InOrder::<false>),
        }
    }
}

impl Shard<'_> {
    /// The shard's rows through the pass a block at a time (the first block
    /// stores its sums, the later ones add to them); returns its
    /// ½ Σ (y − ŷ)², added in row order.
    #[inline(always)]
    fn pass<P: Products, const DEPTH: usize>(&mut self, p: &mut P) -> Result<f64, Error> {
        let layers = self.cut.net.layers;
        let (inputs, outputs) = (layers[0].inputs(), layers[layers.len() - 1].units());
        let r = self.cut.regions;
        let arena = on_lines(&mut self.bufs.arena);
        let (terms, rest) = arena.split_at_mut(r.deltas);
        let (deltas, rest) = rest.split_at_mut(r.sums - r.deltas);
        let (sums, transposed) = rest.split_at_mut(r.transposed - r.sums);
        let (first, second) = deltas.split_at_mut(r.delta);
        let mut terms = Terms {
            values: terms,
            offsets: self.cut.term_offsets,
            deltas: [first, second],
        };
        let mut sums = Sums {
            values: &mut sums[..self.cut.params],
            transposed,
            offsets: self.cut.sum_offsets,
        };
        let mut half_sse = 0.0;
        let (mut x, mut y) = (self.x, self.y);
        let mut add = false;
        while !y.is_empty() {
            let rows = self.cut.block.min(y.len() / outputs);
            let (x_block, y_block);
            (x_block, x) = x.split_at(rows * inputs);
            (y_block, y) = y.split_at(rows * outputs);
            half_sse = pass::block::<P, DEPTH>(
                p,
                self.cut.net,
                rows,
                x_block,
                y_block,
                &mut terms,
                &mut sums,
                add,
                half_sse,
            )?;
            add = true;
        }
        // The sums taken as transposes, into place.
        for (layer, &at) in layers.iter().zip(self.cut.sum_offsets) {
            let (i, o) = (layer.inputs(), layer.units());
            if P::transposes(o) {
                let dj_dw_t = &sums.transposed[at..at + o * i];
                for (p, row) in sums.values[at..at + i * o].chunks_exact_mut(o).enumerate() {
                    for (j, g) in row.iter_mut().enumerate() {
                        *g = dj_dw_t[j * i + p];
                    }
                }
            }
        }
        Ok(half_sse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Matrix, Network, Workspace, sigmoid};

    fn deep() -> Network {
        Network::builder(24)
            .biased_layer(48, Activation::Tanh)
            .layer(40, Activation::Relu)
            .biased_layer(32, Activation::Sigmoid)
            .layer(16, Activation::Identity)
            .seed(11)
            .build()
            .unwrap()
    }

    /// A batch taken in 64-row blocks, on one thread and on three: the
    /// trace's gradients, J with the bits of `cost` on one thread, and the
    /// same bits on every run.
    #[test]
    fn blocks_of_rows_sum_to_the_whole_batch() {
        let net = deep();
        let row_values = 24 + 3 * (48 + 40 + 32 + 16);
        let bytes = 64 * 8 * row_values;
        assert_eq!(plan::block_rows(1000, net.layers(), bytes), 64);
        for (n, threads) in [(300, 1), (64 * 5, 1), (1000, 1), (600, 3)] {
            let x = Matrix::randn(n, 24, 8).map(sigmoid);
            let y = Matrix::randn(n, 16, 9);
            let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
            ws.buffers().block_bytes = bytes;
            let j = net.backpropagate(&x, &y, &mut ws).unwrap();
            let g = ws.buffers().gradients().to_vec();
            let want = net.trace(&x, &y).unwrap().gradients().to_vec();
            let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            for (a, b) in g.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
            }
            if threads == 1 {
                assert_eq!(j.to_bits(), net.cost(&x, &y).unwrap().to_bits());
            }
            assert_eq!(
                net.backpropagate(&x, &y, &mut ws).unwrap().to_bits(),
                j.to_bits()
            );
            assert_eq!(ws.buffers().gradients(), &g[..]);
        }
    }

    /// Every instruction set this machine has, the in-order path (with
    /// its two-layer form) and the blocked one, on one thread and two:
    /// the trace's gradients, and the same J on every set.
    #[test]
    fn every_instruction_set_gives_the_traces_gradients() {
        for (n, sizes) in [
            (3, vec![2, 3, 1]),
            (3, vec![2, 3, 4, 1]),
            (200, vec![2, 3, 1]),
            (200, vec![8, 16, 12, 3]),
        ] {
            let net = Network::random(&sizes, 7).unwrap();
            let x = Matrix::randn(n, sizes[0], 8).map(sigmoid);
            let y = Matrix::randn(n, sizes[sizes.len() - 1], 9).map(sigmoid);
            let want = net.trace(&x, &y).unwrap().gradients().to_vec();
            let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            let j = net.cost(&x, &y).unwrap();
            for path in Path::available() {
                for threads in [1, 2] {
                    let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
                    ws.buffers().path = path;
                    let (cost, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
                    assert!((cost - j).abs() <= 1e-14 * j, "{path:?} {sizes:?}");
                    for (a, b) in g.to_vec().iter().zip(&want) {
                        assert!(
                            (a - b).abs() <= 1e-13 * scale,
                            "{path:?} {sizes:?}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }

    /// The tiny path's threshold: on both sides of it, the trace's
    /// gradients and J with the bits of `cost`.
    #[test]
    fn the_in_order_path_agrees_with_the_trace_on_both_sides_of_its_threshold() {
        let mut ws = Workspace::new();
        for (n, sizes, tiny) in [
            (3, vec![2, 3, 1], true),
            (1, vec![1, 1], true),
            (2, vec![8, 16, 4, 4], true),
            (4, vec![4, 24, 1], true),
            (5, vec![8, 16, 2], false),
            (40, vec![8, 16, 12, 13, 1], false),
        ] {
            let net = Network::random(&sizes, 3).unwrap();
            assert_eq!(plan::tiny(n, net.layers()), tiny, "{sizes:?}");
            let x = Matrix::randn(n, sizes[0], 4);
            let y = Matrix::randn(n, sizes[sizes.len() - 1], 5).map(sigmoid);
            let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            assert_eq!(
                j.to_bits(),
                net.cost(&x, &y).unwrap().to_bits(),
                "{sizes:?}"
            );
            let want = net.trace(&x, &y).unwrap().gradients().to_vec();
            for (a, b) in g.to_vec().iter().zip(&want) {
                assert!((a - b).abs() <= 1e-13 * b.abs().max(1e-3), "{a} vs {b}");
            }
        }
    }
}
