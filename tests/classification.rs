//! Classification: softmax and cross-entropy against naive loops written
//! here, their gradients against central differences, J finite for extreme
//! logits, the pairs a network refuses, and the class helpers.

mod common;

use backprop::{Activation, Cost, DataSet, Error, Matrix, Network, data, sigmoid};

/// Softmax of one row by the definition, with f64::exp, shifted by the
/// row's maximum only so that moderate logits do not overflow.
fn naive_softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// A one-layer softmax classifier with a bias, [inputs → classes].
fn classifier(inputs: usize, classes: usize, seed: u64, cost: Cost) -> Network {
    Network::builder(inputs)
        .biased_layer(classes, Activation::Softmax)
        .cost(cost)
        .seed(seed)
        .build()
        .unwrap()
}

/// [inputs → hidden tanh with bias → classes softmax with bias].
fn two_layer_classifier(inputs: usize, hidden: usize, classes: usize, cost: Cost) -> Network {
    let net = Network::builder(inputs)
        .biased_layer(hidden, Activation::Tanh)
        .biased_layer(classes, Activation::Softmax)
        .cost(cost)
        .seed(11)
        .build()
        .unwrap();
    // Biases away from 0, so that their gradients are tested too.
    net.with_bias(1, Matrix::randn(1, hidden, 12).scale(0.3))
        .unwrap()
        .with_bias(2, Matrix::randn(1, classes, 13).scale(0.3))
        .unwrap()
}

#[test]
fn softmax_outputs_equal_the_definition() {
    let net = classifier(3, 4, 1, Cost::CrossEntropy);
    let x = Matrix::randn(9, 3, 2).scale(3.0);
    let y_hat = net.forward(&x).unwrap();
    let (w, b) = (net.layers()[0].weights(), net.layers()[0].bias().unwrap());
    let z = &common::naive_dot(&x, w) + &Matrix::from_fn(9, 4, |_, j| b[(0, j)]);
    for i in 0..9 {
        let want = naive_softmax(z.row(i));
        let row = y_hat.row(i);
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        for (a, b) in row.iter().zip(&want) {
            assert!((a - b).abs() < 1e-15, "{row:?} vs {want:?}");
        }
    }
}

/// J = −Σ y·ln ŷ / N with ŷ from the naive softmax and ln from f64::ln,
/// and the binary form for a sigmoid output.
#[test]
fn cross_entropy_equals_the_definition() {
    let net = classifier(3, 4, 3, Cost::CrossEntropy);
    let x = Matrix::randn(7, 3, 4);
    let y = data::one_hot(&[0, 3, 1, 1, 2, 0, 3], 4).unwrap();
    let (w, b) = (net.layers()[0].weights(), net.layers()[0].bias().unwrap());
    let z = &common::naive_dot(&x, w) + &Matrix::from_fn(7, 4, |_, j| b[(0, j)]);
    let mut want = 0.0;
    for i in 0..7 {
        let p = naive_softmax(z.row(i));
        want -= (0..4).map(|k| y[(i, k)] * p[k].ln()).sum::<f64>();
    }
    want /= 7.0;
    let j = net.cost(&x, &y).unwrap();
    assert!((j - want).abs() < 1e-14 * want, "{j} vs {want}");
    // λ/2 Σ W², biases not included.
    let lambda = 0.3;
    let reg = net
        .clone()
        .with_cost(Cost::RegularisedCrossEntropy { lambda })
        .unwrap();
    let penalty = 0.5 * lambda * w.iter().map(|w| w * w).sum::<f64>();
    assert!((reg.cost(&x, &y).unwrap() - (want + penalty)).abs() < 1e-14);

    // Binary: one sigmoid output, targets in [0, 1].
    let bin = Network::builder(3)
        .layer(1, Activation::Sigmoid)
        .cost(Cost::CrossEntropy)
        .seed(5)
        .build()
        .unwrap();
    let y = Matrix::from([[1.0], [0.0], [0.25], [1.0], [0.0], [0.5], [1.0]]);
    let z = common::naive_dot(&x, bin.layers()[0].weights());
    let want = -(0..7)
        .map(|i| {
            let p = 1.0 / (1.0 + (-z[(i, 0)]).exp());
            y[(i, 0)] * p.ln() + (1.0 - y[(i, 0)]) * (1.0 - p).ln()
        })
        .sum::<f64>()
        / 7.0;
    let j = bin.cost(&x, &y).unwrap();
    assert!((j - want).abs() < 1e-14 * want, "{j} vs {want}");
}

