//! AVX-512: an 8 × 16 tile of c in 16 of the 32 zmm registers, and its
//! forms for short and narrow c.

use super::{Isa, assert_panels_hold};
use crate::gemm::tuning::{self, NARROW, PREFETCH_STEPS, SHORT_K};
use crate::gemm::{APanel, BPanel, Finish, Kernels, Problem, TileOut, product};

/// AVX-512: an 8 × 16 tile, 16 of the 32 zmm registers (8 × 12 for c at
/// most 12 columns wide, and up to 12 × 16 for c of 9 to 12 rows). Made
/// only by [`dispatch`](super::dispatch), after its feature check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(pub(super) ());

impl Isa for Avx512 {
    const FMA: bool = true;
}

impl Kernels for Avx512 {
    #[inline(always)]
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    ) {
        // Only long panels ask for their lines ahead (`prefetched_steps`);
        // short ones run kernels without that code.
        let long = p.k > SHORT_K;
        if (9..=NARROW).contains(&p.m) && p.n > NARROW {
            // A short c (the output layer's few units as rows) in one tile
            // height, so that each panel of b is read once.
            product::<12, 16, true>(
                p,
                tuning::AVX512,
                c,
                scratch,
                self.rows_tile::<12, 2>(long),
                finish,
            )
        } else if p.n <= 8 {
            // c one register wide.
            product::<8, 8, true>(
                p,
                tuning::AVX512,
                c,
                scratch,
                self.rows_tile::<8, 1>(long),
                finish,
            )
        } else if p.n <= NARROW {
            // A narrow c (the output layer's few units) would leave most of
            // a 16-wide tile's second register idle: 8 + 4 lanes waste less.
            product::<8, 12, true>(
                p,
                tuning::AVX512,
                c,
                scratch,
                self.narrow_tile(long),
                finish,
            )
        } else {
            product::<8, 16, true>(
                p,
                tuning::AVX512,
                c,
                scratch,
                self.rows_tile::<8, 2>(long),
                finish,
            )
        }
    }
}

impl Avx512 {
    /// [`tile_avx512_rows`] for panels of `MR` rows and `VECS` registers of
    /// c, asking for lines ahead when `long`.
    #[inline(always)]
    fn rows_tile<const MR: usize, const VECS: usize>(
        self,
        long: bool,
    ) -> impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>) {
        move |a, b, steps, out| {
            // SAFETY: `self`, an `Avx512` value, exists only after
            // `dispatch` checked for AVX-512F, AVX-512VL and FMA.
            unsafe {
                if long {
                    tile_avx512_rows::<MR, VECS, true>(a, b, steps, out)
                } else {
                    tile_avx512_rows::<MR, VECS, false>(a, b, steps, out)
                }
            }
        }
    }

    /// [`tile_avx512_narrow`], asking for lines ahead when `long`.
    #[inline(always)]
    fn narrow_tile(self, long: bool) -> impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>) {
        move |a, b, steps, out| {
            // SAFETY: `self`, an `Avx512` value, exists only after
            // `dispatch` checked for AVX-512F, AVX-512VL and FMA.
            unsafe {
                if long {
                    tile_avx512_narrow::<true>(a, b, steps, out)
                } else {
                    tile_avx512_narrow::<false>(a, b, steps, out)
                }
            }
        }
    }
}

/// How many of a tile's first steps ask for the lines `PREFETCH_STEPS`
/// ahead: none for a product whose panels are short (at most `SHORT_K`
/// steps: they stay in L1, and the requests would only cost), and none
/// for the last steps, whose lines ahead are past the panel.
#[inline(always)]
fn prefetched_steps<const PREFETCH: bool>(steps: usize) -> usize {
    if PREFETCH && steps > SHORT_K {
        steps - PREFETCH_STEPS
    } else {
        0
    }
}

