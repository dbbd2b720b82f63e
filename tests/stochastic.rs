//! Stochastic training: every example once an epoch in a seeded order,
//! Adam's update against the paper's algorithm written here, the same seed
//! giving the same bits, and bad settings refused without change.

use std::cell::RefCell;
use std::num::NonZeroUsize;

use backprop::{
    Activation, Adam, Cost, DataSet, Error, GradientDescent, Matrix, Model, Network, Optimiser,
    StopReason, data, sigmoid,
};

/// A model that records the examples it is shown: J = ½ Σ (p·x − y)² / n
/// for one parameter p, and X's single column holds each example's number.
struct Recorder {
    p: f64,
    seen: RefCell<Vec<Vec<usize>>>,
}

impl Model for Recorder {
    fn params(&self) -> Vec<f64> {
        vec![self.p]
    }
    fn set_params(&mut self, params: &[f64]) -> Result<(), Error> {
        self.p = params[0];
        Ok(())
    }
    fn cost(&self, x: &Matrix, y: &Matrix) -> Result<f64, Error> {
        let n = x.rows() as f64;
        Ok(x.iter()
            .zip(y.iter())
            .map(|(x, y)| 0.5 * (self.p * x - y).powi(2))
            .sum::<f64>()
            / n)
    }
    fn cost_and_gradient(&self, x: &Matrix, y: &Matrix) -> Result<(f64, Vec<f64>), Error> {
        self.seen
            .borrow_mut()
            .push(x.iter().map(|&v| v as usize).collect());
        let n = x.rows() as f64;
        let g = x
            .iter()
            .zip(y.iter())
            .map(|(x, y)| (self.p * x - y) * x)
            .sum::<f64>()
            / n;
        Ok((self.cost(x, y)?, vec![g]))
    }
}

fn numbered(n: usize) -> DataSet {
    let x = Matrix::from_fn(n, 1, |i, _| i as f64);
    DataSet::new(x.clone(), x).unwrap()
}

#[test]
fn every_example_once_an_epoch_in_a_new_order() {
    let d = numbered(23);
    let mut model = Recorder {
        p: 0.0,
        seen: RefCell::new(Vec::new()),
    };
    let report = GradientDescent::new(1e-4)
        .batch_size(5)
        .max_iterations(3)
        .gradient_tolerance(0.0)
        .train(&mut model, &d)
        .unwrap();
    assert_eq!(report.iterations, 3);
    let seen = model.seen.into_inner();
    // The first evaluation is the whole batch, then 5 mini-batches an epoch.
    assert_eq!(seen[0], (0..23).collect::<Vec<_>>());
    let epochs: Vec<Vec<usize>> = seen[1..].chunks(5).map(|c| c.concat()).collect();
    assert_eq!(epochs.len(), 3);
    for (e, batches) in seen[1..].chunks(5).enumerate() {
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [5, 5, 5, 5, 3], "epoch {e}");
        let mut all = epochs[e].clone();
        all.sort_unstable();
        assert_eq!(all, (0..23).collect::<Vec<_>>(), "epoch {e}");
    }
    assert_ne!(epochs[0], epochs[1]);
    assert_ne!(epochs[1], epochs[2]);
    assert_ne!(epochs[0], (0..23).collect::<Vec<_>>());
}

