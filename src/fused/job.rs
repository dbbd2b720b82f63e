//! A shard's work as a job a kept thread can own: the shard's rows of X
//! and y and the layers, copied, and the shard's buffers, moved in and
//! back out, so that once the threads are started nothing is allocated.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;

use super::lined::grow;
use super::pass::Net;
use super::shard::{Cut, Offsets, ShardBuffers};
use crate::cost::Cost;
use crate::error::Error;
use crate::gemm::on_lines;
use crate::isa::{self, Path};
use crate::layer::Layer;

/// The most values a job may copy: 2 MiB, which takes about as long to
/// copy as the least a thread started per call waits to start. Above it,
/// a thread started for the call, which borrows what it reads, costs less.
const COPY_LIMIT: usize = 1 << 18;

/// Whether a shard of `rows` rows through `layers` is cheap enough to copy
/// for a kept thread.
pub(super) fn worth_copying(layers: &[Layer], rows: usize) -> bool {
    let row = layers[0].inputs() + layers[layers.len() - 1].units();
    let params: usize = layers.iter().map(Layer::param_count).sum();
    rows * row + params <= COPY_LIMIT
}

/// A shard's loss (½ Σ (y − ŷ)², or its cross-entropy) or its error, or the panic its pass raised.
pub(super) type Outcome = thread::Result<Result<f64, Error>>;

/// What one shard's pass reads, owned, and what it gives back.
#[derive(Default)]
pub(super) struct Job {
    layers: Vec<Layer>,
    cost: Cost,
    lined: Vec<f64>,
    copies: Vec<Option<usize>>,
    layout: Offsets,
    x: Vec<f64>,
    y: Vec<f64>,
    rows: usize,
    block: usize,
    path: Option<Path>,
    pub(super) bufs: ShardBuffers,
}

impl Job {
    /// Copies shard `s` of `cut` in, and takes its buffers.
    pub(super) fn fill(&mut self, cut: &Cut<'_>, s: usize, path: Path, bufs: &mut ShardBuffers) {
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
    pub(super) fn run(&mut self) -> Outcome {
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
            isa::dispatch(path, cut.shard(0, bufs))
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
