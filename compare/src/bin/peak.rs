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
mod fma {
    use std::arch::x86_64::{
        __m256d, __m512d, _mm256_add_pd, _mm256_cvtsd_f64, _mm256_fmadd_pd, _mm256_set1_pd,
        _mm512_add_pd, _mm512_cvtsd_f64, _mm512_fmadd_pd, _mm512_set1_pd,
    };
    use std::hint::black_box;

    /// Independent accumulators.
    pub const CHAINS: u64 = 12;

    /// A function of `rounds` × [`CHAINS`] FMAs in one register width;
    /// it returns a sum of the chains so that none is optimised away.
    macro_rules! chains {
        ($name:ident, $features:literal, $v:ty, $set1:ident, $fmadd:ident, $add:ident, $low:ident) => {
            #[target_feature(enable = $features)]
            pub fn $name(rounds: u64) -> f64 {
                let a = $set1(black_box(0.999_999));
                let b = $set1(black_box(1e-9));
                let mut acc: [$v; CHAINS as usize] = [$set1(0.0); CHAINS as usize];
                for _ in 0..rounds {
                    for c in &mut acc {
                        *c = $fmadd(*c, a, b);
                    }
                }
                $low(acc.into_iter().fold($set1(0.0), |s, c| $add(s, c)))
            }
        };
    }

    chains!(
        chains_512,
        "avx512f",
        __m512d,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_add_pd,
        _mm512_cvtsd_f64
    );
    chains!(
        chains_256,
        "avx2,fma",
        __m256d,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_add_pd,
        _mm256_cvtsd_f64
    );
}

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
                let flops = (2 * lanes * fma::CHAINS * ROUNDS) as f64;
                flops / start.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max)
    };
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F, checked on the line above.
        let gflops = best(8, &|| unsafe { fma::chains_512(ROUNDS) });
        println!("512-bit FMA: {gflops:.1} GFLOP/s");
    }
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked on the line above.
        let gflops = best(4, &|| unsafe { fma::chains_256(ROUNDS) });
        println!("256-bit FMA: {gflops:.1} GFLOP/s");
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("the peak probe measures x86-64 FMA units only");
}
