//! What every stochastic optimiser shares: an epoch of mini-batches in an
//! order shuffled from a seed, the rows of each copied into buffers that
//! are reused, and the update rule applied after each.
//!
//! ```text
//! for each epoch:   shuffle 0 … N−1
//!     for each mini-batch B of the order (the last may be short):
//!         g ← ∇J(p) on B;   p ← rule(p, g)
//! ```
//!
//! One epoch is one iteration of the run: the callback, the testing cost
//! and the stop tests come once per epoch. The cost recorded for an epoch
//! is the mean of its mini-batches' costs, each weighted by its rows, at
//! the parameters each was computed at; the gradient whose ‖·‖∞ the stop
//! test reads is their mean likewise.

use super::StopReason;
use super::run::{Evaluation, Run};
use crate::data::DataSet;
use crate::data::split::shuffle;
use crate::error::Error;
use crate::matrix::Matrix;
use crate::rng::Rng;

/// How an optimiser cuts the training set: rows per mini-batch, and the
/// seed of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Batching {
    pub size: usize,
    pub seed: u64,
}

/// An update rule: how a stochastic optimiser moves the parameters given
/// one mini-batch's gradient.
pub trait Rule {
    /// Moves `p` given ∇J(p) on one mini-batch.
    fn update(&mut self, p: &mut [f64], g: &[f64]);
}

/// The state of a stochastic run: the rule's, and the mini-batch buffers
/// and gradient, made at the first epoch.
#[derive(Debug)]
pub struct Epochs<R> {
    pub(crate) rule: R,
    batches: Option<(Batches, Vec<f64>)>,
}

impl<R: Rule> Epochs<R> {
    pub(crate) fn new(rule: R) -> Self {
        Epochs {
            rule,
            batches: None,
        }
    }

    /// One epoch from `p`: every mini-batch once, in a new order.
    pub(crate) fn epoch(
        &mut self,
        batching: Batching,
        run: &mut Run<'_>,
        p: &[f64],
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        let (batches, gradient) = self.batches.get_or_insert_with(|| {
            let batches = Batches::new(run.training(), batching);
            (batches, vec![0.0; p.len()])
        });
        let mut next = p.to_vec();
        let mut mean_gradient = vec![0.0; p.len()];
        let mut cost = 0.0;
        let n = batches.order.len();
        batches.shuffle();
        for start in (0..n).step_by(batching.size) {
            let rows = batching.size.min(n - start);
            let (x, y) = batches.fill(run.training(), start, rows);
            // The data were accepted at the start, so a failure here comes
            // from the parameters: steps too large.
            let j = run
                .batch(&next, x, y, gradient)
                .map_err(|_| StopReason::Diverged)?;
            let share = rows as f64 / n as f64;
            cost += share * j;
            for (m, g) in mean_gradient.iter_mut().zip(gradient.iter()) {
                *m += share * g;
            }
            self.rule.update(&mut next, gradient);
        }
        if !(cost.is_finite() && next.iter().all(|v| v.is_finite())) {
            return Err(StopReason::Diverged);
        }
        Ok((
            next,
            Evaluation {
                cost,
                gradient: mean_gradient,
            },
        ))
    }
}

/// The order of the examples and the buffers a mini-batch is copied into:
/// one pair of X and y for full batches and one for the short last one.
#[derive(Debug)]
struct Batches {
    order: Vec<usize>,
    rng: Rng,
    full: (Matrix, Matrix),
    short: (Matrix, Matrix),
}

impl Batches {
    fn new(data: &DataSet, batching: Batching) -> Self {
        let n = data.len();
        let size = batching.size.min(n);
        let last = match n % size {
            0 => size,
            r => r,
        };
        let (i, o) = (data.x.cols(), data.y.cols());
        Batches {
            order: (0..n).collect(),
            rng: Rng::new(batching.seed),
            full: (Matrix::zeros(size, i), Matrix::zeros(size, o)),
            short: (Matrix::zeros(last, i), Matrix::zeros(last, o)),
        }
    }

    /// A new order, from the seeded generator.
    fn shuffle(&mut self) {
        shuffle(&mut self.order, &mut self.rng);
    }

    /// The `rows` examples of the order from `start`, copied in.
    fn fill(&mut self, data: &DataSet, start: usize, rows: usize) -> (&Matrix, &Matrix) {
        let (x, y) = if rows == self.full.0.rows() {
            &mut self.full
        } else {
            &mut self.short
        };
        let order = &self.order[start..start + rows];
        for (dst, &src) in x.as_mut_slice().chunks_exact_mut(data.x.cols()).zip(order) {
            dst.copy_from_slice(data.x.row(src));
        }
        for (dst, &src) in y.as_mut_slice().chunks_exact_mut(data.y.cols()).zip(order) {
            dst.copy_from_slice(data.y.row(src));
        }
        (x, y)
    }
}

/// Rejects a mini-batch of no rows.
pub(crate) fn check_batch_size(size: usize) -> Result<(), Error> {
    if size == 0 {
        Err(Error::InvalidSetting {
            what: "batch size",
            value: 0.0,
        })
    } else {
        Ok(())
    }
}
