//! D1 on one thread, call by call, with a register-only FMA loop between
//! every five calls: whether a slow spell of the gradient comes with a
//! slow spell of the bare FMA units, that is, from other work sharing the
//! core rather than from the crate's memory traffic.
//!
//! `cargo run --release -p compare --bin spells -- [seconds] [slow ms]`
//! (defaults 20 and 7.6) prints the calls' percentiles, the FMA loop's
//! mean rate and D1's mean time in the slots whose median call was faster
//! and slower than `slow ms`, and the correlation between the two over
//! all slots.

use std::num::NonZeroUsize;
use std::time::Instant;

use backprop::{Matrix, Network, Workspace, sigmoid};
use compare::{DEEP, settle_allocator};

/// FMAs per chain of one probe: 192 M FLOPs, about 4 ms at 51 GFLOP/s.
const PROBE_ROUNDS: u64 = 2_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).map_or(20.0, |a| a.parse().expect("seconds"));
    let slow_ms: f64 = args.get(2).map_or(7.6, |a| a.parse().expect("slow ms"));
    settle_allocator();
    let (_, n, sizes) = DEEP[0];
    let net = Network::random(sizes, 1).expect("D1");
    let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
    let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
    let mut ws = Workspace::with_threads(NonZeroUsize::MIN);
    let start = Instant::now();
    // (the FMA loop's GFLOP/s, the median of the five calls after it in ms)
    let mut slots: Vec<(f64, f64)> = Vec::new();
    let mut calls: Vec<f64> = Vec::new();
    while start.elapsed().as_secs_f64() < seconds {
        let Some(rate) = compare::fma::gflops_256(PROBE_ROUNDS) else {
            println!("the probe needs AVX2 and FMA");
            return;
        };
        let mut five: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                net.gradients_in(&x, &y, &mut ws).expect("the gradients");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        calls.extend(&five);
        five.sort_by(f64::total_cmp);
        slots.push((rate, five[2]));
    }
    calls.sort_by(f64::total_cmp);
    let at = |q: f64| calls[((calls.len() - 1) as f64 * q) as usize];
    println!(
        "D1, 1 thread, {} calls: p10 {:.2}, p25 {:.2}, p50 {:.2}, p75 {:.2}, p90 {:.2} ms",
        calls.len(),
        at(0.1),
        at(0.25),
        at(0.5),
        at(0.75),
        at(0.9)
    );
    let mean = |v: &[(f64, f64)]| {
        let k = v.len().max(1) as f64;
        (
            v.iter().map(|s| s.0).sum::<f64>() / k,
            v.iter().map(|s| s.1).sum::<f64>() / k,
        )
    };
    let (fast, slow): (Vec<_>, Vec<_>) = slots.iter().partition(|s| s.1 < slow_ms);
    for (label, part) in [("fast", &fast), ("slow", &slow)] {
        let (rate, ms) = mean(part);
        println!(
            "{label} slots (median call {} {slow_ms} ms): {} of {}, FMA loop {rate:.1} GFLOP/s, D1 {ms:.2} ms",
            if label == "fast" { "<" } else { "≥" },
            part.len(),
            slots.len()
        );
    }
    let (mean_rate, mean_ms) = mean(&slots);
    let (mut cov, mut var_rate, mut var_ms) = (0.0, 0.0, 0.0);
    for &(rate, ms) in &slots {
        cov += (rate - mean_rate) * (ms - mean_ms);
        var_rate += (rate - mean_rate).powi(2);
        var_ms += (ms - mean_ms).powi(2);
    }
    println!(
        "correlation of the FMA loop's rate with D1's time: {:.2}",
        cov / (var_rate * var_ms).sqrt()
    );
}
