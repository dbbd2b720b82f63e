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
//! - the loss (½ Σ (y − ŷ)², or cross-entropy's) is added row by row in
//!   each shard, then shard by shard.
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

/// The fewest examples worth a thread of their own: a batch of N examples
/// is shared among at most ⌈N / `MIN_SHARD_ROWS`⌉ threads, whatever the
/// workspace asks for (see
/// [`Workspace::threads_for`](crate::Workspace::threads_for)).
///
/// ```
/// use std::num::NonZeroUsize;
/// use backprop::{MIN_SHARD_ROWS, TwoLayerNet, Workspace};
///
/// let net = TwoLayerNet::random(3, 4, 2, 1)?;
/// let ws = Workspace::with_threads(NonZeroUsize::new(8).unwrap());
/// assert_eq!(ws.threads_for(&net, 3 * MIN_SHARD_ROWS), 3);
/// # Ok::<(), backprop::Error>(())
/// ```
pub const MIN_SHARD_ROWS: usize = 16;

/// A shard runs its rows through the whole pass a block at a time, sized
/// so that one block's per-example terms (its rows of X, and of every
/// a(l), f′(z(l)) and δ(l)) take at most about this many bytes, unless the
/// parameters ask for more ([`block_budget`]): each term is then read back
/// from cache rather than from memory, and the buffers stay that small
/// however large the batch.
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// A block's terms take at least this many times the parameters' bytes:
/// each block reads every W twice (forward and back) and reads and writes
/// every ∂J/∂W sum, traffic that depends on the parameters alone, so a
/// network with many of them takes larger blocks to keep it a small share.
const BLOCK_PARAMS: usize = 4;

/// The budget for one block of a shard's rows through `layers`:
/// [`BLOCK_BYTES`], or [`BLOCK_PARAMS`] times the parameters' bytes where
/// that is more (256-512-512-10: 12 MiB, at most 448 rows).
pub(crate) fn block_budget(layers: &[Layer]) -> usize {
    let params = layers
        .iter()
        .fold(0_usize, |p, l| p.saturating_add(l.param_count()));
    BLOCK_BYTES.max(params.saturating_mul(BLOCK_PARAMS * size_of::<f64>()))
}

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
/// them unless a block of `bytes` is smaller and every block, the last
/// and smallest too, is large enough that every forward product still
/// takes the blocked kernel, whose sums along a row of z do not depend on
/// how many rows it is given (so ŷ, and J, have the same bits either way).
pub(crate) fn block_rows(rows: usize, layers: &[Layer], bytes: usize) -> usize {
    let row_values = layers
        .iter()
        .fold(layers[0].inputs(), |v, l| v.saturating_add(3 * l.units()));
    let most = (bytes / row_values.saturating_mul(8)) / 64 * 64;
    if most == 0 || most >= rows {
        return rows;
    }
    // As many blocks as the budget needs, all about the same size, so
    // that the last is not a sliver that pays a whole block's traffic in
    // the parameters; a multiple of 8 rows, the kernels' tile height.
    let block = rows.div_ceil(rows.div_ceil(most)).next_multiple_of(8);
    let last = rows - (rows.div_ceil(block) - 1) * block;
    let blocked_kernel =
        |l: &Layer| last.saturating_mul(l.inputs()).saturating_mul(l.units()) > DIRECT_MAX;
    if layers.iter().all(blocked_kernel) {
        block
    } else {
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Network;

    /// Rows per block by hand: a row's terms are its inputs and three
    /// values per unit (a, f′ and δ), 8 bytes each; the budget holds at
    /// most a whole multiple of 64 rows, and the blocks are then evened
    /// out in multiples of 8.
    #[test]
    fn a_block_outweighs_the_parameters() {
        // 64-128-10: 9 472 parameters, far below 4 MiB.
        let s2 = Network::random(&[64, 128, 10], 0).unwrap();
        assert_eq!(block_budget(s2.layers()), BLOCK_BYTES);
        // 256-512-10: 136 192 parameters, 4 358 144 bytes at four
        // times over; 4 358 144 / (8 · 1822) = 299, 256 rows as with 4 MiB.
        let s3 = Network::random(&[256, 512, 10], 0).unwrap();
        assert_eq!(block_budget(s3.layers()), 4_358_144);
        assert_eq!(
            block_rows(8192, s3.layers(), block_budget(s3.layers())),
            256
        );
        assert_eq!(block_rows(8192, s3.layers(), BLOCK_BYTES), 256);
        // 256-512-512-10: 398 336 parameters, 12 746 752 bytes at four
        // times over; 12 746 752 / (8 · 3358) = 474, at most 448 rows, so
        // 19 blocks of 8192 / 19 = 431.2, 432 rows (the last 416).
        let d2 = Network::random(&[256, 512, 512, 10], 0).unwrap();
        assert_eq!(block_budget(d2.layers()), 12_746_752);
        assert_eq!(
            block_rows(8192, d2.layers(), block_budget(d2.layers())),
            432
        );
        // Two shards of 4096: 10 blocks of 409.6, 416 rows (the last 352).
        assert_eq!(
            block_rows(4096, d2.layers(), block_budget(d2.layers())),
            416
        );
        // 64-128-128-128-10, 4 MiB: at most 384 rows; 1024 in 3 blocks
        // of 344 (the last 336), not 384, 384 and 256.
        let d1 = Network::random(&[64, 128, 128, 128, 10], 0).unwrap();
        assert_eq!(
            block_rows(1024, d1.layers(), block_budget(d1.layers())),
            344
        );
        // 16-16-16: 112 values a row, at most 128 rows in 114 688 bytes. 200
        // rows: 2 blocks of 104 (the last 96, 96 · 256 products > 16 Ki);
        // 136 rows: 72 and 64, whose 64 · 256 would not take the blocked
        // kernel, so one block.
        let small = Network::random(&[16, 16, 16], 0).unwrap();
        assert_eq!(block_rows(200, small.layers(), 114_688), 104);
        assert_eq!(block_rows(136, small.layers(), 114_688), 136);
    }

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
