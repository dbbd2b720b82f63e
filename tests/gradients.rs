//! Backpropagated gradients held against two independent routes: central
//! finite differences of the cost (Part 5 of the series) and a naive
//! per-example chain-rule loop.

mod common;

use std::cell::RefCell;

use approx::{assert_relative_eq, relative_eq};
use backprop::{Cost, Matrix, TwoLayerNet, data, relative_error};
use common::{Problem, naive_gradients, problem};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// Central differences (J(p + ε) − J(p − ε)) / 2ε with Richardson's
/// extrapolation, (4·D(ε/2) − D(ε)) / 3, which cancels the ε² term of the
/// truncation error.
fn extrapolated_numerical_gradient(net: &TwoLayerNet, x: &Matrix, y: &Matrix) -> Vec<f64> {
    let d = net.numerical_gradients(x, y, 1e-4).unwrap();
    let d_half = net.numerical_gradients(x, y, 5e-5).unwrap();
    d.iter()
        .zip(&d_half)
        .map(|(d, h)| (4.0 * h - d) / 3.0)
        .collect()
}

/// Backpropagation against central finite differences over random shapes
/// and weights: relative error below 1e-8.
///
/// The oracle is the crate's central difference, extrapolated. Plain central
/// differences at the series' ε = 1e-4 cannot hold 1e-8 on every batch:
/// their O(ε²) truncation error does not vanish with the gradient, so near a
/// fit (ŷ ≈ y, see `plain_central_differences_near_a_fit`) the relative error
/// exceeds 1e-8 even in exact arithmetic. The worst plain error is printed
/// alongside (`cargo test --test gradients -- --nocapture`).
#[test]
fn gradients_match_central_differences() {
    let worst = RefCell::new(Worst::default());
    let mut runner = TestRunner::new(common::config(512, file!()));
    runner
        .run(&problem(), |Problem { net, x, y }| {
            let grad = net.gradients(&x, &y).unwrap().to_vec();
            let err = relative_error(&grad, &extrapolated_numerical_gradient(&net, &x, &y));
            let plain = net.check_gradients(&x, &y).unwrap().relative_error;
            let sizes = (
                x.rows(),
                net.input_size(),
                net.hidden_size(),
                net.output_size(),
            );
            worst.borrow_mut().record(err, plain, sizes);
            prop_assert!(
                err < 1e-8,
                "relative error {err:e} at (N, I, H, O) = {sizes:?}"
            );
            Ok(())
        })
        .unwrap();
    let w = worst.into_inner();
    println!(
        "worst relative error over 512 cases: {:.2e} at (N, I, H, O) = {:?}; \
         plain ε = 1e-4 central differences: worst {:.2e}",
        w.extrapolated, w.sizes, w.plain
    );
}

#[derive(Default)]
struct Worst {
    extrapolated: f64,
    sizes: (usize, usize, usize, usize),
    plain: f64,
}

impl Worst {
    fn record(&mut self, extrapolated: f64, plain: f64, sizes: (usize, usize, usize, usize)) {
        if extrapolated > self.extrapolated {
            self.extrapolated = extrapolated;
            self.sizes = sizes;
        }
        self.plain = self.plain.max(plain);
    }
}

/// A 1-1-1 network that nearly fits its one example, found by proptest. In
/// 50-digit arithmetic (mpmath), the exact gradient is
/// (−1.8708854649e-4, 2.1338324654e-4) and the ε = 1e-4 central differences
/// are (−1.8708856207e-4, 2.1338326210e-4): relative error 3.8789e-8, all of
/// it truncation. The crate's differences must reproduce that figure, and
/// the extrapolated ones must remove it.
#[test]
fn plain_central_differences_near_a_fit() {
    let net = TwoLayerNet::from_weights(
        Matrix::from([[0.3452079976652684]]),
        Matrix::from([[-2.268814659780744]]),
    )
    .unwrap();
    let x = Matrix::from([[0.916754772466626]]);
    let y = Matrix::from([[0.2098734061912456]]);
    let check = net.check_gradients(&x, &y).unwrap();
    assert_relative_eq!(
        check.analytic[0],
        -1.8708854649322107e-4,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        check.analytic[1],
        2.1338324653608952e-4,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        check.numerical[0],
        -1.8708856206651854e-4,
        max_relative = 1e-9
    );
    assert_relative_eq!(
        check.numerical[1],
        2.1338326209779357e-4,
        max_relative = 1e-9
    );
    assert_relative_eq!(check.relative_error, 3.8789379786e-8, max_relative = 1e-3);
    let grad = net.gradients(&x, &y).unwrap().to_vec();
    assert!(relative_error(&grad, &extrapolated_numerical_gradient(&net, &x, &y)) < 1e-8);
}

