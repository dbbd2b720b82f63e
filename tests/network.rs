//! The any-depth `Network`: gradients against central differences over
//! random depths, widths, activations, biases and costs; the fused pass
//! against the textbook route; `TwoLayerNet` against the two-layer
//! `Network`, bit for bit; bad input rejected without change.

mod common;

use std::num::NonZeroUsize;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use backprop::{Activation, Cost, Error, Matrix, Network, TwoLayerNet, Workspace, sigmoid};
use proptest::prelude::*;

/// A random network: 1 to 6 weight matrices of 1 to 6 units, each layer's
/// activation and bias chosen at random (softmax and cross-entropy where a
/// network takes them), any cost, seeded weights and biases, and a batch
/// with X in [0, 1] and targets in (0, 1): softmax rows need not sum to 1.
fn deep_problem() -> impl Strategy<Value = (Network, Matrix, Matrix)> {
    let layer = (
        1..=6usize,
        prop::sample::select(Activation::ALL.to_vec()),
        any::<bool>(),
    );
    (
        1..=6usize,
        1..=5usize,
        prop::collection::vec(layer, 1..=6),
        prop_oneof![
            Just(Cost::SumOfSquares),
            (0.0..0.1f64).prop_map(|lambda| Cost::Regularised { lambda }),
            Just(Cost::CrossEntropy),
            (0.0..0.1f64).prop_map(|lambda| Cost::RegularisedCrossEntropy { lambda }),
        ],
        0..1000u64,
    )
        .prop_map(|(n, inputs, mut layers, cost, seed)| {
            let chosen: Vec<_> = layers.iter().map(|l| l.1).collect();
            for (layer, f) in layers.iter_mut().zip(common::supported(&chosen, cost)) {
                layer.1 = f;
            }
            let mut b = Network::builder(inputs).seed(seed).cost(cost);
            for &(units, f, bias) in &layers {
                b = if bias {
                    b.biased_layer(units, f)
                } else {
                    b.layer(units, f)
                };
            }
            let mut net = b.build().unwrap();
            // Biases away from 0, so that they matter.
            for (k, &(units, _, bias)) in layers.iter().enumerate() {
                if bias {
                    let b = Matrix::randn(1, units, seed + 10 + k as u64).scale(0.5);
                    net = net.with_bias(k + 1, b).unwrap();
                }
            }
            let outputs = layers.last().unwrap().0;
            let x = Matrix::randn(n, inputs, seed + 1).map(sigmoid);
            let y = Matrix::randn(n, outputs, seed + 2).map(sigmoid);
            (net, x, y)
        })
}

/// (J(p + εeₖ) − J(p − εeₖ)) / 2ε for every parameter, by `cost` alone (the
/// textbook forward pass), written here rather than taken from the crate.
fn central_differences(net: &Network, x: &Matrix, y: &Matrix, eps: f64) -> Vec<f64> {
    let params = net.params();
    let mut probe = net.clone();
    (0..params.len())
        .map(|k| {
            let mut p = params.clone();
            p[k] = params[k] + eps;
            probe.set_params(&p).unwrap();
            let plus = probe.cost(x, y).unwrap();
            p[k] = params[k] - eps;
            probe.set_params(&p).unwrap();
            let minus = probe.cost(x, y).unwrap();
            (plus - minus) / (2.0 * eps)
        })
        .collect()
}

