//! The optimisers on the series' data, on a larger random problem and on a
//! textbook function with a known minimum; every stop reason; the callback;
//! and Part 7's train/test comparison.

mod common;

use std::ops::ControlFlow;

use backprop::{
    Bfgs, Cost, Error, GradientDescent, Matrix, Model, Optimiser, Report, StopReason, TwoLayerNet,
    data, data::DataSet, sigmoid,
};

fn part1() -> DataSet {
    data::part1_normalised()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Runs `optimiser` until J ≤ `target` (stopping from the callback) and
/// returns the iteration at which it got there.
fn iterations_to(
    optimiser: &impl Optimiser,
    net: &mut TwoLayerNet,
    d: &DataSet,
    target: f64,
) -> (Option<usize>, Report) {
    let mut reached = None;
    let report = optimiser
        .train_with(net, d, None, |p| {
            if p.training_cost <= target {
                reached = Some(p.iteration);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    (reached, report)
}

/// Part 6's target: from every one of 20 seeded starts BFGS drives J on the
/// Part 1 data to 1e-9 within 200 iterations. The gradient tolerance is off
/// so that only the target (through the callback) ends the run.
#[test]
fn bfgs_reaches_1e_9_on_part1_from_every_start() {
    let d = part1();
    let mut counts = Vec::new();
    for seed in 0..20 {
        let mut net = TwoLayerNet::random(2, 3, 1, seed).unwrap();
        let bfgs = Bfgs::default().gradient_tolerance(0.0);
        let (reached, report) = iterations_to(&bfgs, &mut net, &d, 1e-9);
        let k = reached.unwrap_or_else(|| panic!("seed {seed}: {report:?}"));
        assert!(k <= 200);
        assert_eq!(report.stop, StopReason::Stopped);
        assert_eq!(report.iterations, k);
        // The model holds the parameters the callback saw last.
        assert_eq!(net.cost(&d.x, &d.y).unwrap(), report.final_cost);
        assert!(report.final_cost <= 1e-9);
        counts.push(k);
    }
    counts.sort_unstable();
    println!(
        "BFGS iterations to J ≤ 1e-9 over 20 starts: median {}, worst {}",
        (counts[9] + counts[10]) / 2,
        counts[19]
    );
}

/// With its defaults BFGS stops by the gradient test, and the gradient of
/// the model it leaves behind really is that small.
#[test]
fn bfgs_converges_by_the_gradient_test() {
    let d = part1();
    let mut net = TwoLayerNet::random(2, 3, 1, 42).unwrap();
    let report = Bfgs::default().train(&mut net, &d).unwrap();
    assert_eq!(report.stop, StopReason::Converged);
    let g = net.gradients(&d.x, &d.y).unwrap().to_vec();
    assert!(max_abs(&g) <= 1e-5, "{g:?}");
    assert!(report.cost_evaluations > report.iterations);
    assert_eq!(report.gradient_evaluations, report.cost_evaluations);
    assert_eq!(report.costs.len(), report.iterations + 1);
    assert!(report.testing_costs.is_empty());
    // Sufficient decrease makes every accepted step lower J.
    assert!(
        report.costs.windows(2).all(|w| w[1] < w[0]),
        "{:?}",
        report.costs
    );
}

/// Gradient descent with η = 2 lowers J at every step on the Part 1 data,
/// from every start, and gets below 1e-4.
#[test]
fn gradient_descent_lowers_j_monotonically() {
    let d = part1();
    let mut counts = Vec::new();
    for seed in 0..20 {
        let mut net = TwoLayerNet::random(2, 3, 1, seed).unwrap();
        let gd = GradientDescent::new(2.0)
            .max_iterations(20_000)
            .gradient_tolerance(0.0);
        let (reached, report) = iterations_to(&gd, &mut net, &d, 1e-4);
        assert!(report.costs.windows(2).all(|w| w[1] < w[0]), "seed {seed}");
        counts.push(reached.unwrap_or_else(|| panic!("seed {seed}: J = {}", report.final_cost)));
    }
    counts.sort_unstable();
    println!(
        "gradient descent (η = 2) iterations to J ≤ 1e-4 over 20 starts: median {}, worst {}",
        (counts[9] + counts[10]) / 2,
        counts[19]
    );
}

/// Momentum μ = 0.8 reaches J ≤ 1e-4 in fewer iterations than plain descent
/// at the same learning rate, from each of 10 starts.
#[test]
fn momentum_speeds_gradient_descent_up() {
    let d = part1();
    let plain = GradientDescent::new(1.0)
        .max_iterations(50_000)
        .gradient_tolerance(0.0);
    let heavy = plain.momentum(0.8);
    for seed in 0..10 {
        let start = TwoLayerNet::random(2, 3, 1, seed).unwrap();
        let (k_plain, _) = iterations_to(&plain, &mut start.clone(), &d, 1e-4);
        let (k_heavy, _) = iterations_to(&heavy, &mut start.clone(), &d, 1e-4);
        let (k_plain, k_heavy) = (k_plain.unwrap(), k_heavy.unwrap());
        assert!(k_heavy < k_plain / 2, "seed {seed}: {k_heavy} vs {k_plain}");
    }
}

/// A random problem larger than the series': 64 examples, 8-16-4 network.
fn larger_problem() -> (TwoLayerNet, DataSet) {
    let x = Matrix::randn(64, 8, 1).map(sigmoid);
    // Targets from a "teacher" network, so a good fit exists.
    let teacher = TwoLayerNet::random(8, 5, 4, 2).unwrap();
    let y = teacher.forward(&x).unwrap();
    (TwoLayerNet::random(8, 16, 4, 3).unwrap(), DataSet { x, y })
}

#[test]
fn both_optimisers_fit_a_larger_random_problem() {
    let (start, d) = larger_problem();
    let j0 = start.cost(&d.x, &d.y).unwrap();

    let mut net = start.clone();
    let bfgs = Bfgs::default().train(&mut net, &d).unwrap();
    assert!(
        bfgs.final_cost < 1e-3 * j0,
        "BFGS: {} from {j0}",
        bfgs.final_cost
    );
    assert!(bfgs.costs.windows(2).all(|w| w[1] < w[0]));

    let mut net = start.clone();
    let gd = GradientDescent::new(0.05)
        .max_iterations(2000)
        .train(&mut net, &d)
        .unwrap();
    assert!(gd.final_cost < 0.1 * j0, "GD: {} from {j0}", gd.final_cost);
    assert!(gd.costs.windows(2).all(|w| w[1] <= w[0]));
    // The quasi-Newton method needs far fewer iterations for a better fit.
    assert!(bfgs.final_cost < gd.final_cost && bfgs.iterations < gd.iterations);
}

/// Rosenbrock's function, the textbook test of BFGS (N&W §2.1, Fig. 6.?):
/// f(a, b) = 100(b − a²)² + (1 − a)², minimum 0 at (1, 1), from (−1.2, 1).
/// It also shows that any `Model` trains, not only the network.
#[derive(Debug)]
struct Rosenbrock {
    p: Vec<f64>,
}

impl Model for Rosenbrock {
    fn params(&self) -> Vec<f64> {
        self.p.clone()
    }
    fn set_params(&mut self, params: &[f64]) -> Result<(), Error> {
        if params.len() != 2 {
            return Err(Error::ParamCount {
                expected: 2,
                found: params.len(),
            });
        }
        self.p = params.to_vec();
        Ok(())
    }
    fn cost(&self, _: &Matrix, _: &Matrix) -> Result<f64, Error> {
        let (a, b) = (self.p[0], self.p[1]);
        Ok(100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2))
    }
    fn cost_and_gradient(&self, x: &Matrix, y: &Matrix) -> Result<(f64, Vec<f64>), Error> {
        let (a, b) = (self.p[0], self.p[1]);
        let grad = vec![
            -400.0 * a * (b - a * a) - 2.0 * (1.0 - a),
            200.0 * (b - a * a),
        ];
        Ok((self.cost(x, y)?, grad))
    }
}

#[test]
fn bfgs_finds_the_minimum_of_rosenbrocks_function() {
    let mut f = Rosenbrock { p: vec![-1.2, 1.0] };
    let none = DataSet {
        x: Matrix::zeros(0, 0),
        y: Matrix::zeros(0, 0),
    };
    let report = Bfgs::default()
        .gradient_tolerance(1e-10)
        .train(&mut f, &none)
        .unwrap();
    assert_eq!(report.stop, StopReason::Converged);
    assert!(
        (f.p[0] - 1.0).abs() < 1e-8 && (f.p[1] - 1.0).abs() < 1e-8,
        "{:?}",
        f.p
    );
    assert!(report.iterations < 60, "{} iterations", report.iterations);
}

#[test]
fn stop_reasons() {
    let d = part1();
    let net = TwoLayerNet::random(2, 3, 1, 1).unwrap();

    let r = Bfgs::default()
        .max_iterations(3)
        .train(&mut net.clone(), &d)
        .unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::IterationLimit, 3));
    let r = GradientDescent::new(1.0)
        .max_iterations(3)
        .train(&mut net.clone(), &d)
        .unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::IterationLimit, 3));

    // With no gradient test BFGS goes on until J cannot be lowered in f64.
    let mut m = net.clone();
    let r = Bfgs::default()
        .gradient_tolerance(0.0)
        .train(&mut m, &d)
        .unwrap();
    assert_eq!(r.stop, StopReason::LineSearchFailed);
    assert!(r.iterations < 200 && r.final_cost < 1e-20, "{r:?}");
    assert_eq!(m.cost(&d.x, &d.y).unwrap(), r.final_cost);

    // A loose tolerance is met at once.
    let r = GradientDescent::new(1.0)
        .gradient_tolerance(10.0)
        .train(&mut net.clone(), &d)
        .unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::Converged, 0));

    // Stopped before the first iteration.
    let r = Bfgs::default()
        .train_with(&mut net.clone(), &d, None, |_| ControlFlow::Break(()))
        .unwrap();
    assert_eq!(
        (r.stop, r.iterations, r.costs.len()),
        (StopReason::Stopped, 0, 1)
    );
}

