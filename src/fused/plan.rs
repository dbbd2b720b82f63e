//! How a batch is cut up: how many threads share it, how many rows each
//! takes through the pass at a time, and whether it is small enough for
//! the in-order loops.
//!
//! # Summation order
//!
//! Every result depends only on the batch, the network and the thread
//! count, never on timing:
//!
//! - a batch is cut into contiguous shards of rows, the first ones a row
//!   longer when N does not divide evenly, one per thread;
//! - each shard sums its rows' gradient terms block after block of rows,
//!   in row order;
//! - the shards' sums are added to the first shard's in shard order;
//! - ½ Σ (y − ŷ)² is added row by row in each shard, then shard by shard.
//!
//! On one thread, J therefore has the bits of
//! [`Network::cost`](crate::Network::cost): the forward products sum each
//! element of z the same way whatever the number of rows they are given
//! (see [`block_rows`]).

use std::num::NonZeroUsize;
use std::sync::OnceLock;

use crate::gemm::{DIRECT_MAX, DIRECT_TINY};
use crate::layer::Layer;

/// Above this estimated cost of one gradient computation, in multiply-adds,
/// [`Workspace::new`](crate::Workspace::new) shares the batch among all
/// available cores.
///
/// The estimate for N examples through a network of sizes n(1), …, n(L+1)
/// is N·(Σ n(l)·n(l+1) + 10·Σ n(l+1) + 250): the multiply-adds of the
/// forward products (the backward ones match them), about ten more for each
/// activation, and 250 for the rest of each example's work, weights that
/// make measured single-thread times proportional to it. Threads pay once
/// the work outweighs starting them: a second thread breaks even at about
/// 3 M, for networks from the series' 2-3-1 (N ≈ 10 000) to 256-512-10
/// (N ≈ 28). [`Workspace::threads_for`](crate::Workspace::threads_for)
/// tells what a workspace will use.
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
/// The estimated cost of the rest of one example's pass (checks, the output
/// error, loop overhead), in multiply-adds.
const EXAMPLE_WORK: usize = 250;

/// Fewest rows worth a shard of their own.
pub(crate) const MIN_SHARD_ROWS: usize = 16;

/// A shard runs its rows through the whole pass a block at a time, sized
/// so that one block's per-example terms (its rows of X, and of every
/// a(l), f′(z(l)) and δ(l)) take at most about this many bytes: each term
/// is then read back from cache rather than from memory, and the buffers
/// stay that small however large the batch.
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// The estimate of [`PARALLEL_WORK`] for `n` examples through `layers`.
fn estimated_work(n: usize, layers: &[Layer]) -> usize {
    let per_example = layers.iter().fold(EXAMPLE_WORK, |w, l| {
        w.saturating_add(l.inputs().saturating_mul(l.units()))
            .saturating_add(ACTIVATION_WORK.saturating_mul(l.units()))
    });
    n.saturating_mul(per_example)
}

/// How many shards a batch of `n` rows through `layers` is cut into: the
/// count asked for, or by default one thread up to [`PARALLEL_WORK`] and
/// [`default_threads`] above it; at most one per [`MIN_SHARD_ROWS`].
pub(crate) fn shards(threads: Option<NonZeroUsize>, n: usize, layers: &[Layer]) -> usize {
    let wanted = match threads {
        Some(t) => t.get(),
        None if estimated_work(n, layers) >= PARALLEL_WORK => default_threads(),
        None => 1,
    };
    wanted.min(n.div_ceil(MIN_SHARD_ROWS)).max(1)
}

/// The most threads a default workspace shares a batch among: the
/// environment variable `BACKPROP_THREADS` when it holds a whole number
/// from 1 up, else every core this process may use. Read once, at the
/// first large batch.
pub(crate) fn default_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        threads_setting(std::env::var("BACKPROP_THREADS").ok().as_deref())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    })
}

/// A thread count from the text of `BACKPROP_THREADS`, if it holds one.
fn threads_setting(text: Option<&str>) -> Option<usize> {
    text?
        .trim()
        .parse::<NonZeroUsize>()
        .ok()
        .map(NonZeroUsize::get)
}

/// Whether a batch of `n` examples takes the in-order loops: every forward
/// product at most [`DIRECT_TINY`] multiply-adds, the size up to which the
/// products sum each element in order too.
pub(crate) fn tiny(n: usize, layers: &[Layer]) -> bool {
    layers
        .iter()
        .all(|l| n.saturating_mul(l.inputs()).saturating_mul(l.units()) <= DIRECT_TINY)
}

/// Rows per block for a shard of `rows` examples through `layers`: all of
/// them unless a block of `bytes` is smaller and large enough that every
/// forward product still takes the blocked kernel, whose sums along a row
/// of z do not depend on how many rows it is given (so ŷ, and J, have the
/// same bits either way).
pub(crate) fn block_rows(rows: usize, layers: &[Layer], bytes: usize) -> usize {
    let row_values = layers
        .iter()
        .fold(layers[0].inputs(), |v, l| v.saturating_add(3 * l.units()));
    let block = (bytes / row_values.saturating_mul(8)) / 64 * 64;
    let blocked_kernel =
        |l: &Layer| block.saturating_mul(l.inputs()).saturating_mul(l.units()) > DIRECT_MAX;
    if block < rows && layers.iter().all(blocked_kernel) {
        block
    } else {
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backprop_threads_takes_whole_numbers_from_one() {
        assert_eq!(threads_setting(Some("4")), Some(4));
        assert_eq!(threads_setting(Some(" 1\n")), Some(1));
        for ignored in [
            None,
            Some(""),
            Some("0"),
            Some("-2"),
            Some("two"),
            Some("1.5"),
        ] {
            assert_eq!(threads_setting(ignored), None, "{ignored:?}");
        }
    }
}