/// Whether some z of a ReLU layer lies within `margin` of the kink, where
/// a central difference straddles two slopes.
fn near_a_kink(net: &Network, x: &Matrix, y: &Matrix, margin: f64) -> bool {
    let t = net.trace(x, y).unwrap();
    net.layers().iter().zip(&t.z).any(|(l, z)| {
        l.activation() == Activation::Relu && z.as_slice().iter().any(|v| v.abs() < margin)
    })
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

proptest! {
    #![proptest_config(common::config(256, file!()))]

    #[test]
    fn gradients_match_central_differences((net, x, y) in deep_problem()) {
        let eps = 1e-5;
        prop_assume!(!near_a_kink(&net, &x, &y, 1e-3));
        let g = net.gradients(&x, &y).unwrap().to_vec();
        let numerical = central_differences(&net, &x, &y, eps);
        prop_assert_eq!(g.len(), net.param_count());
        // Truncation error O(ε²·J‴) and rounding error O(ε_mach·J/ε), both
        // far below this bound for J of order 1 and weights of order 1.
        let scale = max_abs(&numerical).max(1e-3);
        for (k, (a, b)) in g.iter().zip(&numerical).enumerate() {
            prop_assert!((a - b).abs() <= 1e-6 * scale, "parameter {k}: {a:e} vs {b:e}");
        }
    }

    #[test]
    fn the_fused_pass_equals_the_textbook_route((net, x, y) in deep_problem()) {
        let (j, g) = net.cost_and_gradients(&x, &y).unwrap();
        prop_assert_eq!(j.to_bits(), net.cost(&x, &y).unwrap().to_bits());
        let t = net.trace(&x, &y).unwrap();
        let want = t.gradients();
        let scale = max_abs(&want.to_vec()).max(1e-300);
        prop_assert!(abs_diff_eq!(g, want, epsilon = 1e-13 * scale), "{:?}\nvs\n{:?}", g, want);
        prop_assert_eq!(net.forward(&x).unwrap(), t.a.last().unwrap().clone());
    }
}

/// A two-layer network and the same weights as a `Network`: forward values,
/// J and gradients with the same bits, on the tiny path, the blocked path
/// with one output, few outputs and many, on one thread and two.
#[test]
fn two_layer_net_is_the_two_layer_network_bit_for_bit() {
    for (n, i, h, o) in [
        (3, 2, 3, 1),
        (64, 16, 32, 1),
        (200, 12, 40, 5),
        (1024, 64, 128, 10),
        (300, 8, 24, 20),
    ] {
        let two = TwoLayerNet::random(i, h, o, 5).unwrap();
        let net = Network::from_weights(vec![two.w1().clone(), two.w2().clone()]).unwrap();
        let x = Matrix::randn(n, i, 6).map(sigmoid);
        let y = Matrix::randn(n, o, 7).map(sigmoid);
        assert_eq!(two.forward(&x).unwrap(), net.forward(&x).unwrap());
        for threads in [1, 2] {
            let t = NonZeroUsize::new(threads).unwrap();
            let (mut ws_two, mut ws_net) = (Workspace::with_threads(t), Workspace::with_threads(t));
            let (j2, g2) = two.cost_and_gradients_in(&x, &y, &mut ws_two).unwrap();
            let (jn, gn) = net.cost_and_gradients_in(&x, &y, &mut ws_net).unwrap();
            assert_eq!(j2.to_bits(), jn.to_bits(), "{:?}", (n, i, h, o));
            let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
            assert_eq!(bits(g2.to_vec()), bits(gn.to_vec()), "{:?}", (n, i, h, o));
        }
    }
}

/// Deep networks on the blocked path and shared among threads: the
/// textbook route's gradients to within rounding, the same bits run to run,
/// and within 1e-12 of one thread.
#[test]
fn deep_batches_agree_across_threads_and_runs() {
    let net = Network::builder(24)
        .biased_layer(48, Activation::Tanh)
        .layer(40, Activation::Relu)
        .biased_layer(32, Activation::Sigmoid)
        .layer(6, Activation::Identity)
        .seed(3)
        .build()
        .unwrap();
    let x = Matrix::randn(700, 24, 4).map(sigmoid);
    let y = Matrix::randn(700, 6, 5);
    let want = net.trace(&x, &y).unwrap().gradients();
    let scale = max_abs(&want.to_vec());
    let one = net
        .gradients_in(&x, &y, &mut Workspace::with_threads(NonZeroUsize::MIN))
        .unwrap()
        .clone();
    assert_abs_diff_eq!(one, want, epsilon = 1e-12 * scale);
    for threads in [2, 3] {
        let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
        let g = net.gradients_in(&x, &y, &mut ws).unwrap().clone();
        // Relative to the largest gradient, as tests/threads.rs measures it.
        assert_abs_diff_eq!(g, one, epsilon = 1e-12 * scale);
        assert_eq!(*net.gradients_in(&x, &y, &mut ws).unwrap(), g);
    }
}

/// Every kind of bad input is an error naming it, and leaves the network
/// and the workspace's last gradients as they were.
#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    assert_eq!(Network::from_weights(vec![]), Err(Error::NoLayers));
    assert_eq!(
        Network::from_weights(vec![
            Matrix::zeros(2, 3),
            Matrix::zeros(3, 4),
            Matrix::zeros(5, 1)
        ]),
        Err(Error::LayerShapes {
            layer: 3,
            expected_rows: 4,
            found: (5, 1)
        })
    );
    let mut w = Matrix::zeros(3, 4);
    w[(1, 2)] = f64::NAN;
    assert_eq!(
        Network::from_weights(vec![Matrix::zeros(2, 3), w]),
        Err(Error::NonFinite {
            what: "W(2)",
            at: (1, 2)
        })
    );
    assert!(matches!(
        Network::random(&[2, 0, 1], 0),
        Err(Error::LayerSizes { .. })
    ));

    // The series' N(0, 1) weights, large enough that X = f64::MAX overflows.
    let net = Network::from_weights(
        Network::random(&[2, 3, 3, 1], 1)
            .unwrap()
            .layers()
            .iter()
            .map(|l| l.weights().scale(4.0))
            .collect(),
    )
    .unwrap();
    assert_eq!(
        net.clone().with_bias(2, Matrix::zeros(1, 4)),
        Err(Error::BiasShape {
            layer: 2,
            expected: (1, 3),
            found: (1, 4)
        })
    );
    assert_eq!(
        net.clone().with_bias(4, Matrix::zeros(1, 1)),
        Err(Error::NoSuchLayer { layer: 4, depth: 3 })
    );
    assert!(matches!(
        net.clone()
            .with_bias(1, Matrix::from([[0.0, f64::INFINITY, 0.0]])),
        Err(Error::NonFinite { what: "b(1)", .. })
    ));

    let (x, y) = (
        Matrix::from([[0.1, 0.2], [0.3, 0.4]]),
        Matrix::from([[0.5], [0.6]]),
    );
    let mut ws = Workspace::new();
    let good = net.gradients_in(&x, &y, &mut ws).unwrap().clone();
    let mut nan_x = x.clone();
    nan_x[(1, 0)] = f64::NAN;
    for (bx, by, expected) in [
        (
            Matrix::zeros(2, 3),
            y.clone(),
            Error::InputColumns {
                expected: 2,
                found: 3,
            },
        ),
        (
            x.clone(),
            Matrix::zeros(3, 1),
            Error::TargetRows {
                expected: 2,
                found: 3,
            },
        ),
        (
            x.clone(),
            Matrix::zeros(2, 2),
            Error::TargetColumns {
                expected: 1,
                found: 2,
            },
        ),
        (
            nan_x,
            y.clone(),
            Error::NonFinite {
                what: "X",
                at: (1, 0),
            },
        ),
    ] {
        assert_eq!(net.gradients_in(&bx, &by, &mut ws), Err(expected.clone()));
        assert_eq!(net.cost(&bx, &by), Err(expected.clone()));
        assert_eq!(net.trace(&bx, &by).map(|_| ()), Err(expected));
        assert_eq!(ws.network_gradients(), &good);
    }
    // Finite data that overflows: an error naming the term, and the last
    // good gradients kept.
    let huge = Matrix::from([[f64::MAX, f64::MAX], [1.0, 1.0]]);
    assert!(matches!(
        net.gradients_in(&huge, &y, &mut ws),
        Err(Error::Overflow { .. })
    ));
    assert_eq!(ws.network_gradients(), &good);

    let mut changed = net.clone();
    assert_eq!(
        changed.set_params(&[0.0; 5]),
        Err(Error::ParamCount {
            expected: net.param_count(),
            found: 5
        })
    );
    let mut bad = net.params();
    bad[4] = f64::NAN;
    assert!(changed.set_params(&bad).is_err());
    assert_eq!(changed, net);
}