fn classification() -> (Network, DataSet) {
    let (n, i, c) = (120, 5, 3);
    let x = Matrix::randn(n, i, 3).map(sigmoid);
    let labels: Vec<usize> = (0..n)
        .map(|r| (0..c).fold(0, |best, k| if x[(r, k)] > x[(r, best)] { k } else { best }))
        .collect();
    let d = DataSet::new(x, data::one_hot(&labels, c).unwrap()).unwrap();
    let net = Network::builder(i)
        .biased_layer(8, Activation::Tanh)
        .biased_layer(c, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .seed(4)
        .build()
        .unwrap();
    (net, d)
}

/// With one mini-batch an epoch, Adam's epochs are the paper's steps on
/// the whole batch, computed here from the crate's gradients.
#[test]
fn adam_follows_the_algorithm() {
    let (net, d) = classification();
    let (eta, b1, b2, eps) = (0.01, 0.8, 0.95, 1e-6);
    let mut p = net.params();
    let (mut m, mut v) = (vec![0.0; p.len()], vec![0.0; p.len()]);
    let mut probe = net.clone();
    for t in 1..=5 {
        probe.set_params(&p).unwrap();
        let g = probe.gradients(&d.x, &d.y).unwrap().to_vec();
        for k in 0..p.len() {
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            let m_hat = m[k] / (1.0 - b1.powi(t));
            let v_hat = v[k] / (1.0 - b2.powi(t));
            p[k] -= eta * m_hat / (v_hat.sqrt() + eps);
        }
    }
    let mut trained = net.clone();
    Adam::default()
        .learning_rate(eta)
        .betas(b1, b2)
        .epsilon(eps)
        .batch_size(d.len())
        .max_iterations(5)
        .gradient_tolerance(0.0)
        .train(&mut trained, &d)
        .unwrap();
    // The shuffled rows sum the gradient in another order: rounding only.
    for (a, b) in trained.params().iter().zip(&p) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bits() {
    let (net, d) = classification();
    let train = |adam: bool, seed: u64, threads: usize| {
        let mut net = net.clone();
        let threads = NonZeroUsize::new(threads).unwrap();
        let report = if adam {
            Adam::default()
                .learning_rate(0.01)
                .batch_size(16)
                .seed(seed)
                .threads(threads)
                .max_iterations(8)
                .train(&mut net, &d)
        } else {
            GradientDescent::new(0.1)
                .momentum(0.9)
                .batch_size(16)
                .seed(seed)
                .threads(threads)
                .max_iterations(8)
                .train(&mut net, &d)
        }
        .unwrap();
        let bits: Vec<u64> = net.params().iter().map(|v| v.to_bits()).collect();
        (bits, report.costs)
    };
    for adam in [true, false] {
        for threads in [1, 2] {
            let a = train(adam, 7, threads);
            assert_eq!(a, train(adam, 7, threads));
            assert_ne!(a.0, train(adam, 8, threads).0);
            // One cost an epoch, falling overall.
            assert_eq!(a.1.len(), 9);
            assert!(a.1[8] < 0.7 * a.1[0], "{:?}", a.1);
        }
    }
}

#[test]
fn stochastic_reports_are_per_epoch_and_exact_at_the_end() {
    let (net, d) = classification();
    let (train, test) = (d.clone(), d);
    let mut net = net.clone();
    let mut epochs = Vec::new();
    let report = Adam::default()
        .learning_rate(0.01)
        .batch_size(25)
        .max_iterations(4)
        .train_with(&mut net, &train, Some(&test), |p| {
            epochs.push(p.iteration);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(epochs, [0, 1, 2, 3, 4]);
    assert_eq!(report.stop, StopReason::IterationLimit);
    assert_eq!(report.testing_costs.len(), 5);
    // 5 mini-batches an epoch, and the first whole-batch evaluation.
    assert_eq!(report.cost_evaluations, 1 + 4 * 5);
    assert_eq!(report.final_cost, net.cost(&train.x, &train.y).unwrap());
}

/// One way to train a network, and the setting it gets wrong.
type Training<'a> = Box<dyn Fn(&mut Network) -> Result<backprop::Report, Error> + 'a>;

#[test]
fn bad_settings_are_refused_and_change_nothing() {
    let (net, d) = classification();
    let setting =
        |what| move |e: Error| matches!(e, Error::InvalidSetting { what: w, .. } if w == what);
    let cases: Vec<(Training<'_>, &str)> = vec![
        (
            Box::new(|n| Adam::default().batch_size(0).train(n, &d)),
            "batch size",
        ),
        (
            Box::new(|n| GradientDescent::new(0.1).batch_size(0).train(n, &d)),
            "batch size",
        ),
        (
            Box::new(|n| Adam::default().learning_rate(0.0).train(n, &d)),
            "learning rate",
        ),
        (
            Box::new(|n| Adam::default().learning_rate(-1.0).train(n, &d)),
            "learning rate",
        ),
        (
            Box::new(|n| Adam::default().learning_rate(f64::NAN).train(n, &d)),
            "learning rate",
        ),
        (
            Box::new(|n| Adam::default().betas(1.0, 0.999).train(n, &d)),
            "beta1",
        ),
        (
            Box::new(|n| Adam::default().betas(-0.1, 0.999).train(n, &d)),
            "beta1",
        ),
        (
            Box::new(|n| Adam::default().betas(0.9, 1.0).train(n, &d)),
            "beta2",
        ),
        (
            Box::new(|n| Adam::default().betas(0.9, f64::NAN).train(n, &d)),
            "beta2",
        ),
        (
            Box::new(|n| Adam::default().epsilon(0.0).train(n, &d)),
            "epsilon",
        ),
    ];
    for (train, what) in cases {
        let mut trained = net.clone();
        let e = train(&mut trained).unwrap_err();
        assert!(setting(what)(e.clone()), "{what}: {e:?}");
        assert_eq!(trained, net);
    }
    // NaN in the data is refused by the data set itself.
    let mut x = d.x.clone();
    x[(3, 1)] = f64::NAN;
    assert!(matches!(
        DataSet::new(x, d.y.clone()),
        Err(Error::NonFinite { what: "X", .. })
    ));
}