/// ∂J/∂W and ∂J/∂b of a softmax layer over cross-entropy by the chain rule
/// with the full softmax Jacobian, one example and one weight at a time:
/// δⱼ = Σₖ (−yₖ/ŷₖ)·ŷₖ·([k = j] − ŷⱼ), no cancellation assumed.
#[test]
fn softmax_gradients_equal_the_chain_rule_through_the_jacobian() {
    let (n, i, c) = (6, 3, 4);
    let net = classifier(i, c, 7, Cost::CrossEntropy)
        .with_bias(1, Matrix::from([[0.1, -0.2, 0.3, 0.0]]))
        .unwrap();
    let x = Matrix::randn(n, i, 8);
    // Rows that do not sum to 1: the derivative must hold for any targets.
    let y = Matrix::randn(n, c, 9).map(sigmoid);
    let (w, b) = (net.layers()[0].weights(), net.layers()[0].bias().unwrap());
    let mut dw = Matrix::zeros(i, c);
    let mut db = Matrix::zeros(1, c);
    for e in 0..n {
        let z: Vec<f64> = (0..c)
            .map(|j| (0..i).map(|p| x[(e, p)] * w[(p, j)]).sum::<f64>() + b[(0, j)])
            .collect();
        let p = naive_softmax(&z);
        for j in 0..c {
            let delta: f64 = (0..c)
                .map(|k| {
                    let kronecker = if k == j { 1.0 } else { 0.0 };
                    (-y[(e, k)] / p[k]) * p[k] * (kronecker - p[j])
                })
                .sum();
            for q in 0..i {
                dw[(q, j)] += x[(e, q)] * delta / n as f64;
            }
            db[(0, j)] += delta / n as f64;
        }
    }
    let g = net.gradients(&x, &y).unwrap();
    for (a, b) in g.dj_dw[0].iter().zip(dw.iter()) {
        assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    }
    for (a, b) in g.dj_db[0].as_ref().unwrap().iter().zip(db.iter()) {
        assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    }
}

/// Every allowed pair passes the series' gradient check, biases and a
/// hidden layer included.
#[test]
fn every_allowed_classifier_passes_the_gradient_check() {
    let x = Matrix::randn(10, 4, 20).map(sigmoid);
    let labels = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1];
    for cost in [
        Cost::CrossEntropy,
        Cost::RegularisedCrossEntropy { lambda: 0.01 },
    ] {
        let net = two_layer_classifier(4, 5, 3, cost);
        let y = data::one_hot(&labels, 3).unwrap();
        let check = net.check_gradients(&x, &y).unwrap();
        assert!(
            check.relative_error < 1e-8,
            "{cost:?}: {}",
            check.relative_error
        );
        // Binary cross-entropy over sigmoid outputs, several at once.
        let binary = net.with_activation(2, Activation::Sigmoid).unwrap();
        let y = Matrix::randn(10, 3, 21).map(sigmoid);
        let check = binary.check_gradients(&x, &y).unwrap();
        assert!(
            check.relative_error < 1e-8,
            "{cost:?}: {}",
            check.relative_error
        );
    }
}

