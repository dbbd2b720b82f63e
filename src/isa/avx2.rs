//! AVX2 with FMA: a 6 × 8 tile of c in 12 of the 16 ymm registers.

use super::{Isa, assert_panels_hold};
use crate::gemm::{APanel, BPanel, Finish, Kernels, Problem, TileOut, product, tuning};

/// AVX2 + FMA: a 6 × 8 tile, 12 of the 16 ymm registers. Made only by
/// [`dispatch`](super::dispatch), after its feature check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Fma(pub(super) ());

impl Isa for Avx2Fma {
    const FMA: bool = true;
}

impl Kernels for Avx2Fma {
    #[inline(always)]
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    ) {
        // SAFETY: an `Avx2Fma` value exists only after `dispatch` checked for
        // AVX2 and FMA.
        let tile = |a: APanel<'_>, b: BPanel<'_>, steps, out: TileOut<'_>| unsafe {
            tile_avx2_fma(a, b, steps, out)
        };
        product::<6, 8, true>(p, tuning::AVX2, c, scratch, tile, finish)
    }
}

/// The AVX2 micro-kernel: a 6 × 8 tile of c in 12 ymm registers, per step
/// two loads of b, six broadcasts of a and twelve fused multiply-adds.
/// Unlike the AVX-512 kernels it asks for no lines ahead: at the AVX2
/// blocks both panels stay in L1, and the requests only slowed it
/// (BENCHMARKS.md, "On AVX2"). It asks for c's rows
/// before its loop, so that they arrive while the tile is computed.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn tile_avx2_fma(a: APanel<'_>, b: BPanel<'_>, steps: usize, out: TileOut<'_>) {
    use std::arch::x86_64::{
        _MM_HINT_T0, _mm_prefetch, _mm256_add_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd,
        _mm256_setzero_pd, _mm256_storeu_pd,
    };
    let mut acc = [_mm256_setzero_pd(); 12];
    for r in 0..out.rows {
        _mm_prefetch::<_MM_HINT_T0>(out.c[r * out.ldc..].as_ptr().cast());
    }
    assert_panels_hold(&a, &b, steps, 6, 8);
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.data.as_ptr());
    for p in 0..steps {
        // SAFETY: p < steps, so by the assertion above b's 8 values at
        // p·rs and a's 6 values at i·rs + p·cs (i < 6) are in bounds.
        unsafe {
            let b_p = b_ptr.add(p * b.rs);
            let (b0, b1) = (_mm256_loadu_pd(b_p), _mm256_loadu_pd(b_p.add(4)));
            let a_p = a_ptr.add(p * a.cs);
            for i in 0..6 {
                let a_i = _mm256_set1_pd(*a_p.add(i * a.rs));
                acc[2 * i] = _mm256_fmadd_pd(a_i, b0, acc[2 * i]);
                acc[2 * i + 1] = _mm256_fmadd_pd(a_i, b1, acc[2 * i + 1]);
            }
        }
    }
    let mut edge = [[0.0; 8]; 6];
    for (r, acc) in acc.chunks_exact(2).enumerate().take(out.rows) {
        // A full row of c, or else the row of the edge buffer.
        let full = out.cols == 8;
        let row = if full {
            &mut out.c[r * out.ldc..r * out.ldc + 8]
        } else {
            &mut edge[r][..]
        };
        // SAFETY: `row` holds 8 values, so both 4-value loads and stores
        // are in bounds.
        unsafe {
            let (mut lo, mut hi) = (acc[0], acc[1]);
            if out.accumulate && full {
                lo = _mm256_add_pd(lo, _mm256_loadu_pd(row.as_ptr()));
                hi = _mm256_add_pd(hi, _mm256_loadu_pd(row.as_ptr().add(4)));
            }
            _mm256_storeu_pd(row.as_mut_ptr(), lo);
            _mm256_storeu_pd(row.as_mut_ptr().add(4), hi);
        }
    }
    if out.cols < 8 {
        out.write_rows(&edge);
    }
}
