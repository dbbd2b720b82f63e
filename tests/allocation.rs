//! After the first call with a given shape, computing the gradients in a
//! `Workspace` allocates nothing: counted by a global allocator that tallies
//! every allocation made on the thread under test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use std::num::NonZeroUsize;

use backprop::{Activation, Cost, Matrix, Network, PARALLEL_WORK, TwoLayerNet, Workspace, sigmoid};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// thread-local counters are const-initialised and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: the caller's contract for `realloc` is passed on as it is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn gradients_in_a_warm_workspace_allocate_nothing() {
    for (n, i, h, o) in [(3, 2, 3, 1), (64, 16, 32, 1), (200, 12, 40, 5)] {
        for cost in [Cost::SumOfSquares, Cost::Regularised { lambda: 1e-4 }] {
            let net = TwoLayerNet::random(i, h, o, 1)
                .unwrap()
                .with_cost(cost)
                .unwrap();
            let x = Matrix::randn(n, i, 2).map(sigmoid);
            let y = Matrix::randn(n, o, 3).map(sigmoid);
            // Below the size where the default workspace starts threads.
            assert!(n * (h * (i + o) + 10 * (h + o) + 250) < PARALLEL_WORK);
            let mut ws = Workspace::new();
            assert_eq!(ws.threads_for(&net, n), 1);
            let first = allocations_in(|| {
                net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            });
            assert!(first > 0, "the counter counts");
            for _ in 0..3 {
                let again = allocations_in(|| {
                    net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
                    net.gradients_in(&x, &y, &mut ws).unwrap();
                });
                assert_eq!(again, 0, "shape {:?}, {cost:?}", (n, i, h, o));
            }
            // A smaller batch fits in the buffers already there.
            let x_small = Matrix::randn(n.div_ceil(2), i, 4);
            let y_small = Matrix::randn(n.div_ceil(2), o, 5).map(sigmoid);
            assert_eq!(
                allocations_in(|| {
                    net.gradients_in(&x_small, &y_small, &mut ws).unwrap();
                }),
                0
            );
        }
    }
}

/// A batch large enough for threads by default, run on one thread: the
/// blocked products' packing buffers are warm after the first call too.
#[test]
fn a_large_single_threaded_batch_allocates_nothing_after_warm_up() {
    let (n, i, h, o) = (1024, 64, 128, 10);
    assert!(n * (h * (i + o) + 10 * (h + o) + 250) >= PARALLEL_WORK);
    let net = TwoLayerNet::random(i, h, o, 1).unwrap();
    let x = Matrix::randn(n, i, 2).map(sigmoid);
    let y = Matrix::randn(n, o, 3).map(sigmoid);
    let mut ws = Workspace::with_threads(NonZeroUsize::MIN);
    net.gradients_in(&x, &y, &mut ws).unwrap();
    let again = allocations_in(|| {
        net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
    });
    assert_eq!(again, 0);
}

/// A four-layer network with biases and every kind of activation, on the
/// in-order path and on the blocked one: nothing allocated once warm.
#[test]
fn a_deep_network_with_biases_allocates_nothing_when_warm() {
    let net = Network::builder(12)
        .biased_layer(24, Activation::Tanh)
        .biased_layer(16, Activation::Relu)
        .layer(8, Activation::Sigmoid)
        .biased_layer(3, Activation::Identity)
        .cost(Cost::Regularised { lambda: 1e-3 })
        .build()
        .unwrap();
    for n in [1, 300] {
        let x = Matrix::randn(n, 12, 2).map(sigmoid);
        let y = Matrix::randn(n, 3, 3);
        let mut ws = Workspace::with_threads(NonZeroUsize::MIN);
        net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        let again = allocations_in(|| {
            net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            net.gradients_in(&x, &y, &mut ws).unwrap();
        });
        assert_eq!(again, 0, "N = {n}");
    }
}

/// A batch shared with the workspace's kept threads: once they are
/// started and the buffers warm, a call allocates nothing on the calling
/// thread (the threads run the single-threaded pass above).
#[test]
fn a_batch_shared_with_kept_threads_allocates_nothing_when_warm() {
    let net = Network::builder(64)
        .biased_layer(128, Activation::Tanh)
        .biased_layer(64, Activation::Relu)
        .layer(32, Activation::Sigmoid)
        .biased_layer(10, Activation::Identity)
        .build()
        .unwrap();
    let n = 1024;
    let x = Matrix::randn(n, 64, 2).map(sigmoid);
    let y = Matrix::randn(n, 10, 3);
    for threads in [2, 3] {
        let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
        net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        let again = allocations_in(|| {
            net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            net.gradients_in(&x, &y, &mut ws).unwrap();
        });
        assert_eq!(again, 0, "{threads} threads");
    }
}

/// Stochastic training allocates per epoch (the next parameters, the
/// epoch's record), never per mini-batch: once the first epoch has sized
/// every buffer, each epoch allocates as often with 44 mini-batches as
/// with 6. Counted between the callback's calls, one per epoch, within one
/// run, since the first call's count depends on where the allocator put
/// the weights (whether they need a copy on cache lines).
#[test]
fn stochastic_training_allocates_nothing_per_mini_batch() {
    use backprop::{Adam, DataSet, GradientDescent, Optimiser, data};
    use std::ops::ControlFlow;
    let (n, i, h, c) = (303, 8, 16, 4);
    let x = Matrix::randn(n, i, 1).map(sigmoid);
    let labels: Vec<usize> = (0..n).map(|k| k % c).collect();
    let d = DataSet::new(x, data::one_hot(&labels, c).unwrap()).unwrap();
    let net = Network::builder(i)
        .biased_layer(h, Activation::Relu)
        .biased_layer(c, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .build()
        .unwrap();
    let epochs = 8;
    // Allocations in each epoch after the first.
    let per_epoch = |batch: usize, adam: bool| {
        let mut net = net.clone();
        let mut marks = Vec::with_capacity(epochs + 1);
        allocations_in(|| {
            let mark = |_: &backprop::Progress| {
                marks.push(ALLOCATIONS.with(Cell::get));
                ControlFlow::Continue(())
            };
            let report = if adam {
                Adam::default()
                    .batch_size(batch)
                    .max_iterations(epochs)
                    .gradient_tolerance(0.0)
                    .train_with(&mut net, &d, None, mark)
            } else {
                GradientDescent::new(0.05)
                    .momentum(0.9)
                    .batch_size(batch)
                    .max_iterations(epochs)
                    .gradient_tolerance(0.0)
                    .train_with(&mut net, &d, None, mark)
            };
            assert_eq!(report.unwrap().iterations, epochs);
        });
        marks
            .windows(2)
            .skip(1)
            .map(|w| w[1] - w[0])
            .collect::<Vec<_>>()
    };
    for adam in [true, false] {
        // 303 rows: 43 of 7 and a short one of 2, or 5 of 60 and one of 3.
        let (small, large) = (per_epoch(7, adam), per_epoch(60, adam));
        assert_eq!(small, large, "adam: {adam}");
        // The next parameters and the epoch's mean gradient, and now and
        // then the record growing.
        assert!(small.iter().all(|&a| a <= 3), "{small:?}");
    }
}