/// Logits of ±1e300 give a finite J, or an overflow error: never ∞ or NaN.
#[test]
fn extreme_logits_give_a_finite_cost_or_an_overflow() {
    let y = data::one_hot(&[0, 1], 2).unwrap();
    let x = Matrix::from([[1.0], [1.0]]);
    for (w, finite) in [
        // ŷ rounds to exactly 1 and 0: J is 0 for the right class and
        // 2e300 / 2 for the wrong one, not ln 0.
        (Matrix::from([[1e300, -1e300]]), true),
        (Matrix::from([[-1e300, 1e300]]), true),
        // z(1) − z(2) is beyond f64.
        (Matrix::from([[f64::MAX, -f64::MAX]]), false),
    ] {
        let net = Network::from_weights(vec![w])
            .unwrap()
            .with_cost(Cost::CrossEntropy)
            .unwrap()
            .with_activation(1, Activation::Softmax)
            .unwrap();
        for j in [
            net.cost(&x, &y),
            net.cost_and_gradients(&x, &y).map(|(j, _)| j),
        ] {
            match j {
                Ok(j) => assert!(finite && j.is_finite() && j > 0.0, "{j}"),
                Err(e) => assert!(!finite && matches!(e, Error::Overflow { .. }), "{e:?}"),
            }
        }
        let g = net.gradients(&x, &y);
        if let Ok(g) = g {
            assert!(g.to_vec().iter().all(|v| v.is_finite()));
        }
    }
    // The binary form: ŷ = σ(±1e300) rounds to 1 or 0.
    let net = Network::from_weights(vec![Matrix::from([[1e300]])])
        .unwrap()
        .with_cost(Cost::CrossEntropy)
        .unwrap();
    let x = Matrix::from([[1.0], [-1.0]]);
    let j = net.cost(&x, &Matrix::from([[1.0], [1.0]])).unwrap();
    // −ln σ(1e300) = 0 and −ln σ(−1e300) = 1e300: J = 1e300 / 2.
    assert_eq!(j, 0.5e300);
    let j = net.cost(&x, &Matrix::from([[1.0], [0.0]])).unwrap();
    assert_eq!(j, 0.0);
}

#[test]
fn pairs_without_a_derived_delta_are_refused() {
    let unsupported = |r: Result<Network, Error>| matches!(r, Err(Error::Unsupported { .. }));
    // Softmax on a hidden layer.
    assert!(unsupported(
        Network::builder(2)
            .layer(3, Activation::Softmax)
            .layer(2, Activation::Softmax)
            .cost(Cost::CrossEntropy)
            .build()
    ));
    // Softmax with the sum of squares, either way round.
    assert!(unsupported(
        Network::builder(2).layer(3, Activation::Softmax).build()
    ));
    let ce = Network::random(&[2, 3], 0)
        .unwrap()
        .with_cost(Cost::CrossEntropy)
        .unwrap()
        .with_activation(1, Activation::Softmax)
        .unwrap();
    assert!(unsupported(ce.clone().with_cost(Cost::SumOfSquares)));
    assert!(unsupported(
        ce.clone().with_cost(Cost::Regularised { lambda: 0.1 })
    ));
    // Cross-entropy over outputs that are not probabilities.
    for f in [Activation::Identity, Activation::Relu, Activation::Tanh] {
        assert!(unsupported(
            Network::builder(2)
                .layer(3, f)
                .cost(Cost::CrossEntropy)
                .build()
        ));
        assert!(unsupported(ce.clone().with_activation(1, f)));
    }
    let e = Network::builder(2)
        .layer(4, Activation::Softmax)
        .layer(1, Activation::Sigmoid)
        .cost(Cost::CrossEntropy)
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "layer 1 applies softmax under cross-entropy: softmax normalises a whole row, \
         so it serves the output layer only"
    );
}

