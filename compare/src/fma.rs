//! Twelve independent chains of fused multiply-adds in one register
//! width: more than the FMA latency times the pipes, so that one can issue
//! every cycle. What `peak` measures a core's FMA peak with, and what
//! `spells` runs between its calls to see whether the core is shared.

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
        /// `rounds` × [`CHAINS`] FMAs in this register width.
        ///
        /// # Safety
        ///
        /// The CPU must have the target features the function enables.
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

/// GFLOP/s of `rounds` × [`CHAINS`] 256-bit FMAs, timed once; `None`
/// without AVX2 and FMA.
pub fn gflops_256(rounds: u64) -> Option<f64> {
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        return None;
    }
    let start = std::time::Instant::now();
    // SAFETY: the CPU has AVX2 and FMA, checked above.
    black_box(unsafe { chains_256(rounds) });
    Some((2 * 4 * CHAINS * rounds) as f64 / start.elapsed().as_secs_f64() / 1e9)
}