/// The AVX-512 micro-kernel, written with intrinsics: a `ROWS` × 8·`VECS`
/// tile of c in `ROWS`·`VECS` zmm registers, per step `VECS` loads of b,
/// `ROWS` broadcasts of a and `ROWS`·`VECS` fused multiply-adds. The tile
/// is 8 × 16 for most products; `ROWS` is fewer for the last rows of c, so
/// that a tile's cost follows the rows it holds, or 9 to 12 for a c that
/// short, held whole so that each panel of b is read once; `VECS` is 1
/// for c at most 8 columns wide. (The generic `portable::tile` compiles to
/// this in some contexts and, in others, to code that keeps the tile in
/// memory or gathers across steps; written out, the code cannot drift.)
/// With `PREFETCH`, a step also asks for the lines of b and a
/// [`PREFETCH_STEPS`] steps ahead.
///
/// # Safety
///
/// The CPU must support AVX-512F, AVX-512VL and FMA.
#[target_feature(enable = "avx512f,avx512vl,fma")]
#[inline(never)]
unsafe fn tile_avx512<const ROWS: usize, const VECS: usize, const PREFETCH: bool>(
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
    out: TileOut<'_>,
) {
    use std::arch::x86_64::{
        __m512d, _MM_HINT_T0, _mm_prefetch, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_set1_pd,
        _mm512_setzero_pd,
    };
    assert!(
        out.rows <= ROWS,
        "a tile of {ROWS} rows for {} rows",
        out.rows
    );
    let width = 8 * VECS;
    let mut acc = [[_mm512_setzero_pd(); VECS]; ROWS];
    // Ask for the rows of c now, so they arrive while the tile is computed.
    for r in 0..out.rows {
        let row = &out.c[r * out.ldc..];
        for v in 0..VECS {
            _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().wrapping_add(8 * v).cast());
        }
    }
    assert_panels_hold(&a, &b, steps, ROWS, width);
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.data.as_ptr());
    // One step: `VECS` loads of b, `ROWS` broadcasts of a and their
    // multiply-adds into the tile.
    let step = |p: usize, acc: &mut [[__m512d; VECS]; ROWS]| {
        // SAFETY: called only with p < steps, so by the assertion above b's
        // 8·VECS values at p·rs and a's `ROWS` values at i·rs + p·cs
        // (i < ROWS) are in bounds.
        unsafe {
            let b_p = b_ptr.add(p * b.rs);
            let b_v: [_; VECS] = std::array::from_fn(|v| _mm512_loadu_pd(b_p.add(8 * v)));
            let a_p = a_ptr.add(p * a.cs);
            for (i, acc) in acc.iter_mut().enumerate() {
                let a_i = _mm512_set1_pd(*a_p.add(i * a.rs));
                for (acc, &b) in acc.iter_mut().zip(&b_v) {
                    *acc = _mm512_fmadd_pd(a_i, b, *acc);
                }
            }
        }
    };
    let early = prefetched_steps::<PREFETCH>(steps);
    for p in 0..early {
        let ahead = p + PREFETCH_STEPS;
        for v in 0..VECS {
            _mm_prefetch::<_MM_HINT_T0>(b_ptr.wrapping_add(ahead * b.rs + 8 * v).cast());
        }
        _mm_prefetch::<_MM_HINT_T0>(a_ptr.wrapping_add(ahead * a.cs).cast());
        step(p, &mut acc);
    }
    for p in early..steps {
        step(p, &mut acc);
    }
    // SAFETY: this kernel runs only where the features are.
    unsafe { store_avx512(&acc, out) };
}