proptest! {
    #![proptest_config(common::config(256, file!()))]

    /// The matrix form (δ(3), δ(2), products with a(2)ᵀ and Xᵀ) equals the
    /// chain rule written out per example and per weight.
    #[test]
    fn gradients_match_per_example_chain_rule(p in problem()) {
        let g = p.net.gradients(&p.x, &p.y).unwrap();
        let (g1, g2) = naive_gradients(&p.net, &p.x, &p.y);
        prop_assert!(relative_eq!(&g.dj_dw1, &g1, epsilon = 1e-12, max_relative = 1e-12), "{:?}\nvs\n{:?}", g.dj_dw1, g1);
        prop_assert!(relative_eq!(&g.dj_dw2, &g2, epsilon = 1e-12, max_relative = 1e-12), "{:?}\nvs\n{:?}", g.dj_dw2, g2);
    }

    /// Each example's vote adds up: the gradient of a batch is the sum of the
    /// gradients of its rows taken one at a time.
    #[test]
    fn batch_gradient_is_the_sum_of_example_gradients(p in problem()) {
        let g = p.net.gradients(&p.x, &p.y).unwrap();
        let mut sum1 = Matrix::zeros(p.net.input_size(), p.net.hidden_size());
        let mut sum2 = Matrix::zeros(p.net.hidden_size(), p.net.output_size());
        for e in 0..p.x.rows() {
            let xe = Matrix::new(1, p.x.cols(), p.x.row(e).to_vec()).unwrap();
            let ye = Matrix::new(1, p.y.cols(), p.y.row(e).to_vec()).unwrap();
            let ge = p.net.gradients(&xe, &ye).unwrap();
            sum1 = &sum1 + &ge.dj_dw1;
            sum2 = &sum2 + &ge.dj_dw2;
        }
        prop_assert!(relative_eq!(&g.dj_dw1, &sum1, epsilon = 1e-12, max_relative = 1e-12));
        prop_assert!(relative_eq!(&g.dj_dw2, &sum2, epsilon = 1e-12, max_relative = 1e-12));
    }

    /// Part 7's regularised cost: its gradients against central differences
    /// (extrapolated, as above) and against the per-example loop scaled by
    /// hand, ∂J/∂W = (sum over examples) / N + λ·W.
    #[test]
    fn regularised_gradients_match_central_differences(p in problem(), lambda in 0.0..0.1f64) {
        let net = p.net.clone().with_cost(Cost::Regularised { lambda }).unwrap();
        let g = net.gradients(&p.x, &p.y).unwrap();
        let err = relative_error(&g.to_vec(), &extrapolated_numerical_gradient(&net, &p.x, &p.y));
        prop_assert!(err < 1e-8, "relative error {err:e}");

        let n = p.x.rows() as f64;
        let (g1, g2) = naive_gradients(&p.net, &p.x, &p.y);
        let by_hand = |sum: &Matrix, w: &Matrix| {
            Matrix::from_fn(w.rows(), w.cols(), |i, j| sum[(i, j)] / n + lambda * w[(i, j)])
        };
        prop_assert!(relative_eq!(&g.dj_dw1, &by_hand(&g1, p.net.w1()), epsilon = 1e-12, max_relative = 1e-12));
        prop_assert!(relative_eq!(&g.dj_dw2, &by_hand(&g2, p.net.w2()), epsilon = 1e-12, max_relative = 1e-12));
    }

    /// The fused, allocation-free path (`gradients`, `*_in` with a reused
    /// workspace) equals the textbook route of `trace`, one product at a time.
    #[test]
    fn fused_path_equals_the_textbook_route(p in problem(), lambda in prop_oneof![Just(None), (0.0..0.1f64).prop_map(Some)]) {
        let net = match lambda {
            Some(lambda) => p.net.clone().with_cost(Cost::Regularised { lambda }).unwrap(),
            None => p.net.clone(),
        };
        let t = net.trace(&p.x, &p.y).unwrap();
        let mut ws = backprop::Workspace::new();
        // Warm the workspace on another shape first: reuse must not leak.
        let other = TwoLayerNet::random(3, 5, 2, 9).unwrap();
        other.gradients_in(&Matrix::zeros(7, 3), &Matrix::zeros(7, 2), &mut ws).unwrap();
        let (j, g) = net.cost_and_gradients_in(&p.x, &p.y, &mut ws).unwrap();
        prop_assert!(relative_eq!(&g.dj_dw1, &t.dj_dw1, epsilon = 1e-13, max_relative = 1e-13));
        prop_assert!(relative_eq!(&g.dj_dw2, &t.dj_dw2, epsilon = 1e-13, max_relative = 1e-13));
        prop_assert_eq!(j, net.cost(&p.x, &p.y).unwrap());
    }

    /// The trace's terms are the equations they are named after.
    #[test]
    fn trace_terms_follow_the_equations(p in problem()) {
        let t = p.net.trace(&p.x, &p.y).unwrap();
        prop_assert!(relative_eq!(&t.z2, &common::naive_dot(&p.x, p.net.w1()), epsilon = 1e-12, max_relative = 1e-12));
        prop_assert!(relative_eq!(&t.z3, &common::naive_dot(&t.a2, p.net.w2()), epsilon = 1e-12, max_relative = 1e-12));
        // a(2) and ŷ by f64::exp, one element at a time, beside the trace
        // and beside `forward`, which shares the trace's forward pass.
        let f = |z: f64| 1.0 / (1.0 + (-z).exp());
        let a2 = common::naive_dot(&p.x, p.net.w1()).map(f);
        let y_hat = common::naive_dot(&a2, p.net.w2()).map(f);
        prop_assert!(relative_eq!(&t.a2, &a2, epsilon = 1e-14, max_relative = 1e-13));
        prop_assert!(relative_eq!(&t.y_hat, &y_hat, epsilon = 1e-14, max_relative = 1e-13));
        prop_assert!(relative_eq!(&p.net.forward(&p.x).unwrap(), &y_hat, epsilon = 1e-14, max_relative = 1e-13));
        for ((&d3, &y), (&y_hat, &z3)) in t.delta3.as_slice().iter().zip(p.y.as_slice())
            .zip(t.y_hat.as_slice().iter().zip(t.z3.as_slice()))
        {
            let s = 1.0 / (1.0 + (-z3).exp());
            prop_assert!((d3 - (-(y - y_hat) * s * (1.0 - s))).abs() <= 1e-15);
        }
        let j: f64 = p.y.as_slice().iter().zip(t.y_hat.as_slice())
            .map(|(y, y_hat)| 0.5 * (y - y_hat).powi(2)).sum();
        assert_relative_eq!(p.net.cost(&p.x, &p.y).unwrap(), j, max_relative = 1e-14);
    }
}

