//! Run-time choice of the instruction set: the crate's only `unsafe` code.
//!
//! Hot code is written once, generic over an [`Isa`] (which fixes the
//! micro-kernel's shape and whether multiply-adds are fused), and wrapped in
//! a [`Routine`]. [`dispatch`] runs a routine inside a function marked
//! `#[target_feature]`, where everything it inlines may use AVX-512 or AVX2
//! and FMA instructions. Calling such a function is `unsafe`: it is sound
//! only on a CPU that has the features, which `dispatch` checks with
//! `is_x86_feature_detected!` immediately before each call.

#![allow(unsafe_code)]

use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
use super::tuning::{self, NARROW, PREFETCH_STEPS, SHORT_K};
use super::{APanel, BPanel, TileOut};
use super::{Finish, Problem, product, tile_portable};

/// An instruction set the crate's kernels can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The target's baseline (SSE2 on x86-64), always available.
    Portable,
    /// AVX2 with fused multiply-add, 4 doubles per register.
    Avx2Fma,
    /// AVX-512F with its 256-bit forms (VL), 8 doubles per register.
    Avx512,
}

impl Path {
    /// The path every computation takes, chosen once: the fastest this CPU
    /// supports, or the one the environment variable `BACKPROP_ISA` names
    /// (see [`Path::from_env`]).
    pub(crate) fn best() -> Path {
        static BEST: OnceLock<Path> = OnceLock::new();
        *BEST.get_or_init(|| {
            let fastest = *Path::available().last().unwrap_or(&Path::Portable);
            Path::from_env(std::env::var("BACKPROP_ISA").ok().as_deref(), fastest)
        })
    }

    /// The path `BACKPROP_ISA` asks for: `portable`, `avx2` or `avx512`,
    /// as `OPENBLAS_CORETYPE` names a kernel. A path this CPU lacks, or
    /// another value, gives `fastest`.
    fn from_env(value: Option<&str>, fastest: Path) -> Path {
        let asked = match value {
            Some("portable") => Path::Portable,
            Some("avx2") => Path::Avx2Fma,
            Some("avx512") => Path::Avx512,
            _ => return fastest,
        };
        if asked.supported() { asked } else { fastest }
    }

    pub(crate) fn available() -> Vec<Path> {
        [Path::Portable, Path::Avx2Fma, Path::Avx512]
            .into_iter()
            .filter(|p| p.supported())
            .collect()
    }