/// Writes the `ROWS` × 8·`VECS` tile in `acc` to the part of it that is
/// c's, added to c where `out.accumulate` says so: whole rows, or for an
/// edge tile the first `out.cols` lanes of each.
///
/// # Safety
///
/// The CPU must support AVX-512F and AVX-512VL. (Not marked with the
/// features, which would keep it from being inlined, and the tile from
/// staying in the kernel's registers: inlined, it runs with the kernel's.)
#[inline(always)]
unsafe fn store_avx512<const ROWS: usize, const VECS: usize>(
    acc: &[[std::arch::x86_64::__m512d; VECS]; ROWS],
    out: TileOut<'_>,
) {
    use std::arch::x86_64::{
        _mm512_add_pd, _mm512_loadu_pd, _mm512_mask_storeu_pd, _mm512_maskz_loadu_pd,
        _mm512_storeu_pd,
    };
    let width = 8 * VECS;
    if out.cols == width {
        for (r, acc) in acc.iter().enumerate().take(out.rows) {
            let row = &mut out.c[r * out.ldc..r * out.ldc + width];
            for (v, &acc) in acc.iter().enumerate() {
                // SAFETY: `row` holds 8·VECS values, so the 8 from 8·v are
                // in bounds.
                unsafe {
                    let at = row.as_mut_ptr().add(8 * v);
                    let mut sum = acc;
                    if out.accumulate {
                        sum = _mm512_add_pd(sum, _mm512_loadu_pd(at));
                    }
                    _mm512_storeu_pd(at, sum);
                }
            }
        }
    } else {
        // An edge tile: only the first `cols` lanes of each row are c's.
        let cols = out.cols;
        let lanes = |n: usize| -> u8 { ((1u16 << n.min(8)) - 1) as u8 };
        for (r, acc) in acc.iter().enumerate().take(out.rows) {
            let row = &mut out.c[r * out.ldc..r * out.ldc + cols];
            for (v, &acc) in acc.iter().enumerate().take(cols.div_ceil(8)) {
                let part = &mut row[8 * v..];
                let mask = lanes(part.len());
                // SAFETY: the mask enables only the lanes below
                // `part.len()`, so the masked load and store touch only
                // `part`.
                unsafe {
                    let mut sum = acc;
                    if out.accumulate {
                        sum = _mm512_add_pd(sum, _mm512_maskz_loadu_pd(mask, part.as_ptr()));
                    }
                    _mm512_mask_storeu_pd(part.as_mut_ptr(), mask, sum);
                }
            }
        }
    }
}

/// [`tile_avx512`] for a panel of at most `MR` rows. With `MR` = 8, a tile
/// of 8 rows or, for c's last rows, fewer (2, 4 or 7), so that their cost
/// follows their number; with `MR` = 12, a c of 9 to 12 rows held whole in
/// one tile.
///
/// # Safety
///
/// The CPU must support AVX-512F, AVX-512VL and FMA.
#[inline(always)]
unsafe fn tile_avx512_rows<const MR: usize, const VECS: usize, const PREFETCH: bool>(
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
    out: TileOut<'_>,
) {
    // SAFETY: the caller's CPU has the features, as this function requires.
    unsafe {
        if MR == 12 {
            match out.rows {
                ..=9 => tile_avx512::<9, VECS, PREFETCH>(a, b, steps, out),
                10 => tile_avx512::<10, VECS, PREFETCH>(a, b, steps, out),
                11 => tile_avx512::<11, VECS, PREFETCH>(a, b, steps, out),
                _ => tile_avx512::<12, VECS, PREFETCH>(a, b, steps, out),
            }
        } else {
            match out.rows {
                8.. => tile_avx512::<8, VECS, PREFETCH>(a, b, steps, out),
                5.. => tile_avx512::<7, VECS, PREFETCH>(a, b, steps, out),
                3.. => tile_avx512::<4, VECS, PREFETCH>(a, b, steps, out),
                _ => tile_avx512::<2, VECS, PREFETCH>(a, b, steps, out),
            }
        }
    }
}