/// The series' own check: the Part 1 data on a 2-3-1 network.
#[test]
fn part1_gradient_check_passes() {
    let d = data::part1_normalised();
    for seed in 0..20 {
        let net = TwoLayerNet::random(2, 3, 1, seed).unwrap();
        let check = net.check_gradients(&d.x, &d.y).unwrap();
        assert!(
            check.relative_error < 1e-8,
            "seed {seed}: {:e}",
            check.relative_error
        );
    }
}

/// A deliberately wrong gradient (δ(2) without f′(z(2))) fails the check,
/// so the check can tell right from wrong.
#[test]
fn gradient_check_catches_a_wrong_gradient() {
    let d = data::part1_normalised();
    let net = TwoLayerNet::random(2, 3, 1, 1).unwrap();
    let t = net.trace(&d.x, &d.y).unwrap();
    let wrong_delta2 = t.delta3.dot(&net.w2().transpose());
    let wrong_dj_dw1 = d.x.transpose().dot(&wrong_delta2);
    let wrong: Vec<f64> = [wrong_dj_dw1.as_slice(), t.dj_dw2.as_slice()].concat();
    let numgrad = net.numerical_gradients(&d.x, &d.y, 1e-4).unwrap();
    assert!(relative_error(&wrong, &numgrad) > 1e-3);
}

/// Gradient descent with the backpropagated gradient lowers J on the Part 1
/// data from every seeded start.
#[test]
fn gradient_descent_lowers_the_cost() {
    let d = data::part1_normalised();
    for seed in 0..10 {
        let mut net = TwoLayerNet::random(2, 3, 1, seed).unwrap();
        let start = net.cost(&d.x, &d.y).unwrap();
        for _ in 0..200 {
            let g = net.gradients(&d.x, &d.y).unwrap();
            net.gradient_descent_step(&g, 1.0).unwrap();
        }
        let end = net.cost(&d.x, &d.y).unwrap();
        assert!(end < start, "seed {seed}: J went from {start} to {end}");
    }
}
