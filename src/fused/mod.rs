//! The fast gradient pass: the same backpropagation as
//! [`Network::trace`](crate::Network::trace), fused and written into
//! buffers that are reused from call to call, for a network of any depth.
//! It never names a network type: it takes a stack of [`Layer`]s and a
//! [`Cost`].
//!
//! The forward pass applies f and f′ while each block of z is fresh from
//! the product (one evaluation gives both), the output error forms ŷ, δ and
//! the loss together, and each hidden δ is scaled by f′(z) as the
//! product produces it. After the first call for a given shape, a call
//! allocates nothing unless it starts a thread of its own (see [`workers`]).
//!
//! ∂J/∂W is a sum over examples ("every example gets a vote"), so a large
//! batch is cut into contiguous shards of rows, one per thread, and each
//! shard runs its rows through the whole pass a block of rows at a time
//! (a few MiB of terms, so they come back from cache rather than memory,
//! or more for a network with many parameters);
//! [`plan`] states the order in which the sums are taken.
//!
//! - [`plan`]: threads, blocks, and the in-order path for tiny batches;
//! - [`shard`]: a batch cut into shards, and one shard's pass block by block;
//! - [`pass`]: the derivation, one function per equation;
//! - [`products`]: the products, by the blocked kernels or in order;
//! - [`lined`]: weights copied onto cache lines, and buffers sized in
//!   lines;
//! - [`workers`]: the process's kept threads, which take the shards after
//!   the first;
//! - [`job`]: a shard's work copied for a kept thread;
//! - this module: the buffers, the threads of each call and the ordered
//!   reduction.

mod job;
mod lined;
mod pass;
pub(crate) mod plan;
mod products;
mod shard;
mod workers;

use std::num::NonZeroUsize;

use crate::cost::Cost;
use crate::error::Error;
use crate::gemm::{LINE, on_lines};
use crate::isa::{self, Path};
use crate::layer::{Layer, Term, finite_or_overflow};
use crate::matrix::all_finite;
use lined::{grow, line_up, lines_for};
use pass::Net;
use shard::{Cut, Offsets, Regions, ShardBuffers, Tiny};
use workers::Workers;

/// The buffers of the pass and its thread setting, reused from call to
/// call: they grow to the largest shape they have served and never shrink.
#[derive(Debug, Clone)]
pub(crate) struct Buffers {
    /// `None`: chosen per call from the problem's size.
    pub threads: Option<NonZeroUsize>,
    /// The budget for one block of rows: `None` for
    /// [`plan::block_budget`]'s, which suits the network; set in tests.
    pub block_bytes: Option<usize>,
    /// The instruction set: [`Path::best`] but in tests.
    pub path: Path,
    shards: Vec<ShardBuffers>,
    layout: Offsets,
    /// Weights copied onto cache lines, and per layer where its copy is.
    lined: Vec<f64>,
    copies: Vec<Option<usize>>,
    /// The batch size and block budget last served, each layer's (inputs,
    /// units, bias), and the plan made for them.
    fitted: (usize, Option<usize>),
    fitted_layers: Vec<(usize, usize, bool)>,
    plan: Plan,
    /// The threads that take shards 1, 2, … of a shared batch.
    workers: Workers,
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

impl Default for Buffers {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Buffers {
    pub(crate) fn new(threads: Option<NonZeroUsize>) -> Self {
        Buffers {
            threads,
            block_bytes: None,
            path: Path::best(),
            shards: Vec::new(),
            layout: Offsets::default(),
            lined: Vec::new(),
            copies: Vec::new(),
            fitted: (0, None),
            fitted_layers: Vec::new(),
            plan: Plan::default(),
            workers: Workers::default(),
            may_copy: false,
        }
    }

    /// The gradients of the last successful [`cost_and_gradients`], per layer
    /// unrolled as its parameters are: ∂J/∂W row by row, then ∂J/∂b where
    /// it has a bias. Unspecified after a failed one.
    pub(crate) fn gradients(&self) -> &[Vec<f64>] {
        self.shards.first().map_or(&[], |first| &first.sums)
    }

    /// [`gradients`](Self::gradients) as one vector, in the order of the
    /// parameters.
    pub(crate) fn unrolled_gradients(&self) -> Vec<f64> {
        self.gradients().concat()
    }

    /// [`gradients`](Self::gradients) written into `out`, in the order of
    /// the parameters, without allocating.
    pub(crate) fn write_unrolled_gradients(&self, out: &mut [f64]) {
        let mut rest = out;
        for layer in self.gradients() {
            let (here, after) = rest.split_at_mut(layer.len());
            here.copy_from_slice(layer);
            rest = after;
        }
    }