/// The AVX-512 micro-kernel for c at most 12 columns wide: an 8 × 12 tile
/// in 8 zmm and 8 ymm registers, per step a zmm and a ymm load of b, eight
/// broadcasts of a and sixteen fused multiply-adds that occupy the
/// floating-point units three quarters as long as the 8 × 16 tile's;
/// with `PREFETCH`, asking for lines ahead as [`tile_avx512`] does.
///
/// # Safety
///
/// The CPU must support AVX-512F, AVX-512VL and FMA.
#[target_feature(enable = "avx512f,avx512vl,fma")]
#[inline(never)]
unsafe fn tile_avx512_narrow<const PREFETCH: bool>(
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
    out: TileOut<'_>,
) {
    use std::arch::x86_64::{
        _MM_HINT_T0, _mm_prefetch, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd,
        _mm256_setzero_pd, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_set1_pd, _mm512_setzero_pd,
    };
    let mut lo = [_mm512_setzero_pd(); 8];
    let mut hi = [_mm256_setzero_pd(); 8];
    assert_panels_hold(&a, &b, steps, 8, 12);
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.data.as_ptr());
    let mut step = |p: usize| {
        // SAFETY: called only with p < steps, so by the assertion above b's
        // 12 values at p·rs and a's 8 values at i·rs + p·cs (i < 8) are in
        // bounds.
        unsafe {
            let b_p = b_ptr.add(p * b.rs);
            let (b0, b1) = (_mm512_loadu_pd(b_p), _mm256_loadu_pd(b_p.add(8)));
            let a_p = a_ptr.add(p * a.cs);
            for i in 0..8 {
                let a_i = *a_p.add(i * a.rs);
                lo[i] = _mm512_fmadd_pd(_mm512_set1_pd(a_i), b0, lo[i]);
                hi[i] = _mm256_fmadd_pd(_mm256_set1_pd(a_i), b1, hi[i]);
            }
        }
    };
    let early = prefetched_steps::<PREFETCH>(steps);
    for p in 0..early {
        let ahead = p + PREFETCH_STEPS;
        _mm_prefetch::<_MM_HINT_T0>(b_ptr.wrapping_add(ahead * b.rs).cast());
        _mm_prefetch::<_MM_HINT_T0>(b_ptr.wrapping_add(ahead * b.rs + 8).cast());
        _mm_prefetch::<_MM_HINT_T0>(a_ptr.wrapping_add(ahead * a.cs).cast());
        step(p);
    }
    for p in early..steps {
        step(p);
    }
    // SAFETY: this kernel runs only where the features are.
    unsafe { store_narrow_avx512(lo, hi, out) };
}

/// Writes the 8 × 12 tile held as `lo` (its first 8 columns) and `hi`
/// (the other 4) to the part of it that is c's, added to c where
/// `out.accumulate` says so.
///
/// # Safety
///
/// The CPU must support AVX-512F and AVX-512VL. (Not marked with the
/// features, which would keep it from being inlined, and the tile from
/// staying in the kernel's registers: inlined, it runs with the kernel's.)
#[inline(always)]
unsafe fn store_narrow_avx512(
    lo: [std::arch::x86_64::__m512d; 8],
    hi: [std::arch::x86_64::__m256d; 8],
    out: TileOut<'_>,
) {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_mask_storeu_pd, _mm256_maskz_loadu_pd, _mm512_add_pd,
        _mm512_mask_storeu_pd, _mm512_maskz_loadu_pd,
    };
    // Lanes of each register that belong to c: the first `cols` of 12.
    let cols = out.cols;
    let lanes = |n: usize| -> u8 { ((1u16 << n) - 1) as u8 };
    let (lo_mask, hi_mask) = (lanes(cols.min(8)), lanes(cols.saturating_sub(8)));
    for (r, (lo, hi)) in lo.into_iter().zip(hi).enumerate().take(out.rows) {
        let row = &mut out.c[r * out.ldc..r * out.ldc + cols];
        let at = row.as_mut_ptr();
        // SAFETY: the masks enable only lanes below `cols`: the first 8 from
        // `at` and the rest from `at + 8`, all within `row`.
        unsafe {
            let (mut lo, mut hi) = (lo, hi);
            if out.accumulate {
                lo = _mm512_add_pd(lo, _mm512_maskz_loadu_pd(lo_mask, at));
                hi = _mm256_add_pd(hi, _mm256_maskz_loadu_pd(hi_mask, at.wrapping_add(8)));
            }
            _mm512_mask_storeu_pd(at, lo_mask, lo);
            _mm256_mask_storeu_pd(at.wrapping_add(8), hi_mask, hi);
        }
    }
}