/// Targets far outside the sigmoid's range give gradients near 100; with
/// η = 1e307 the first step leaves the range of f64. Gradient descent
/// reports that and keeps the last finite weights, here the starting ones.
#[test]
fn gradient_descent_reports_divergence() {
    let d = DataSet {
        x: Matrix::from([[1.0, 1.0], [1.0, 0.5]]),
        y: Matrix::from([[1000.0], [1000.0]]),
    };
    let mut net = TwoLayerNet::random(2, 3, 1, 4).unwrap();
    let before = net.clone();
    let r = GradientDescent::new(1e307).train(&mut net, &d).unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::Diverged, 0));
    assert_eq!(net, before);
    assert_eq!(r.final_cost, before.cost(&d.x, &d.y).unwrap());
}

#[test]
fn bad_settings_and_data_are_errors_that_change_nothing() {
    let d = part1();
    let mut net = TwoLayerNet::random(2, 3, 1, 1).unwrap();
    let before = net.clone();
    let setting = |r: Result<Report, Error>| matches!(r, Err(Error::InvalidSetting { .. }));
    for eta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(setting(GradientDescent::new(eta).train(&mut net, &d)));
    }
    assert!(setting(
        GradientDescent::new(1.0).momentum(1.0).train(&mut net, &d)
    ));
    assert!(setting(
        GradientDescent::new(1.0)
            .gradient_tolerance(f64::NAN)
            .train(&mut net, &d)
    ));
    assert!(setting(Bfgs::default().wolfe(0.9, 0.1).train(&mut net, &d)));
    assert!(setting(Bfgs::default().wolfe(0.0, 0.9).train(&mut net, &d)));
    assert!(setting(
        Bfgs::default().gradient_tolerance(-1.0).train(&mut net, &d)
    ));
    assert_eq!(net, before);

    let wide = DataSet {
        x: Matrix::zeros(3, 5),
        y: d.y.clone(),
    };
    assert_eq!(
        Bfgs::default().train(&mut net, &wide),
        Err(Error::InputColumns {
            expected: 2,
            found: 5
        })
    );
    let mut bad_test = d.clone();
    bad_test.y[(0, 0)] = f64::NAN;
    let r = GradientDescent::new(1.0)
        .train_with(&mut net, &d, Some(&bad_test), |_| ControlFlow::Continue(()));
    assert_eq!(
        r,
        Err(Error::NonFinite {
            what: "y",
            at: (0, 0)
        })
    );
    assert_eq!(net, before);
}

