//! The deep shapes D1 and D2 timed as `compare/numpy_bench.py` and
//! `compare/jax_bench.py` time theirs: `Network::gradients` called back to
//! back with the crate's default threads, the median over repeated runs
//! of a number of calls, so that the three stand on the same footing
//! (the `interleaved` bin instead times each call between other
//! libraries' calls, which leaves the caches and the kept threads cold).
//!
//! `cargo run --release -p compare --bin back_to_back -- [budget seconds]`
//! (default 3). Prints JSON in the form the Python scripts print.

use std::hint::black_box;
use std::time::Instant;

use backprop::{Matrix, Network, sigmoid};
use compare::{DEEP, settle_allocator};

/// Median seconds per call over repeated runs filling about `budget`
/// seconds, as numpy_bench.py's `time_per_call` measures.
fn time_per_call(mut f: impl FnMut(), budget: f64) -> f64 {
    let mut run = |number: usize| {
        let start = Instant::now();
        (0..number).for_each(|_| f());
        start.elapsed().as_secs_f64()
    };
    let mut number = 1;
    while run(number) < 0.05 {
        number *= 2;
    }
    let per_run = run(number);
    let repeats = ((budget / per_run.max(1e-9)) as usize).clamp(5, 50);
    let mut runs: Vec<f64> = (0..repeats).map(|_| run(number)).collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2] / number as f64
}

fn main() {
    let budget = std::env::args()
        .nth(1)
        .map_or(3.0, |a| a.parse().expect("budget in seconds"));
    settle_allocator();
    let mut results = Vec::new();
    for (label, n, sizes) in DEEP {
        let net = Network::random(sizes, 1).expect("the deep shape");
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        let seconds = time_per_call(
            || {
                black_box(net.gradients(black_box(&x), black_box(&y))).expect("the gradients");
            },
            budget,
        );
        eprintln!("{label} ({n}, {sizes:?}): {:.4} ms", seconds * 1e3);
        results.push(format!("\"{label}\": {seconds}"));
    }
    println!(
        "{{\"backprop\": \"default threads\", \"median_seconds\": {{{}}}}}",
        results.join(", ")
    );
}
