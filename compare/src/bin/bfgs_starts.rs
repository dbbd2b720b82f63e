//! BFGS from many seeded starts on the Part 1 data: prints one JSON object
//! per start (the seed, the starting weights, and where `Bfgs::default()`
//! ended) for `compare/bfgs_scipy.py`, which runs scipy's BFGS from the
//! same starts.
//!
//! `cargo run --release -p compare --bin bfgs_starts -- [starts] [gtol]`
//! (default 1000 starts, gtol 1e-5), then
//! `target/numpy-venv/bin/python compare/bfgs_scipy.py < starts.jsonl`.

use backprop::{Bfgs, Optimiser, TwoLayerNet, data};

fn main() {
    let mut args = std::env::args().skip(1);
    let starts: u64 = args.next().map_or(1000, |a| a.parse().expect("starts"));
    let gtol: f64 = args.next().map_or(1e-5, |a| a.parse().expect("gtol"));
    let d = data::part1_normalised();
    let fixed = TwoLayerNet::from_weights(
        backprop::Matrix::from([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]]),
        backprop::Matrix::from([[1.0], [-2.0], [0.5]]),
    )
    .expect("the fixed start");
    let seeded = (0..starts).map(|seed| {
        let net = TwoLayerNet::random(2, 3, 1, seed).expect("2-3-1");
        (format!("{seed}"), net)
    });
    for (label, start) in std::iter::once(("\"fixed\"".to_owned(), fixed)).chain(seeded) {
        let mut net = start.clone();
        let report = Bfgs::default()
            .gradient_tolerance(gtol)
            .train(&mut net, &d)
            .expect("the Part 1 data fit a 2-3-1 network");
        let numbers = |v: Vec<f64>| {
            v.iter()
                .map(|x| format!("{x:e}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "{{\"start\":{label},\"params\":[{}],\"gtol\":{gtol:e},\"cost\":{:e},\"iterations\":{},\"stop\":\"{:?}\"}}",
            numbers(start.params()),
            report.final_cost,
            report.iterations,
            report.stop
        );
    }
}
