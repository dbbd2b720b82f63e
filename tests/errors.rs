//! Every kind of bad input is an `Err` naming what was wrong, and leaves the
//! network exactly as it was; no `Matrix` a user can build makes the
//! network's API panic.

mod common;

use std::num::NonZeroUsize;

use backprop::{Error, Gradients, Matrix, TwoLayerNet, Workspace};
use common::matrix;
use proptest::prelude::*;

fn net() -> TwoLayerNet {
    TwoLayerNet::random(2, 3, 1, 11).unwrap()
}

fn good_x() -> Matrix {
    Matrix::from([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])
}

fn good_y() -> Matrix {
    Matrix::from([[0.75], [0.82], [0.93]])
}

/// Calls every entry point that takes a batch with (x, y) and returns what
/// each reported, after checking that none changed the network.
fn batch_calls(
    net: &mut TwoLayerNet,
    x: &Matrix,
    y: &Matrix,
) -> Vec<(&'static str, Result<(), Error>)> {
    let before = net.clone();
    let calls = vec![
        ("cost", net.cost(x, y).map(drop)),
        ("gradients", net.gradients(x, y).map(drop)),
        ("trace", net.trace(x, y).map(drop)),
        (
            "numerical_gradients",
            net.numerical_gradients(x, y, 1e-4).map(drop),
        ),
        ("check_gradients", net.check_gradients(x, y).map(drop)),
        (
            "check_gradients_with",
            net.check_gradients_with(x, y, 1e-4).map(drop),
        ),
    ];
    assert_eq!(*net, before, "a call changed the network");
    calls
}

/// Asserts that every batch entry point (and `forward`, when the fault is in
/// X) rejects (x, y) with `expected`.
fn assert_rejected(x: &Matrix, y: &Matrix, expected: &Error, x_is_bad: bool) {
    let mut n = net();
    let before = n.clone();
    for (name, result) in batch_calls(&mut n, x, y) {
        assert_eq!(result.as_ref(), Err(expected), "{name}");
    }
    if x_is_bad {
        assert_eq!(n.forward(x).as_ref().map(drop), Err(expected), "forward");
    }
    assert_eq!(n, before);
}

#[test]
fn the_good_batch_is_accepted() {
    for (name, result) in batch_calls(&mut net(), &good_x(), &good_y()) {
        assert_eq!(result, Ok(()), "{name}");
    }
}

#[test]
fn x_with_the_wrong_number_of_columns() {
    let x = Matrix::from([[0.3, 1.0, 0.0], [0.5, 0.2, 0.0], [1.0, 0.4, 0.0]]);
    let e = Error::InputColumns {
        expected: 2,
        found: 3,
    };
    assert_rejected(&x, &good_y(), &e, true);
    assert_eq!(
        e.to_string(),
        "X has 3 columns, but the network has 2 inputs"
    );
}

#[test]
fn x_with_no_rows() {
    assert_rejected(
        &Matrix::zeros(0, 2),
        &Matrix::zeros(0, 1),
        &Error::EmptyBatch,
        true,
    );
}

#[test]
fn y_with_the_wrong_number_of_rows() {
    let y = Matrix::from([[0.75], [0.82]]);
    let e = Error::TargetRows {
        expected: 3,
        found: 2,
    };
    assert_rejected(&good_x(), &y, &e, false);
    assert_eq!(
        e.to_string(),
        "y has 2 rows, but X has 3: one target row per example"
    );
}

#[test]
fn y_with_the_wrong_number_of_columns() {
    let y = Matrix::from([[0.75, 0.0], [0.82, 0.0], [0.93, 0.0]]);
    let e = Error::TargetColumns {
        expected: 1,
        found: 2,
    };
    assert_rejected(&good_x(), &y, &e, false);
    assert_eq!(
        e.to_string(),
        "y has 2 columns, but the network has 1 outputs"
    );
}

#[test]
fn nan_or_infinity_in_x() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut x = good_x();
        x[(2, 1)] = bad;
        let e = Error::NonFinite {
            what: "X",
            at: (2, 1),
        };
        assert_rejected(&x, &good_y(), &e, true);
    }
    assert_eq!(
        Error::NonFinite {
            what: "X",
            at: (2, 1)
        }
        .to_string(),
        "X holds a NaN or infinite value at (2, 1)"
    );
}

#[test]
fn nan_or_infinity_in_y() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut y = good_y();
        y[(1, 0)] = bad;
        let e = Error::NonFinite {
            what: "y",
            at: (1, 0),
        };
        assert_rejected(&good_x(), &y, &e, false);
    }
}

