//! A batch cut into shards of rows, and one shard's pass: its rows taken
//! through the derivation a block at a time, by the blocked products or,
//! for a tiny batch, in order.

use super::pass::{self, Net, Sums, Terms};
use super::products::{Blocked, InOrder, PackedWeights, Products};
use crate::error::Error;
use crate::gemm::on_lines;
use crate::isa::{Isa, Routine};
use crate::layer::Layer;

/// One shard's buffers.
#[derive(Debug, Clone, Default)]
pub(super) struct ShardBuffers {
    /// From a cache line on, laid out as [`Regions`] says: its block's rows
    /// of every a(l) and f′(z(l)), two buffers for hidden errors δ, and
    /// the weight gradients' sums as [`Products::STAGES`] takes them.
    pub arena: Vec<f64>,
    /// Per layer, its gradient sums unrolled as its parameters are: ∂J/∂W
    /// row by row, then ∂J/∂b where it has a bias. A vector of its own, so
    /// that the first shard's can be handed over rather than copied.
    pub sums: Vec<Vec<f64>>,
    /// Packed panels for the products.
    pub scratch: Vec<f64>,
    /// The weights' panels, packed once per shard.
    pub packed: PackedWeights,
}

/// Where each part of a shard's arena starts (the terms at 0), each on a
/// cache line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Regions {
    pub deltas: usize,
    /// Length of one of the two δ buffers.
    pub delta: usize,
    pub staged: usize,
    pub end: usize,
}

/// Where everything lies in a shard's buffers, for a plan's block of rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Offsets {
    /// Per layer, where a(l) and f′(z(l)) start in a shard's terms.
    pub term_offsets: Vec<usize>,
    pub regions: Regions,
    /// Per layer, where its staged sums start in the arena's `staged`
    /// region (where its parameters start when unrolled).
    pub sum_offsets: Vec<usize>,
}

impl Offsets {
    /// Becomes a copy of `from`, in the storage it has.
    pub fn copy_from(&mut self, from: &Offsets) {
        self.term_offsets.clone_from(&from.term_offsets);
        self.regions = from.regions;
        self.sum_offsets.clone_from(&from.sum_offsets);
    }
}

/// A batch and how it is cut into shards.
#[derive(Clone, Copy)]
pub(super) struct Cut<'a> {
    pub net: Net<'a>,
    pub n: usize,
    pub shards: usize,
    /// Rows per block: the terms hold this many.
    pub block: usize,
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub layout: &'a Offsets,
}

impl<'a> Cut<'a> {
    /// Shard `s`, with its buffers.
    pub fn shard<'b>(&'b self, s: usize, bufs: &'b mut ShardBuffers) -> Shard<'b>
    where
        'a: 'b,
    {
        let (rows, x, y) = self.rows_of(s);
        Shard {
            cut: self,
            x,
            y,
            rows,
            bufs,
        }
    }

    /// How many rows shard `s` holds, and its rows of X and y.
    pub fn rows_of(&self, s: usize) -> (usize, &'a [f64], &'a [f64]) {
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
        (
            rows,
            &self.x[start * inputs..(start + rows) * inputs],
            &self.y[start * outputs..(start + rows) * outputs],
        )
    }

    /// The whole batch as one shard, with its buffers.
    #[inline(always)]
    pub fn whole<'b>(&'b self, bufs: &'b mut ShardBuffers) -> Shard<'b>
    where
        'a: 'b,
    {
        Shard {
            cut: self,
            x: self.x,
            y: self.y,
            rows: self.n,
            bufs,
        }
    }
}

/// One shard's rows of X and y, and its buffers.
pub(super) struct Shard<'a> {
    /// The batch it is cut from, and how.
    cut: &'a Cut<'a>,
    x: &'a [f64],
    y: &'a [f64],
    /// How many rows `x` and `y` hold: known where the shard is cut, so
    /// that its pass need not divide for it.
    rows: usize,
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
        let mut packed = std::mem::take(&mut self.bufs.packed);
        packed.clear();
        let mut blocked = Blocked {
            isa,
            scratch,
            packed,
        };
        let loss = self.pass::<_, 0>(&mut blocked);
        self.bufs.scratch = blocked.scratch;
        self.bufs.packed = blocked.packed;
        loss
    }
}

