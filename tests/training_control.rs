//! Training a user controls: the thread count an optimiser computes with,
//! `BACKPROP_THREADS`, and early stopping that keeps the best weights.

use std::num::NonZeroUsize;
use std::ops::ControlFlow;

use backprop::{
    Bfgs, DataSet, GradientDescent, Matrix, Network, Optimiser, TwoLayerNet, Workspace, data,
    sigmoid,
};

/// A batch big enough to be shared among threads.
fn large() -> (Network, DataSet) {
    let net = Network::random(&[16, 32, 4], 5).unwrap();
    let x = Matrix::randn(2048, 16, 6).map(sigmoid);
    let y = Matrix::randn(2048, 4, 7).map(sigmoid);
    (net, DataSet::new(x, y).unwrap())
}

/// Gradient descent by hand, each gradient from a workspace of `threads`.
fn by_hand(net: &Network, d: &DataSet, threads: usize, steps: usize, eta: f64) -> Vec<f64> {
    let mut ws = Workspace::with_threads(NonZeroUsize::new(threads).unwrap());
    let mut net = net.clone();
    for _ in 0..steps {
        let g = net.gradients_in(&d.x, &d.y, &mut ws).unwrap().to_vec();
        let p: Vec<f64> = net
            .params()
            .iter()
            .zip(&g)
            .map(|(p, g)| p - eta * g)
            .collect();
        net.set_params(&p).unwrap();
    }
    net.params()
}

#[test]
fn an_optimiser_computes_with_the_threads_it_is_given() {
    let (net, d) = large();
    assert_eq!(
        Workspace::with_threads(NonZeroUsize::new(3).unwrap()).threads_for(&net, 2048),
        3
    );
    for threads in [1, 3] {
        let mut trained = net.clone();
        GradientDescent::new(0.01)
            .max_iterations(4)
            .gradient_tolerance(0.0)
            .threads(NonZeroUsize::new(threads).unwrap())
            .train(&mut trained, &d)
            .unwrap();
        // The same steps with gradients from a workspace of that many
        // threads give the same bits.
        assert_eq!(
            trained.params(),
            by_hand(&net, &d, threads, 4, 0.01),
            "{threads} threads"
        );
    }
}

/// Part 7 without regularisation overfits: the testing cost falls, then
/// rises while the training cost keeps falling. `restore_best` ends at the
/// lowest testing cost.
#[test]
fn restore_best_keeps_the_weights_of_the_lowest_testing_cost() {
    let (train, test) = data::part7_normalised();
    let start = TwoLayerNet::random(2, 3, 1, 4).unwrap();
    let run = |restore: bool| {
        let mut net = start.clone();
        let mut seen = Vec::new();
        let report = Bfgs::default()
            .restore_best(restore)
            .train_with(&mut net, &train, Some(&test), |p| {
                seen.push((p.iteration, p.testing_cost.unwrap(), p.training_cost));
                ControlFlow::Continue(())
            })
            .unwrap();
        (net, report, seen)
    };
    let (last, plain, seen) = run(false);
    let (best, restored, _) = run(true);

    // The lowest testing cost, found from the callback's record.
    let (at, lowest, training_there) = seen
        .iter()
        .copied()
        .fold(seen[0], |m, s| if s.1 < m.1 { s } else { m });
    assert!(
        at < plain.iterations,
        "the testing cost keeps falling: nothing to restore"
    );
    assert_eq!(plain.best_iteration, Some(at));
    assert_eq!(restored.best_iteration, Some(at));

    assert_eq!(last.cost(&train.x, &train.y).unwrap(), plain.final_cost);
    assert_eq!(best.cost(&test.x, &test.y).unwrap(), lowest);
    assert_eq!(best.cost(&train.x, &train.y).unwrap(), training_there);
    assert_eq!(restored.final_cost, training_there);
    assert!(lowest < *restored.testing_costs.last().unwrap());
    // Restoring changes where training ends, not what it saw.
    assert_eq!(restored.costs, plain.costs);
}

#[test]
fn restore_best_without_a_testing_set_ends_at_the_last_weights() {
    let d = data::part1_normalised();
    let mut a = TwoLayerNet::random(2, 3, 1, 42).unwrap();
    let mut b = a.clone();
    let report = Bfgs::default()
        .restore_best(true)
        .train(&mut a, &d)
        .unwrap();
    Bfgs::default().train(&mut b, &d).unwrap();
    assert_eq!(a, b);
    assert_eq!(report.best_iteration, None);
}