#[test]
fn weights_that_do_not_chain_or_are_not_finite() {
    assert_eq!(
        TwoLayerNet::from_weights(Matrix::zeros(2, 3), Matrix::zeros(4, 1)),
        Err(Error::WeightShapes {
            w1: (2, 3),
            w2: (4, 1)
        })
    );
    let mut w1 = Matrix::zeros(2, 3);
    w1[(1, 2)] = f64::NAN;
    assert_eq!(
        TwoLayerNet::from_weights(w1, Matrix::zeros(3, 1)),
        Err(Error::NonFinite {
            what: "W(1)",
            at: (1, 2)
        })
    );
    let mut w2 = Matrix::zeros(3, 1);
    w2[(0, 0)] = f64::NEG_INFINITY;
    assert_eq!(
        TwoLayerNet::from_weights(Matrix::zeros(2, 3), w2),
        Err(Error::NonFinite {
            what: "W(2)",
            at: (0, 0)
        })
    );
    assert_eq!(
        TwoLayerNet::from_weights(Matrix::zeros(0, 3), Matrix::zeros(3, 1)),
        Err(Error::InvalidSizes { sizes: [0, 3, 1] })
    );
    assert_eq!(
        TwoLayerNet::random(2, 3, 0, 1),
        Err(Error::InvalidSizes { sizes: [2, 3, 0] })
    );
}

#[test]
fn parameter_vectors_of_the_wrong_length_or_not_finite() {
    let mut n = net();
    let before = n.clone();
    for len in [0, 8, 10] {
        assert_eq!(
            n.set_params(&vec![0.1; len]),
            Err(Error::ParamCount {
                expected: 9,
                found: len
            })
        );
        assert_eq!(n, before);
    }
    let mut p = vec![0.1; 9];
    p[8] = f64::NAN;
    assert_eq!(
        n.set_params(&p),
        Err(Error::NonFinite {
            what: "parameters",
            at: (0, 8)
        })
    );
    assert_eq!(n, before);
}

#[test]
fn bad_gradient_steps_change_nothing() {
    let mut n = net();
    let before = n.clone();
    let g = n.gradients(&good_x(), &good_y()).unwrap();

    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = n.gradient_descent_step(&g, lr);
        assert!(
            matches!(
                r,
                Err(Error::InvalidSetting {
                    what: "learning rate",
                    ..
                })
            ),
            "{lr}"
        );
        assert_eq!(n, before);
    }

    let wrong_shape = Gradients {
        dj_dw1: g.dj_dw1.clone(),
        dj_dw2: Matrix::zeros(1, 3),
    };
    assert_eq!(
        n.gradient_descent_step(&wrong_shape, 0.1),
        Err(Error::GradientShape {
            what: "dJ/dW(2)",
            expected: (3, 1),
            found: (1, 3)
        })
    );
    assert_eq!(n, before);

    // A fault in the second gradient must not leave the first layer updated.
    let mut nan = g.clone();
    nan.dj_dw2[(1, 0)] = f64::NAN;
    assert_eq!(
        n.gradient_descent_step(&nan, 0.1),
        Err(Error::NonFinite {
            what: "dJ/dW(2)",
            at: (1, 0)
        })
    );
    assert_eq!(n, before);

    let huge = Gradients {
        dj_dw1: g.dj_dw1.map(|_| f64::MAX),
        dj_dw2: g.dj_dw2.clone(),
    };
    assert_eq!(
        n.gradient_descent_step(&huge, 1e10),
        Err(Error::Overflow { what: "W(1)" })
    );
    assert_eq!(n, before);
}

#[test]
fn bad_epsilon_is_rejected() {
    let n = net();
    for eps in [0.0, -1e-4, f64::NAN] {
        assert!(matches!(
            n.check_gradients_with(&good_x(), &good_y(), eps),
            Err(Error::InvalidSetting {
                what: "epsilon",
                ..
            })
        ));
    }
}

/// Finite but enormous values overflow inside the network; that is reported,
/// never returned as NaN or ∞.
#[test]
fn overflow_is_reported_by_name() {
    let n = TwoLayerNet::from_weights(
        Matrix::from([[1e300, -1e300, 1.0], [1e300, 1e300, 1.0]]),
        Matrix::from([[1.0], [1.0], [1.0]]),
    )
    .unwrap();
    let x = Matrix::from([[1e10, 1e10]]);
    let y = Matrix::from([[0.5]]);
    assert_eq!(n.forward(&x), Err(Error::Overflow { what: "z(2)" }));
    assert_eq!(n.gradients(&x, &y), Err(Error::Overflow { what: "z(2)" }));

    // A 1-1-1 network where a(2) = f(−690) ≈ 2.7e−300 meets W(2) = 1e300,
    // so z(3) ≈ 0.27 and f′(z(3)) ≈ ¼: with y = −1e307, δ(3) ≈ 2.4e306 is
    // finite, but J ≈ 5e613 is not, nor is δ(3)·W(2)ᵀ ≈ 2.4e606 on the way
    // to δ(2).
    let n = TwoLayerNet::from_weights(Matrix::from([[-1.0]]), Matrix::from([[1e300]])).unwrap();
    let x = Matrix::from([[690.0]]);
    let y = Matrix::from([[-1e307]]);
    assert_eq!(n.cost(&x, &y), Err(Error::Overflow { what: "J" }));
    assert_eq!(n.gradients(&x, &y), Err(Error::Overflow { what: "δ(2)" }));
    // The same through the textbook route.
    assert_eq!(n.trace(&x, &y), Err(Error::Overflow { what: "δ(2)" }));
}