/// Part 7: on the four-example training set the unregularised network fits
/// the training data far better than the testing data; λ = 1e-4 narrows that
/// gap. Same 20 seeded starts, BFGS with its defaults.
#[test]
fn regularisation_narrows_the_train_test_gap() {
    let (train, test) = data::part7_normalised();
    let mean_gap = |lambda: f64| {
        let mut total = 0.0;
        for seed in 0..20 {
            let mut net = TwoLayerNet::random(2, 3, 1, seed)
                .unwrap()
                .with_cost(Cost::Regularised { lambda })
                .unwrap();
            let r = Bfgs::default()
                .train_with(&mut net, &train, Some(&test), |_| ControlFlow::Continue(()))
                .unwrap();
            assert_eq!(r.testing_costs.len(), r.costs.len());
            // The recorded testing cost is the model's cost on the testing set.
            assert_eq!(
                *r.testing_costs.last().unwrap(),
                net.cost(&test.x, &test.y).unwrap()
            );
            total += r.testing_costs.last().unwrap() - r.final_cost;
        }
        total / 20.0
    };
    let (unregularised, regularised) = (mean_gap(0.0), mean_gap(1e-4));
    println!(
        "mean final testing − training cost over 20 starts: λ = 0: {unregularised:.3e}, \
         λ = 1e-4: {regularised:.3e}"
    );
    assert!(regularised < unregularised / 2.0);
}