    /// Layer `k`'s gradients, to be handed over whole: the caller swaps in
    /// a vector of the same length, which the next call overwrites.
    pub(crate) fn gradients_mut(&mut self, k: usize) -> &mut Vec<f64> {
        &mut self.shards[0].sums[k]
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
                let bytes = self
                    .block_bytes
                    .unwrap_or_else(|| plan::block_budget(layers));
                plan::block_rows(n.div_ceil(shards), layers, bytes)
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
        self.layout.term_offsets.clear();
        let mut terms = 0;
        for layer in layers {
            for _ in 0..2 {
                self.layout.term_offsets.push(terms);
                terms += lines_for(block * layer.units());
            }
        }
        self.layout.sum_offsets.clear();
        let mut params = 0;
        for layer in layers {
            self.layout.sum_offsets.push(params);
            params += layer.param_count();
        }
        let widest_hidden = layers[1..].iter().map(Layer::inputs).max().unwrap_or(0);
        let delta = lines_for(block * widest_hidden);
        if self.shards.len() < shards {
            self.shards.resize_with(shards, ShardBuffers::default);
        }
        let staged = terms + 2 * delta;
        self.layout.regions = Regions {
            deltas: terms,
            delta,
            staged,
            end: staged + lines_for(params),
        };
        for s in &mut self.shards[..shards] {
            grow(&mut s.arena, self.layout.regions.end);
            s.sums.resize_with(layers.len(), Vec::new);
            for (sums, layer) in s.sums.iter_mut().zip(layers) {
                sums.resize(layer.param_count(), 0.0);
            }
        }
    }

    /// Copies onto cache lines the weights that need it (they may have
    /// changed since the last call, so this is done on every call).
    fn line_up(&mut self, layers: &[Layer]) {
        line_up(layers, &mut self.lined, &mut self.copies);
    }
}

/// Runs the whole pass for the batch (X, y), already checked against
/// `layers`: afterwards [`Buffers::gradients`] holds ∂J/∂W and ∂J/∂b of
/// `cost`. Returns the batch's summed loss, ½ Σ (y − ŷ)² or the
/// cross-entropy −Σ y·ln ŷ (not checked for overflow: only the cost needs
/// it).
pub(crate) fn cost_and_gradients(
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
        layout,
        lined,
        copies,
        workers,
        ..
    } = bufs;
    let net = Net {
        layers,
        cost,
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
        layout,
    };
    let (first, others) = shard_buffers[..shards]
        .split_first_mut()
        .expect("at least one shard");
    let loss = if tiny {
        isa::dispatch(path, Tiny(cut.whole(first)))?
    } else {
        run_shards(&cut, path, first, others, workers)?
    };
    for other in others.iter() {
        for (sums, partial) in first.sums.iter_mut().zip(&other.sums) {
            sums.iter_mut().zip(partial).for_each(|(g, p)| *g += p);
        }
    }
    isa::dispatch(path, Finish(layers, cost, &mut first.sums, n))?;
    Ok(loss)
}

/// Runs every shard of `cut` by the blocked products, the first on this
/// thread and the others shared with the process's kept threads (see
/// [`workers`]). Returns their summed loss, added in shard order.
fn run_shards(
    cut: &Cut<'_>,
    path: Path,
    first: &mut ShardBuffers,
    others: &mut [ShardBuffers],
    workers: &mut Workers,
) -> Result<f64, Error> {
    if others.is_empty() {
        return isa::dispatch(path, cut.shard(0, first));
    }
    workers.run(
        cut,
        path,
        || isa::dispatch(path, cut.shard(0, first)),
        others,
    )
}

/// [`finish`], compiled for the path the pass ran on: a division per
/// parameter, which the widest vectors take several at a time (and round
/// the same on every path).
struct Finish<'a>(&'a [Layer], Cost, &'a mut [Vec<f64>], usize);

impl isa::Routine for Finish<'_> {
    type Output = Result<(), Error>;
    #[inline(always)]
    fn run<I: isa::Isa>(self, _: I) -> Result<(), Error> {
        finish(self.0, self.1, self.2, self.3)
    }
}

/// Turns the summed gradients into the cost's, and checks them: an
/// overflow is reported for the last layer's term first, as the
/// derivation computes them.
#[inline(always)]
fn finish(layers: &[Layer], cost: Cost, sums: &mut [Vec<f64>], n: usize) -> Result<(), Error> {
    if cost.is_mean() {
        for (layer, sums) in layers.iter().zip(sums.iter_mut()) {
            let (dj_dw, dj_db) = sums.split_at_mut(layer.weights.as_slice().len());
            cost.finish_gradient(dj_dw, &layer.weights, n);
            cost.finish_bias_gradient(dj_db, n);
        }
    }
    // One pass per layer; only an overflow looks for where it is.
    if sums.iter().all(|s| all_finite(s)) {
        return Ok(());
    }
    for (k, (layer, sums)) in layers.iter().zip(sums.iter()).enumerate().rev() {
        let (dj_dw, dj_db) = sums.split_at(layer.weights.as_slice().len());
        finite_or_overflow(all_finite(dj_dw), Term::DjDw, k + 1)?;
        finite_or_overflow(all_finite(dj_db), Term::DjDb, k + 1)?;
    }
    // The layers' gradients cover the sums, so this is not reached.
    Err(Error::Overflow { what: "dJ/dW" })
}

#[cfg(test)]
mod tests;