/// The same overflow of δ(2) on the path for larger batches, where δ(2) is
/// scaled by f′(z(2)) and checked part by part as its product finishes it,
/// with two outputs so that δ(3)·W(2)ᵀ is a product, on one and two
/// threads.
#[test]
fn overflow_of_delta2_is_reported_on_the_blocked_path() {
    let n =
        TwoLayerNet::from_weights(Matrix::from([[-1.0]]), Matrix::from([[1e300, 1e300]])).unwrap();
    // Enough rows that the forward product passes the small-batch limit.
    let rows = 600;
    let x = Matrix::new(rows, 1, vec![690.0; rows]).unwrap();
    let y = Matrix::new(rows, 2, vec![-1e307; 2 * rows]).unwrap();
    assert_eq!(n.gradients(&x, &y), Err(Error::Overflow { what: "δ(2)" }));
    for threads in [1, 2] {
        let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
        assert_eq!(
            n.gradients_in(&x, &y, &mut ws).map(|_| ()),
            Err(Error::Overflow { what: "δ(2)" }),
            "{threads} threads"
        );
    }
    assert_eq!(n.trace(&x, &y), Err(Error::Overflow { what: "δ(2)" }));
}

/// Shapes that mostly fit (so most cases reach the arithmetic) and sometimes
/// do not, with elements in [-10, 10] sometimes replaced by NaN, ±∞ or huge
/// values: (W(1), W(2), X, y).
fn arbitrary_use() -> impl Strategy<Value = (Matrix, Matrix, Matrix, Matrix)> {
    let size = |max: usize| prop_oneof![1 => Just(0), 8 => 1..=max];
    (size(4), size(4), size(3), size(5)).prop_flat_map(|(i, h, o, n)| {
        let near = |k: usize| prop_oneof![6 => Just(k), 1 => 0..=5usize];
        (
            (near(i), near(h)).prop_flat_map(|(r, c)| matrix(r, c, -10.0..10.0)),
            (Just(h), near(o)).prop_flat_map(|(r, c)| matrix(r, c, -10.0..10.0)),
            (Just(n), near(i)).prop_flat_map(|(r, c)| matrix(r, c, -10.0..10.0)),
            (near(n), near(o)).prop_flat_map(|(r, c)| matrix(r, c, -2.0..2.0)),
        )
            .prop_map(|(w1, w2, x, y)| (poison(w1), poison(w2), poison(x), poison(y)))
    })
}

proptest! {
    #![proptest_config(common::config(1024, file!()))]

    /// No combination of shapes (0 included) and values (NaN and ∞
    /// included) panics; every `Ok` holds only finite numbers, and no call
    /// but a successful `set_params` or step changes the network.
    #[test]
    fn no_matrix_makes_the_network_panic(
        (w1, w2, x, y) in arbitrary_use(),
        params in prop::collection::vec(prop_oneof![1 => Just(f64::NAN), 9 => -5.0..5.0f64], 0..30),
        lr in prop_oneof![Just(f64::NAN), Just(-1.0), 1e-3..10.0f64],
    ) {
        let Ok(mut n) = TwoLayerNet::from_weights(w1, w2) else { return Ok(()) };
        let before = n.clone();
        if let Ok(y_hat) = n.forward(&x) {
            prop_assert!(y_hat.as_slice().iter().all(|v| v.is_finite()));
        }
        if let Ok(j) = n.cost(&x, &y) {
            prop_assert!(j.is_finite());
        }
        if let Ok(t) = n.trace(&x, &y) {
            for m in [&t.z2, &t.a2, &t.z3, &t.y_hat, &t.delta3, &t.delta2, &t.dj_dw1, &t.dj_dw2] {
                prop_assert!(m.as_slice().iter().all(|v| v.is_finite()));
            }
        }
        if let Ok(c) = n.check_gradients(&x, &y) {
            prop_assert!(c.numerical.iter().all(|v| v.is_finite()));
            prop_assert!(!c.relative_error.is_nan());
        }
        prop_assert_eq!(&n, &before);
        if let Ok(g) = n.gradients(&x, &y) {
            if n.gradient_descent_step(&g, lr).is_ok() {
                prop_assert!(n.params().iter().all(|v| v.is_finite()));
            } else {
                prop_assert_eq!(&n, &before);
            }
        }
        let snapshot = n.clone();
        let ok = n.set_params(&params).is_ok();
        prop_assert_eq!(ok, params.len() == n.param_count() && params.iter().all(|p| p.is_finite()));
        if !ok {
            prop_assert_eq!(&n, &snapshot);
        }
    }
}

/// Replaces some elements with NaN or ±∞, leaving the rest.
fn poison(m: Matrix) -> Matrix {
    let mut m = m;
    for (k, v) in m.as_mut_slice().iter_mut().enumerate() {
        match (v.to_bits() >> 7) % 101 {
            0 => *v = f64::NAN,
            1 => *v = f64::INFINITY,
            2 => *v = f64::NEG_INFINITY,
            3 if k % 2 == 0 => *v *= 1e306,
            _ => {}
        }
    }
    m
}