#[test]
fn restore_best_applies_when_the_callback_stops_training() {
    let (train, test) = data::part7_normalised();
    let mut net = TwoLayerNet::random(2, 3, 1, 4).unwrap();
    let report = GradientDescent::new(1.0)
        .restore_best(true)
        .train_with(&mut net, &train, Some(&test), |p| {
            if p.iteration == 30 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    let best = report.best_iteration.unwrap();
    let lowest = report
        .testing_costs
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(report.testing_costs[best], lowest);
    assert_eq!(net.cost(&test.x, &test.y).unwrap(), lowest);
}

/// `BACKPROP_THREADS` caps a default workspace. The environment is read
/// once per process, so the check runs in a child process of this test
/// binary with the variable set.
#[test]
fn backprop_threads_sets_the_default_thread_count() {
    const CHILD: &str = "BACKPROP_TEST_CHILD";
    let (net, _) = large();
    let big = 1 << 20;
    if std::env::var_os(CHILD).is_some() {
        let expected: usize = std::env::var("BACKPROP_THREADS").unwrap().parse().unwrap();
        assert_eq!(Workspace::new().threads_for(&net, big), expected);
        // Small problems stay on one thread whatever the setting.
        assert_eq!(Workspace::new().threads_for(&net, 3), 1);
        return;
    }
    for threads in ["1", "3"] {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "backprop_threads_sets_the_default_thread_count",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("BACKPROP_THREADS", threads)
            .status()
            .unwrap();
        assert!(status.success(), "BACKPROP_THREADS={threads}");
    }
}

/// From `TwoLayerNet::random(2, 3, 1, 45)` the second step, scaled up where
/// the sigmoid is flat, used to throw W(2) to about (6.2, 5.8, 11.3):
/// every output saturated, ‖∇J‖∞ = 2.5e-8, "converged" at J = 0.0499.
/// The line search now starts no farther than the weights are long.
#[test]
fn bfgs_fits_the_part1_data_from_seed_45() {
    let d = data::part1_normalised();
    let mut net = TwoLayerNet::random(2, 3, 1, 45).unwrap();
    let report = Bfgs::default().train(&mut net, &d).unwrap();
    assert_eq!(report.stop, backprop::StopReason::Converged);
    assert!(report.final_cost <= 1e-6, "J = {:e}", report.final_cost);
}

/// Output weights of 30 saturate every output: the gradient is far below
/// the tolerance at the start, but ŷ ≈ 1 misses y. Both optimisers report
/// the plateau, not a fit; outputs saturated at the targets are a fit.
#[test]
fn a_saturated_plateau_is_not_reported_as_converged() {
    let d = data::part1_normalised();
    let w1 = Matrix::from([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]]);
    let plateau =
        TwoLayerNet::from_weights(w1.clone(), Matrix::from([[30.0], [30.0], [30.0]])).unwrap();
    let mut net = plateau.clone();
    let report = Bfgs::default().train(&mut net, &d).unwrap();
    assert_eq!(
        (report.stop, report.iterations),
        (backprop::StopReason::Saturated, 0)
    );
    assert!(report.final_cost > 0.04);
    let mut net = plateau.clone();
    let report = GradientDescent::new(1.0).train(&mut net, &d).unwrap();
    assert_eq!(report.stop, backprop::StopReason::Saturated);

    // The same saturated outputs fit targets of 1.
    let ones = DataSet::new(d.x.clone(), Matrix::from([[1.0], [1.0], [1.0]])).unwrap();
    let mut net = plateau;
    let report = Bfgs::default().train(&mut net, &ones).unwrap();
    assert_eq!(report.stop, backprop::StopReason::Converged);
}

/// From the fixed start, BFGS needs fewer iterations than scipy's
/// (38 at gtol 1e-5 and 43 at 1e-9, from `compare/bfgs_scipy.py`).
#[test]
fn bfgs_beats_scipys_iteration_count_from_the_fixed_start() {
    let d = data::part1_normalised();
    let start = TwoLayerNet::from_weights(
        Matrix::from([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]]),
        Matrix::from([[1.0], [-2.0], [0.5]]),
    )
    .unwrap();
    for (gtol, scipy) in [(1e-5, 38), (1e-9, 43)] {
        let mut net = start.clone();
        let report = Bfgs::default()
            .gradient_tolerance(gtol)
            .train(&mut net, &d)
            .unwrap();
        assert_eq!(report.stop, backprop::StopReason::Converged);
        assert!(
            report.iterations < scipy,
            "gtol {gtol:e}: {} iterations",
            report.iterations
        );
    }
}
