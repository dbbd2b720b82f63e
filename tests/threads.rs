//! Sharing a batch among threads: the same bits on every run for a given
//! thread count, and within 1e-12 of the single-threaded result.

mod common;

use std::num::NonZeroUsize;

use approx::{abs_diff_eq, relative_eq};
use backprop::{Cost, Error, Matrix, TwoLayerNet, Workspace, sigmoid};
use common::{matrix, standard_normal};
use proptest::prelude::*;

fn threads(t: usize) -> Workspace {
    Workspace::with_threads(NonZeroUsize::new(t).unwrap())
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Batches big enough to be cut into several shards (16 rows or more each).
fn big_problem() -> impl Strategy<Value = (TwoLayerNet, Matrix, Matrix)> {
    (32..=700usize, 1..=12usize, 1..=24usize, 1..=4usize).prop_flat_map(|(n, i, h, o)| {
        (
            matrix(i, h, standard_normal()),
            matrix(h, o, standard_normal()),
            matrix(n, i, 0.0..1.0),
            matrix(n, o, 0.0..1.0),
        )
            .prop_map(|(w1, w2, x, y)| (TwoLayerNet::from_weights(w1, w2).unwrap(), x, y))
    })
}

proptest! {
    #![proptest_config(common::config(64, file!()))]

    #[test]
    fn every_thread_count_agrees_with_one_thread(
        (net, x, y) in big_problem(),
        regularised in any::<bool>(),
    ) {
        let net = if regularised {
            net.with_cost(Cost::Regularised { lambda: 1e-3 }).unwrap()
        } else {
            net
        };
        let mut single = threads(1);
        let (j1, g1) = net.cost_and_gradients_in(&x, &y, &mut single).unwrap();
        let g1 = g1.clone();
        let scale = max_abs(&g1.to_vec());
        for t in 2..=5 {
            let mut ws = threads(t);
            let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
            let g = g.clone();
            prop_assert!(abs_diff_eq!(g, g1, epsilon = 1e-12 * scale), "{} threads: {:?}", t, g);
            prop_assert!(relative_eq!(j, j1, epsilon = 0.0, max_relative = 1e-12));
            // Run to run, the bits do not change.
            for _ in 0..2 {
                let (j_again, again) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
                prop_assert_eq!(j_again.to_bits(), j.to_bits());
                prop_assert_eq!(again, &g);
            }
        }
    }
}

/// A shard that overflows is reported as it is with one thread, whichever
/// shard it is.
#[test]
fn an_overflow_in_any_shard_is_reported() {
    let net = TwoLayerNet::from_weights(
        Matrix::from([[1e300, -1e300]]),
        Matrix::from([[1.0], [1.0]]),
    )
    .unwrap();
    for bad_row in [0, 150, 299] {
        let mut x = Matrix::from_fn(300, 1, |r, _| (r as f64) / 1e300);
        x[(bad_row, 0)] = 1e10;
        let y = Matrix::zeros(300, 1).map(sigmoid);
        for t in 1..=4 {
            assert_eq!(
                net.gradients_in(&x, &y, &mut threads(t)),
                Err(Error::Overflow { what: "z(2)" }),
                "row {bad_row}, {t} threads"
            );
        }
    }
}

/// More threads than the batch has 16-row shards: the extra threads are
/// not used and the result is still right.
#[test]
fn more_threads_than_shards() {
    let net = TwoLayerNet::random(3, 4, 2, 1).unwrap();
    let x = Matrix::randn(70, 3, 2);
    let y = Matrix::randn(70, 2, 3).map(sigmoid);
    let (mut ws1, mut ws16) = (threads(1), threads(16));
    assert_eq!(ws16.threads_for(&net, 70), 5);
    let one = net.gradients_in(&x, &y, &mut ws1).unwrap().clone();
    let many = net.gradients_in(&x, &y, &mut ws16).unwrap().clone();
    let diff: Vec<f64> = many
        .to_vec()
        .iter()
        .zip(one.to_vec())
        .map(|(a, b)| a - b)
        .collect();
    assert!(max_abs(&diff) <= 1e-12 * max_abs(&one.to_vec()));
}

/// A network too large to copy for the kept threads (the library's
/// `fused` tests check that it takes that route): the call shares its
/// batch with threads of its own, with the same guarantees.
#[test]
fn a_network_too_large_to_copy_is_shared_all_the_same() {
    let net = backprop::Network::random(&[520, 520], 3).unwrap();
    let x = Matrix::randn(64, 520, 4).map(sigmoid);
    let y = Matrix::randn(64, 520, 5).map(sigmoid);
    let mut single = threads(1);
    let (j1, g1) = net.cost_and_gradients_in(&x, &y, &mut single).unwrap();
    let g1 = g1.to_vec();
    let scale = max_abs(&g1);
    let mut ws = threads(2);
    let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
    let g = g.to_vec();
    assert!(relative_eq!(j, j1, epsilon = 0.0, max_relative = 1e-12));
    for (a, b) in g.iter().zip(&g1) {
        assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
    }
    let (j_again, again) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
    assert_eq!(j_again.to_bits(), j.to_bits());
    assert_eq!(again.to_vec(), g);
}

/// A workspace's kept threads spin for a while after each call and then
/// sleep: calls made one after another, after a pause they sleep through,
/// and after the workspace served another network all give the same bits.
#[test]
fn kept_threads_give_the_same_bits_awake_or_asleep() {
    let net = backprop::Network::random(&[24, 40, 16, 3], 6).unwrap();
    let other = backprop::Network::random(&[24, 8, 3], 7).unwrap();
    let x = Matrix::randn(600, 24, 8).map(sigmoid);
    let y = Matrix::randn(600, 3, 9).map(sigmoid);
    let mut ws = threads(2);
    let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
    let g = g.to_vec();
    for pause_ms in [0, 0, 5, 0, 20] {
        std::thread::sleep(std::time::Duration::from_millis(pause_ms));
        if pause_ms == 20 {
            other.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        }
        let (j_again, again) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        assert_eq!(j_again.to_bits(), j.to_bits(), "after {pause_ms} ms");
        assert_eq!(again.to_vec(), g, "after {pause_ms} ms");
    }
    // New weights of the same shapes reach the kept threads.
    let mut changed = net.clone();
    let p: Vec<f64> = net.params().iter().map(|w| 0.5 * w - 0.1).collect();
    changed.set_params(&p).unwrap();
    let (j_kept, kept) = changed.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
    let mut fresh_ws = threads(2);
    let (j_fresh, fresh) = changed
        .cost_and_gradients_in(&x, &y, &mut fresh_ws)
        .unwrap();
    assert_eq!(j_kept.to_bits(), j_fresh.to_bits());
    assert_eq!(kept.to_vec(), fresh.to_vec());
    assert_ne!(kept.to_vec(), g);
}

/// One call's problem for the stress test: a network, a batch, and how
/// many threads its workspace asks for (`None`: the default).
struct Case {
    net: backprop::Network,
    x: Matrix,
    y: Matrix,
    threads: Option<usize>,
}

impl Case {
    /// J and the unrolled gradients, each as bits.
    fn bits(&self, ws: &mut Workspace) -> (u64, Vec<u64>) {
        let (j, g) = self
            .net
            .cost_and_gradients_in(&self.x, &self.y, ws)
            .unwrap();
        (
            j.to_bits(),
            g.to_vec().iter().map(|v| v.to_bits()).collect(),
        )
    }

    fn workspace(&self) -> Workspace {
        self.threads.map_or_else(Workspace::new, threads)
    }
}

/// Sixteen callers at once, each taking problems of random shapes and
/// thread counts from a shared list, for a bounded time: every result has
/// the bits the same call gives made alone, whoever ran its shards.
#[test]
fn sixteen_callers_get_the_bits_each_call_gets_alone() {
    use backprop::{Activation, Network};
    // A small generator of our own: the cases are fixed by the seed.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    };
    let mut cases = Vec::new();
    for c in 0..24 {
        let depth = 1 + next(3);
        let mut sizes: Vec<usize> = (0..=depth).map(|_| 1 + next(48)).collect();
        if c % 8 == 7 {
            // Too large for a job to copy: threads are started for the call.
            sizes = vec![520, 520];
        }
        let n = 16 + next(900);
        let threads = [None, Some(1), Some(2), Some(3), Some(5)][next(5)];
        let mut builder = Network::builder(sizes[0]);
        for (l, &units) in sizes[1..].iter().enumerate() {
            let activation = [Activation::Sigmoid, Activation::Tanh, Activation::Relu][next(3)];
            builder = if l % 2 == 0 {
                builder.biased_layer(units, activation)
            } else {
                builder.layer(units, activation)
            };
        }
        let net = builder.seed(c as u64).build().unwrap();
        let x = Matrix::randn(n, sizes[0], 100 + c as u64);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 200 + c as u64).map(sigmoid);
        cases.push(Case { net, x, y, threads });
    }
    let alone: Vec<_> = cases.iter().map(|c| c.bits(&mut c.workspace())).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    std::thread::scope(|scope| {
        for caller in 0..16 {
            let (cases, alone) = (&cases, &alone);
            scope.spawn(move || {
                // Each caller keeps a workspace per case, as a user would.
                let mut kept: Vec<Workspace> = cases.iter().map(Case::workspace).collect();
                let mut calls = 0;
                let mut k = caller;
                while calls < 4 || std::time::Instant::now() < deadline {
                    k = (k * 7 + 3) % cases.len();
                    assert_eq!(cases[k].bits(&mut kept[k]), alone[k], "case {k}");
                    calls += 1;
                }
            });
        }
    });
}