#[test]
fn cross_entropy_targets_outside_0_1_are_refused() {
    let net = classifier(2, 3, 0, Cost::CrossEntropy);
    let before = net.clone();
    let x = Matrix::from([[0.1, 0.2], [0.3, 0.4]]);
    let y = Matrix::from([[0.0, 1.0, 0.0], [0.0, 1.5, 0.0]]);
    let want = Err(Error::TargetRange {
        at: (1, 1),
        value: 1.5,
    });
    assert_eq!(net.cost(&x, &y).map(|_| ()), want);
    assert_eq!(net.gradients(&x, &y).map(|_| ()), want);
    assert_eq!(net.trace(&x, &y).map(|_| ()), want);
    assert_eq!(net, before);
}

#[test]
fn one_hot_classes_and_accuracy() {
    assert_eq!(
        data::one_hot(&[1, 0], 0),
        Err(Error::InvalidSetting {
            what: "classes",
            value: 0.0
        })
    );
    assert_eq!(
        data::one_hot(&[1, 4, 7], 4),
        Err(Error::Label {
            row: 1,
            label: 4,
            classes: 4
        })
    );
    // Too large to allocate: an error, not an abort.
    assert!(matches!(
        data::one_hot(&[0, 1], usize::MAX / 2),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        data::one_hot(&[0], 1 << 60),
        Err(Error::InvalidSetting { .. })
    ));
    let labels = [3, 0, 2, 2, 1];
    let y = data::one_hot(&labels, 4).unwrap();
    assert_eq!(data::classes(&y), labels);
    assert_eq!(y.iter().sum::<f64>(), 5.0);

    // A classifier whose class is the input's largest coordinate.
    let net = Network::from_weights(vec![Matrix::from_fn(
        3,
        3,
        |i, j| if i == j { 10.0 } else { 0.0 },
    )])
    .unwrap()
    .with_cost(Cost::CrossEntropy)
    .unwrap()
    .with_activation(1, Activation::Softmax)
    .unwrap();
    let x = Matrix::from([[1.0, 0.0, 0.0], [0.0, 0.2, 0.9], [0.3, 0.8, 0.1]]);
    assert_eq!(net.predict_classes(&x).unwrap(), vec![0, 2, 1]);
    let d = DataSet::new(x, data::one_hot(&[0, 2, 2], 3).unwrap()).unwrap();
    assert_eq!(net.accuracy(&d).unwrap(), 2.0 / 3.0);
    // One sigmoid output: class 1 where ŷ ≥ ½.
    let bin = Network::from_weights(vec![Matrix::from([[1.0]])]).unwrap();
    let x = Matrix::from([[2.0], [-2.0], [0.0]]);
    assert_eq!(bin.predict_classes(&x).unwrap(), vec![1, 0, 1]);
    assert!(bin.predict_classes(&Matrix::from([[f64::NAN]])).is_err());
}

/// A batch large enough for the blocked products, shared among threads:
/// the fused pass agrees with the textbook route, J included, and gives
/// the same bits run after run.
#[test]
fn large_batches_agree_with_the_textbook_route() {
    use std::num::NonZeroUsize;
    let net = Network::builder(24)
        .biased_layer(48, Activation::Relu)
        .biased_layer(32, Activation::Tanh)
        .biased_layer(10, Activation::Softmax)
        .cost(Cost::RegularisedCrossEntropy { lambda: 1e-3 })
        .seed(3)
        .build()
        .unwrap();
    let x = Matrix::randn(900, 24, 4).map(sigmoid);
    let labels: Vec<usize> = (0..900).map(|i| (i * 7) % 10).collect();
    let y = data::one_hot(&labels, 10).unwrap();
    let t = net.trace(&x, &y).unwrap();
    let want = t.gradients().to_vec();
    let j_want = net.cost(&x, &y).unwrap();
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for threads in [1, 2, 3] {
        let mut ws = backprop::Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
        let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        let g = g.to_vec();
        assert!((j - j_want).abs() <= 1e-14 * j_want, "{j} vs {j_want}");
        for (a, b) in g.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
        }
        let (j2, g2) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
        assert_eq!((j2.to_bits(), g2.to_vec()), (j.to_bits(), g));
    }
}
