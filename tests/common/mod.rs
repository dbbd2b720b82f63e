//! Strategies and naive oracles shared by the integration tests.
//!
//! The oracles are written independently of the crate's code, as plain loops
//! over indices, so that a test comparing against them compares two routes.

#![allow(dead_code)] // each test binary uses a different part of this module

use backprop::{Matrix, TwoLayerNet};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// `cases` cases, failures saved beside the test file as
/// `<test>.proptest-regressions` and replayed first on the next run.
pub fn config(cases: u32, source_file: &'static str) -> Config {
    Config {
        cases,
        source_file: Some(source_file),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// A `rows × cols` matrix with elements drawn from `values`.
pub fn matrix(
    rows: usize,
    cols: usize,
    values: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = Matrix> {
    prop::collection::vec(values, rows * cols)
        .prop_map(move |data| Matrix::new(rows, cols, data).expect("length is rows * cols"))
}

/// A matrix of any shape up to `max_rows × max_cols` (0 allowed), elements
/// in [-10, 10].
pub fn any_matrix(max_rows: usize, max_cols: usize) -> impl Strategy<Value = Matrix> {
    (0..=max_rows, 0..=max_cols).prop_flat_map(|(r, c)| matrix(r, c, -10.0..10.0))
}

/// A standard-normal sample (Box–Muller on two proptest uniforms), like the
/// series' `np.random.randn` initial weights.
pub fn standard_normal() -> impl Strategy<Value = f64> + Clone {
    (f64::EPSILON..1.0, 0.0..std::f64::consts::TAU)
        .prop_map(|(u, theta): (f64, f64)| (-2.0 * u.ln()).sqrt() * theta.cos())
}

/// A network and a batch for it: N ≤ 32 examples, ≤ 8 inputs, ≤ 16 hidden
/// units, ≤ 4 outputs, standard-normal weights, and X and y in [0, 1] as the
/// series normalises them.
#[derive(Debug, Clone)]
pub struct Problem {
    pub net: TwoLayerNet,
    pub x: Matrix,
    pub y: Matrix,
}

pub fn problem() -> impl Strategy<Value = Problem> {
    (1..=32usize, 1..=8usize, 1..=16usize, 1..=4usize).prop_flat_map(|(n, i, h, o)| {
        (
            matrix(i, h, standard_normal()),
            matrix(h, o, standard_normal()),
            matrix(n, i, 0.0..1.0),
            matrix(n, o, 0.0..1.0),
        )
            .prop_map(|(w1, w2, x, y)| Problem {
                net: TwoLayerNet::from_weights(w1, w2).expect("shapes chain and are finite"),
                x,
                y,
            })
    })
}

/// The textbook triple loop: c[i][j] = Σₚ a[i][p]·b[p][j].
pub fn naive_dot(a: &Matrix, b: &Matrix) -> Matrix {
    assert_eq!(a.cols(), b.rows());
    let mut c = Matrix::zeros(a.rows(), b.cols());
    for i in 0..a.rows() {
        for j in 0..b.cols() {
            let mut s = 0.0;
            for p in 0..a.cols() {
                s += a[(i, p)] * b[(p, j)];
            }
            c[(i, j)] = s;
        }
    }
    c
}

/// Element-wise transpose by indices.
pub fn naive_transpose(a: &Matrix) -> Matrix {
    let mut t = Matrix::zeros(a.cols(), a.rows());
    for i in 0..a.rows() {
        for j in 0..a.cols() {
            t[(j, i)] = a[(i, j)];
        }
    }
    t
}

/// ∂J/∂W(1) and ∂J/∂W(2) by the chain rule one example, one weight at a
/// time, with the sigmoid written out: no matrix product, no shared code.
pub fn naive_gradients(net: &TwoLayerNet, x: &Matrix, y: &Matrix) -> (Matrix, Matrix) {
    let (w1, w2) = (net.w1(), net.w2());
    let (n_in, n_hid, n_out) = (w1.rows(), w1.cols(), w2.cols());
    let f = |z: f64| 1.0 / (1.0 + (-z).exp());
    let fp = |z: f64| f(z) * (1.0 - f(z));
    let mut g1 = Matrix::zeros(n_in, n_hid);
    let mut g2 = Matrix::zeros(n_hid, n_out);
    for e in 0..x.rows() {
        let z2: Vec<f64> = (0..n_hid)
            .map(|h| (0..n_in).map(|i| x[(e, i)] * w1[(i, h)]).sum())
            .collect();
        let a2: Vec<f64> = z2.iter().map(|&z| f(z)).collect();
        let z3: Vec<f64> = (0..n_out)
            .map(|o| (0..n_hid).map(|h| a2[h] * w2[(h, o)]).sum())
            .collect();
        // ∂J/∂z3_o for this example: −(y − ŷ)·f′(z3)
        let d3: Vec<f64> = (0..n_out)
            .map(|o| -(y[(e, o)] - f(z3[o])) * fp(z3[o]))
            .collect();
        for h in 0..n_hid {
            for o in 0..n_out {
                g2[(h, o)] += a2[h] * d3[o];
            }
            let d2 = (0..n_out).map(|o| d3[o] * w2[(h, o)]).sum::<f64>() * fp(z2[h]);
            for i in 0..n_in {
                g1[(i, h)] += x[(e, i)] * d2;
            }
        }
    }
    (g1, g2)
}

/// `activations`, one per layer, changed where a network would refuse
/// them under `cost`: softmax on a hidden layer becomes the identity;
/// under cross-entropy an output that is neither sigmoid nor softmax
/// becomes sigmoid, and under another cost a softmax output does.
pub fn supported(
    activations: &[backprop::Activation],
    cost: backprop::Cost,
) -> Vec<backprop::Activation> {
    use backprop::{Activation, Cost};
    let cross_entropy = matches!(
        cost,
        Cost::CrossEntropy | Cost::RegularisedCrossEntropy { .. }
    );
    let last = activations.len() - 1;
    (activations.iter().enumerate())
        .map(|(k, &f)| match (k == last, f, cross_entropy) {
            (false, Activation::Softmax, _) => Activation::Identity,
            (true, Activation::Sigmoid | Activation::Softmax, true) => f,
            (true, _, true) | (true, Activation::Softmax, false) => Activation::Sigmoid,
            _ => f,
        })
        .collect()
}

/// A network of `depth` weight matrices (inputs included in `sizes`),
/// widths from `widths`, weights and biases drawn from `values`, each layer
/// with any activation and a bias or none, and a cost from `costs`.
pub fn any_network(
    depth: std::ops::RangeInclusive<usize>,
    widths: std::ops::RangeInclusive<usize>,
    values: impl Strategy<Value = f64> + Clone + 'static,
    costs: impl Strategy<Value = backprop::Cost> + Clone + 'static,
) -> impl Strategy<Value = backprop::Network> {
    let sizes = prop::collection::vec(widths, (depth.start() + 1)..=(depth.end() + 1));
    sizes.prop_flat_map(move |sizes| {
        let layers: Vec<_> = sizes
            .windows(2)
            .map(|p| {
                (
                    matrix(p[0], p[1], values.clone()),
                    prop::option::of(matrix(1, p[1], values.clone())),
                    prop::sample::select(backprop::Activation::ALL.to_vec()),
                )
            })
            .collect();
        (layers, costs.clone()).prop_map(|(mut layers, cost)| {
            let chosen: Vec<_> = layers.iter().map(|l| l.2).collect();
            for (layer, f) in layers.iter_mut().zip(supported(&chosen, cost)) {
                layer.2 = f;
            }
            let weights = layers.iter().map(|l| l.0.clone()).collect();
            let mut net = backprop::Network::from_weights(weights)
                .unwrap()
                .with_cost(cost)
                .unwrap();
            for (k, (_, bias, activation)) in layers.into_iter().enumerate() {
                net = net.with_activation(k + 1, activation).unwrap();
                if let Some(b) = bias {
                    net = net.with_bias(k + 1, b).unwrap();
                }
            }
            net
        })
    })
}
