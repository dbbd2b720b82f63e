//! One core's f64 fused multiply-add peak, the figure BENCHMARKS.md
//! divides by for "fraction of a core's peak" (`PEAK_GFLOPS` for
//! `compare/report.py`).
//!
//! `cargo run --release -p compare --bin peak` runs twelve independent
//! chains of FMAs (more than the FMA latency times the pipes, so that one
//! can issue every cycle) in 512-bit and in 256-bit registers, five times
//! each, and prints the best of each: a core's peak is its fastest
//! sustained rate, and a shared machine only ever slows it down.

#[cfg(target_arch = "x86_64")]
fn main() {
    use std::time::Instant;

    const ROUNDS: u64 = 50_000_000;
    // GFLOP/s of the fastest of five runs: 2 FLOPs per lane per FMA.
    let best = |lanes: u64, run: &dyn Fn() -> f64| {
        (0..5)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(run());
                let flops = (2 * lanes * compare::fma::CHAINS * ROUNDS) as f64;
                flops / start.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max)
    };
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F, checked on the line above.
        let gflops = best(8, &|| unsafe { compare::fma::chains_512(ROUNDS) });
        println!("512-bit FMA: {gflops:.1} GFLOP/s");
    }
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked on the line above.
        let gflops = best(4, &|| unsafe { compare::fma::chains_256(ROUNDS) });
        println!("256-bit FMA: {gflops:.1} GFLOP/s");
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("the peak probe measures x86-64 FMA units only");
}
