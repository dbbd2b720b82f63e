//! The instruction-set dispatch, and each instruction set's kernels: the
//! crate's only `unsafe` code.
//!
//! Hot code is written once, generic over an [`Isa`] (which fixes the
//! micro-kernel's shape and whether multiply-adds are fused), and wrapped in
//! a [`Routine`]. [`dispatch`] runs a routine inside a function marked
//! `#[target_feature]`, where everything it inlines may use AVX-512 or AVX2
//! and FMA instructions. Calling such a function is `unsafe`: it is sound
//! only on a CPU that has the features, which `dispatch` checks with
//! `is_x86_feature_detected!` immediately before each call.
//!
//! Each instruction set has a file, as memchr's `arch/` does: its marker
//! type, the [`Kernels`] it gives the blocked product of [`gemm`](crate::gemm),
//! and its micro-kernels, written with intrinsics:
//!
//! - [`portable`]: the target's baseline, a generic 4 × 4 tile;
//! - [`avx2`]: AVX2 and FMA, a 6 × 8 tile;
//! - [`avx512`]: AVX-512, an 8 × 16 tile and its short and narrow forms.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod portable;

use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
use crate::gemm::{APanel, BPanel};
use crate::gemm::{Kernels, Layout, View, gemm};
#[cfg(target_arch = "x86_64")]
pub(crate) use avx2::Avx2Fma;
#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::Avx512;
pub(crate) use portable::Portable;

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
/// for: how to run the matrix product ([`Kernels`]) and whether its
/// multiply-adds are fused.
///
/// A value of an `Isa` type is proof that the CPU has its features: only
/// [`Portable`] can be made anywhere; the others are made only here, by
/// [`dispatch`] after its feature check, and handed to the routine.
pub(crate) trait Isa: Kernels {
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

/// One product as a [`Routine`], for callers outside any other routine.
pub(crate) struct Product<'a> {
    pub dims: (usize, usize, usize),
    pub a: View<'a>,
    pub b: View<'a>,
    /// c += a·b rather than c ← a·b.
    pub add: bool,
    pub c: &'a mut [f64],
    pub scratch: &'a mut Vec<f64>,
}

impl Routine for Product<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        let Product {
            dims,
            a,
            b,
            add,
            c,
            scratch,
        } = self;
        gemm(isa, dims, a, b, add, c, scratch, &mut ())
    }
}

/// c ← a·b by `path`, with a fresh scratch.
fn product_on(path: Path, dims: (usize, usize, usize), a: View<'_>, b: View<'_>, c: &mut [f64]) {
    let scratch = &mut Vec::new();
    dispatch(
        path,
        Product {
            dims,
            a,
            b,
            add: false,
            c,
            scratch,
        },
    );
}

/// The products behind [`Matrix::dot`](crate::Matrix::dot),
/// [`Matrix::tr_dot`](crate::Matrix::tr_dot) and
/// [`Matrix::dot_tr`](crate::Matrix::dot_tr), by the fastest path.
pub(crate) fn matrix_product(
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
) {
    let (a, b) = layout.views(dims, a, b);
    product_on(Path::best(), dims, a, b, c);
}

#[cfg(test)]
mod tests;