/// A batch of `n` rows for `net` with NaN or ±∞ written at each of `bad`
/// (a row-major position in X when `in_x`, else in y), and the error that
/// names the first of them.
fn poisoned(net: &Network, n: usize, in_x: bool, bad: &[(usize, f64)]) -> (Matrix, Matrix, Error) {
    let mut x = Matrix::randn(n, net.input_size(), 1).map(sigmoid);
    let mut y = Matrix::randn(n, net.output_size(), 2).map(sigmoid);
    let (m, what) = if in_x { (&mut x, "X") } else { (&mut y, "y") };
    let len = m.as_slice().len();
    for &(at, v) in bad {
        m.as_mut_slice()[at % len] = v;
    }
    let first = bad.iter().map(|&(at, _)| at % len).min().unwrap();
    let at = (first / m.cols(), first % m.cols());
    (x, y, Error::NonFinite { what, at })
}

proptest! {
    #![proptest_config(common::config(128, file!()))]

    /// X and y are searched for NaN and ∞ only once the pass has failed:
    /// whichever way the batch goes through the pass (in order, in
    /// blocks, or shared among threads), the error still names the first
    /// bad value, and the workspace keeps its last good gradients.
    #[test]
    fn a_non_finite_input_is_named_on_every_path(
        (net, _, _) in deep_problem(),
        n in prop_oneof![1..=3usize, 40..=80usize, 300..=400usize],
        threads in 1..=3usize,
        in_x in any::<bool>(),
        bad in prop::collection::vec(
            (any::<usize>(), prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY])),
            1..=3,
        ),
    ) {
        let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
        let (x, y, expected) = poisoned(&net, n, in_x, &bad);
        let good_x = Matrix::randn(n, net.input_size(), 3).map(sigmoid);
        let good_y = Matrix::randn(n, net.output_size(), 4).map(sigmoid);
        let good = net.gradients_in(&good_x, &good_y, &mut ws).unwrap().clone();
        prop_assert_eq!(net.gradients_in(&x, &y, &mut ws), Err(expected.clone()));
        prop_assert_eq!(ws.network_gradients(), &good);
        prop_assert_eq!(net.cost(&x, &y), Err(expected));
    }
}
