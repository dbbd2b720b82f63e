//! One mini-batch of the digits' Adam run, on one thread: the fused pass
//! (forward, softmax and cross-entropy, backward, every ∂J/∂W and ∂J/∂b)
//! of [64, 64 ReLU, 10 softmax] at 200 rows, which 200 epochs call 1,600
//! times. Beside `compare/minibatch_blas.py`, which times OpenBLAS on the
//! same five products alone.
//!
//! `cargo run --release -p compare --bin minibatch -- [rounds] [peak GFLOP/s]`
//! (default 15 rounds of 2,000 calls). Prints the median and best time per
//! call and, given the one-core FMA peak, the share of it.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

use backprop::{Activation, Cost, Network, Workspace, data};

/// Rows of one mini-batch, and calls per round.
const ROWS: usize = 200;
const CALLS: usize = 2000;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(15, |a| a.parse().expect("rounds"));
    let peak: Option<f64> = args.next().map(|a| a.parse().expect("peak GFLOP/s"));
    let digits = data::digits();
    // Rows spread over the set, as a shuffled mini-batch's are.
    let rows: Vec<usize> = (0..ROWS).map(|i| i * 7 % digits.len()).collect();
    let batch = digits.select(&rows);
    let net = Network::builder(64)
        .biased_layer(64, Activation::Relu)
        .biased_layer(10, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .seed(0)
        .build()
        .expect("the digits' network");
    let mut ws = Workspace::with_threads(NonZeroUsize::MIN);
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                let call = net.cost_and_gradients_in(black_box(&batch.x), &batch.y, &mut ws);
                black_box(call.expect("the gradient"));
            }
            start.elapsed().as_secs_f64() / CALLS as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // Forward, δ(2) and both weight gradients: 10,112 multiply-adds a row.
    let flops = 2.0 * ROWS as f64 * (2.0 * (64.0 * 64.0 + 64.0 * 10.0) + 64.0 * 10.0);
    for (name, t) in [("median", times[rounds / 2]), ("best", times[0])] {
        let gflops = flops / t / 1e9;
        let share = peak.map_or(String::new(), |p| {
            format!(", {:.0} % of the peak", gflops / p * 1e2)
        });
        println!(
            "{name}: {:.1} µs a mini-batch, {gflops:.1} GFLOP/s{share}",
            t * 1e6
        );
    }
}
