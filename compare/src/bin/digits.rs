//! The crate's side of `compare/digits.py`: the UCI digits on a split given
//! by index, trained on one thread with Adam, L-BFGS and stochastic
//! gradient descent, seed by seed.
//!
//! `cargo run --release -p compare --bin digits -- TEST_INDICES [LBFGS_TARGETS]`
//!
//! TEST_INDICES holds the testing images' indices into `data::digits()`,
//! whitespace-separated (the rest train). LBFGS_TARGETS, optional, holds a
//! training cost per seed: L-BFGS then stops as soon as it reaches it, and
//! its time is the time to get there. Prints one JSON object a line.

use std::error::Error;
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::time::Instant;

use backprop::{
    Activation, Adam, Cost, DataSet, GradientDescent, Lbfgs, Network, Optimiser, Report, data,
};

const SEEDS: [u64; 3] = [0, 1, 2];

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let read = |path: String| -> Result<Vec<f64>, Box<dyn Error>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()?)
    };
    let test: Vec<usize> = read(args.next().ok_or("give the file of test indices")?)?
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let targets = args.next().map(read).transpose()?;
    let all = data::digits();
    let train: Vec<usize> = (0..all.len()).filter(|i| !test.contains(i)).collect();
    let (train, test) = (all.select(&train), all.select(&test));

    let one = NonZeroUsize::MIN;
    for seed in SEEDS {
        let adam = Adam::default()
            .batch_size(200)
            .max_iterations(200)
            .gradient_tolerance(0.0)
            .seed(seed)
            .threads(one);
        run("adam", seed, &train, &test, |net| adam.train(net, &train))?;

        let sgd = GradientDescent::new(0.1)
            .momentum(0.9)
            .batch_size(32)
            .max_iterations(50)
            .gradient_tolerance(0.0)
            .seed(seed)
            .threads(one);
        run("sgd", seed, &train, &test, |net| sgd.train(net, &train))?;

        let target = targets.as_ref().map(|t| t[seed as usize]);
        let lbfgs = Lbfgs::default().threads(one);
        run("lbfgs", seed, &train, &test, |net| {
            lbfgs.train_with(net, &train, None, |p| match target {
                Some(target) if p.training_cost <= target => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            })
        })?;
    }
    Ok(())
}

/// Trains a fresh [64, 64 ReLU, 10 softmax] network of `seed` by `train`
/// and prints the outcome.
fn run(
    method: &str,
    seed: u64,
    train: &DataSet,
    test: &DataSet,
    fit: impl FnOnce(&mut Network) -> Result<Report, backprop::Error>,
) -> Result<(), Box<dyn Error>> {
    let mut net = Network::builder(64)
        .biased_layer(64, Activation::Relu)
        .biased_layer(10, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .seed(seed)
        .build()?;
    let start = Instant::now();
    let report = fit(&mut net)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"system\": \"backprop\", \"method\": \"{method}\", \"seed\": {seed}, \
         \"accuracy\": {}, \"seconds\": {seconds}, \"training_cost\": {}, \"iterations\": {}, \"evaluations\": {}}}",
        net.accuracy(test)?,
        net.cost(&train.x, &train.y)?,
        report.iterations,
        report.cost_evaluations
    );
    Ok(())
}
