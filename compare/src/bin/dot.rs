//! `Matrix::dot` of two n × n matrices on one thread, in GFLOP/s, at
//! n = 256, 1024 and 2048: the product's share of one core's FMA peak.
//!
//! `cargo run --release -p compare --bin dot -- [rounds]` (default 9)
//! prints each size's median over `rounds` products and the best; the
//! instruction set is the fastest this CPU has, or `BACKPROP_ISA`'s.

use std::hint::black_box;
use std::time::Instant;

use backprop::Matrix;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(9, |a| a.parse().expect("rounds"));
    println!("| n | median | GFLOP/s (median) | GFLOP/s (best) |");
    println!("|---|---|---|---|");
    for n in [256, 1024, 2048] {
        let a = Matrix::randn(n, n, 1);
        let b = Matrix::randn(n, n, 2);
        // Small sizes repeat within a round, so that a round is timed in
        // milliseconds.
        let repeats = (1 << 30) / (n * n * n) + 1;
        let mut times: Vec<f64> = (0..rounds)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..repeats {
                    black_box(black_box(&a).dot(black_box(&b)));
                }
                start.elapsed().as_secs_f64() / repeats as f64
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let flops = 2.0 * (n as f64).powi(3);
        let median = times[times.len() / 2];
        println!(
            "| {n} | {:.2} ms | {:.1} | {:.1} |",
            median * 1e3,
            flops / median / 1e9,
            flops / times[0] / 1e9
        );
    }
}
