//! The pass against the textbook route: blocks, threads, instruction
//! sets and the in-order path.

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
        ws.buffers().block_bytes = Some(bytes);
        let j = net.backpropagate(&x, &y, &mut ws).unwrap();
        let g = ws.buffers().unrolled_gradients();
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
        assert_eq!(ws.buffers().unrolled_gradients(), g);
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

/// A call whose own shard panics after a kept thread has taken another:
/// the panic reaches the caller once the thread's job is back, the kept
/// thread is free again, and the next call gives the same bits as before.
#[test]
fn a_panic_on_the_calling_thread_leaves_the_kept_threads_in_order() {
    let net = deep();
    let n = 600;
    let x = Matrix::randn(n, 24, 8).map(sigmoid);
    let y = Matrix::randn(n, 16, 9);
    let mut ws = Workspace::with_threads(NonZeroUsize::new(2).unwrap());
    net.backpropagate(&x, &y, &mut ws).unwrap();
    let want = ws.buffers().unrolled_gradients();

    let bufs = ws.buffers();
    let Plan { shards, block, .. } = bufs.fit(net.layers(), n);
    assert_eq!(shards, 2);
    let Buffers {
        shards: shard_buffers,
        layout,
        lined,
        copies,
        workers,
        path,
        ..
    } = bufs;
    let cut = Cut {
        net: Net {
            layers: net.layers(),
            cost: net.cost_function(),
            lined: on_lines(lined),
            copies,
        },
        n,
        shards,
        block,
        x: x.as_slice(),
        y: y.as_slice(),
        layout,
    };
    assert!(job::worth_copying(cut.net.layers, cut.rows_of(0).0));
    let (_, others) = shard_buffers.split_first_mut().unwrap();
    let path = *path;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        workers.run(&cut, path, || panic!("on the calling thread"), others)
    }));
    assert!(panicked.is_err());
    // Other tests' calls hold kept threads for a moment at a time; one kept
    // by the panicking call would be held for good.
    let start = std::time::Instant::now();
    while workers::claimed() > 0 {
        assert!(
            start.elapsed().as_secs() < 60,
            "a kept thread stays claimed"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }

    net.backpropagate(&x, &y, &mut ws).unwrap();
    assert_eq!(ws.buffers().unrolled_gradients(), want);
}

/// The copy limit splits the two routes to the kept threads: the deep
/// network's shards are copied into jobs, and a 520-520 layer's 270 920
/// parameters alone are above the limit, so its shards go to threads
/// started for the call (`tests/threads.rs` checks that route's results).
#[test]
fn a_network_too_large_to_copy_takes_threads_started_for_the_call() {
    assert!(job::worth_copying(deep().layers(), 300));
    let large = Network::random(&[520, 520], 3).unwrap();
    assert!(!job::worth_copying(large.layers(), 32));
}