    fn supported(self) -> bool {
        match self {
            Path::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2Fma => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// What generic code needs to know of the instruction set it is compiled
/// for: how to run the matrix product.
///
/// A value of an `Isa` type is proof that the CPU has its features: only
/// [`Portable`] can be made anywhere; the others are made only here, by
/// [`dispatch`] after its feature check, and handed to the routine.
pub(crate) trait Isa: Copy {
    /// Whether multiply-adds are fused (rounded once) on this path.
    const FMA: bool;

    /// a·b + c, rounded once when [`FMA`](Isa::FMA).
    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        if Self::FMA {
            crate::exp::madd::<true>(a, b, c)
        } else {
            crate::exp::madd::<false>(a, b, c)
        }
    }
    /// c ← a·b, handing each finished part of c to `finish`.
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    );
}

/// The baseline: a 4 × 4 tile, separate multiply and add.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;
/// AVX2 + FMA: a 6 × 8 tile, 12 of the 16 ymm registers.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Fma(());
/// AVX-512: an 8 × 16 tile, 16 of the 32 zmm registers (8 × 12 for c at
/// most 12 columns wide, and up to 12 × 16 for c of 9 to 12 rows).
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Isa for Portable {
    const FMA: bool = false;
    #[inline(always)]
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    ) {
        product::<4, 4, false>(
            p,
            tuning::PORTABLE,
            c,
            scratch,
            tile_portable::<4, 4, false>,
            finish,
        )
    }
}

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2Fma {
    const FMA: bool = true;
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

#[cfg(target_arch = "x86_64")]
impl Isa for Avx512 {
    const FMA: bool = true;
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

#[cfg(target_arch = "x86_64")]
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

/// A routine of hot code, generic over the instruction set. `run` must be
/// `#[inline(always)]` so that it is compiled inside the `#[target_feature]`
/// function that calls it.
pub(crate) trait Routine {
    type Output;
    fn run<I: Isa>(self, isa: I) -> Self::Output;
}

/// Runs `routine` compiled for `path`, or for the portable path when this
/// CPU lacks `path`'s features.
pub(crate) fn dispatch<R: Routine>(path: Path, routine: R) -> R::Output {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 if path.supported() => {
            // SAFETY: this CPU has AVX-512F, AVX-512VL and FMA, checked just
            // above.
            unsafe { with_avx512(routine) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma if path.supported() => {
            // SAFETY: this CPU has AVX2 and FMA, checked just above.
            unsafe { with_avx2_fma(routine) }
        }
        _ => routine.run(Portable),
    }
}

/// Runs `routine` compiled for AVX-512.
///
/// # Safety
///
/// The CPU must support AVX-512F, AVX-512VL and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,fma")]
unsafe fn with_avx512<R: Routine>(routine: R) -> R::Output {
    routine.run(Avx512(()))
}

/// Runs `routine` compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2_fma<R: Routine>(routine: R) -> R::Output {
    routine.run(Avx2Fma(()))
}

/// Panics unless the panels hold `steps` steps of an `mr` × `nr` tile: a's
/// `mr` values at i·rs + p·cs and b's `nr` values from p·rs, for every
/// p < steps. The micro-kernels' unchecked reads rely on it.
#[cfg(target_arch = "x86_64")]
fn assert_panels_hold(a: &APanel<'_>, b: &BPanel<'_>, steps: usize, mr: usize, nr: usize) {
    if steps > 0 {
        assert!(
            (mr - 1) * a.rs + (steps - 1) * a.cs < a.data.len()
                && (steps - 1) * b.rs + nr <= b.data.len(),
            "the panels hold {steps} steps"
        );
    }
}

/// How many of a tile's first steps ask for the lines `PREFETCH_STEPS`
/// ahead: none for a product whose panels are short (at most `SHORT_K`
/// steps: they stay in L1, and the requests would only cost), and none
/// for the last steps, whose lines ahead are past the panel.
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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
#[cfg(target_arch = "x86_64")]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Activate, Activation, sigmoid_with_prime};

    /// Each path's activation equals, bit for bit, the scalar code with the
    /// same kind of multiply-add (the scalar form through `f64::mul_add`,
    /// which rounds once wherever it runs).
    #[test]
    fn every_activation_path_equals_the_scalar_functions() {
        let z: Vec<f64> = (-20_000..=20_000).map(|k| f64::from(k) * 0.0371).collect();
        for path in Path::available() {
            let mut a = z.clone();
            let mut fp = vec![0.0; z.len()];
            assert!(dispatch(
                path,
                Activate::with_derivative(Activation::Sigmoid, &mut a, &mut fp)
            ));
            let scalar = if path == Path::Portable {
                sigmoid_with_prime::<false>
            } else {
                sigmoid_with_prime::<true>
            };
            for (&z, (a, fp)) in z.iter().zip(a.iter().zip(&fp)) {
                let (f, f_prime) = scalar(z);
                assert_eq!(a.to_bits(), f.to_bits(), "{path:?}: f({z})");
                assert_eq!(fp.to_bits(), f_prime.to_bits(), "{path:?}: f′({z})");
            }
            let mut bad = [0.5, f64::NAN, 1.0];
            assert!(
                !dispatch(
                    path,
                    Activate::with_derivative(Activation::Sigmoid, &mut bad, &mut [0.0; 3])
                ),
                "{path:?}"
            );
        }
    }

    #[test]
    fn backprop_isa_picks_a_path_this_cpu_has() {
        let fastest = *Path::available().last().unwrap();
        assert_eq!(Path::from_env(None, fastest), fastest);
        assert_eq!(Path::from_env(Some("sse9"), fastest), fastest);
        assert_eq!(Path::from_env(Some("portable"), fastest), Path::Portable);
        for (name, path) in [("avx2", Path::Avx2Fma), ("avx512", Path::Avx512)] {
            let want = if path.supported() { path } else { fastest };
            assert_eq!(Path::from_env(Some(name), fastest), want);
        }
    }

    #[test]
    fn the_portable_path_is_always_there() {
        assert_eq!(Path::available()[0], Path::Portable);
        assert!(Path::available().contains(&Path::best()));
    }
}