/// The one shard of a tiny batch, by the in-order products: a routine of
/// its own, so that its code is compiled apart from the blocked kernels
/// and stays small (a call this short is sensitive to where its code
/// lies). Two layers, the series' network, have their steps written out.
pub(super) struct Tiny<'a>(pub Shard<'a>);

impl Routine for Tiny<'_> {
    type Output = Result<f64, Error>;
    #[inline(always)]
    fn run<I: Isa>(mut self, _: I) -> Result<f64, Error> {
        let two = self.0.cut.net.layers.len() == 2;
        match (I::FMA, two) {
            (true, true) => self.0.as_one_block::<_, 2>(&mut InOrder::<true>),
            (false, true) => self.0.as_one_block::<_, 2>(&mut InOrder::<false>),
            (true, false) => self.0.as_one_block::<_, 0>(&mut InOrder::<true>),
            (false, false) => self.0.as_one_block::<_, 0>(&mut InOrder::<false>),
        }
    }
}

impl Shard<'_> {
    /// The shard's rows through the pass a block at a time (the first block
    /// stores its sums, the later ones add to them); returns its loss,
    /// added in row order.
    #[inline(always)]
    fn pass<P: Products, const DEPTH: usize>(&mut self, p: &mut P) -> Result<f64, Error> {
        let layers = self.cut.net.layers;
        let (inputs, outputs) = (layers[0].inputs(), layers[layers.len() - 1].units());
        let (mut x, mut y, cut) = (self.x, self.y, self.cut);
        let (mut terms, mut sums) = parts(cut, self.bufs);
        let mut loss = 0.0;
        let mut add = false;
        let mut left = self.rows;
        while left > 0 {
            let rows = cut.block.min(left);
            left -= rows;
            let (x_block, y_block);
            (x_block, x) = x.split_at(rows * inputs);
            (y_block, y) = y.split_at(rows * outputs);
            loss = pass::block::<P, DEPTH>(
                p, cut.net, rows, x_block, y_block, &mut terms, &mut sums, add, loss,
            )?;
            add = true;
        }
        into_place::<P>(layers, &mut sums);
        Ok(loss)
    }

    /// The whole shard as one block, for a plan whose block holds it;
    /// returns its ½ Σ (y − ŷ)².
    #[inline(always)]
    fn as_one_block<P: Products, const DEPTH: usize>(&mut self, p: &mut P) -> Result<f64, Error> {
        debug_assert!(self.rows <= self.cut.block);
        let (x, y, net) = (self.x, self.y, self.cut.net);
        let (mut terms, mut sums) = parts(self.cut, self.bufs);
        let loss =
            pass::block::<P, DEPTH>(p, net, self.rows, x, y, &mut terms, &mut sums, false, 0.0)?;
        into_place::<P>(net.layers, &mut sums);
        Ok(loss)
    }
}

/// The weight gradients `P` summed in `staged`, into each layer's sums
/// (transposed back where they were summed as transposes).
#[inline(always)]
fn into_place<P: Products>(layers: &[Layer], sums: &mut Sums<'_>) {
    if !P::STAGES {
        return;
    }
    for ((layer, &at), dj) in layers.iter().zip(sums.offsets).zip(sums.layers.iter_mut()) {
        let (i, o) = (layer.inputs(), layer.units());
        let (staged, dj_dw) = (&sums.staged[at..at + i * o], &mut dj[..i * o]);
        if P::transposes(o) {
            for (p, row) in dj_dw.chunks_exact_mut(o).enumerate() {
                for (j, g) in row.iter_mut().enumerate() {
                    *g = staged[j * i + p];
                }
            }
        } else {
            dj_dw.copy_from_slice(staged);
        }
    }
}

/// A shard's buffers, laid out as `cut` says, as a block's terms and the
/// shard's sums.
#[inline(always)]
fn parts<'b>(cut: &'b Cut<'_>, bufs: &'b mut ShardBuffers) -> (Terms<'b>, Sums<'b>) {
    let r = cut.layout.regions;
    let arena = on_lines(&mut bufs.arena);
    let (terms, rest) = arena.split_at_mut(r.deltas);
    let (deltas, staged) = rest.split_at_mut(r.staged - r.deltas);
    let (first, second) = deltas.split_at_mut(r.delta);
    let terms = Terms {
        values: terms,
        offsets: &cut.layout.term_offsets,
        deltas: [first, second],
    };
    let sums = Sums {
        layers: &mut bufs.sums,
        staged,
        offsets: &cut.layout.sum_offsets,
    };
    (terms, sums)
}
