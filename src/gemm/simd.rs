//! Run-time choice of the instruction set for the micro-kernel: the crate's
//! only `unsafe` code.
//!
//! The blocked product is one safe generic body. Here it is compiled again
//! inside functions marked `#[target_feature]`, so that the compiler may
//! use AVX-512 or AVX2 and FMA instructions in them. Calling such a
//! function is `unsafe`: it is sound only on a CPU that has the features,
//! which [`run`] checks with `is_x86_feature_detected!` immediately before
//! each call.

#![allow(unsafe_code)]

use std::sync::OnceLock;

use super::{Problem, blocked};

/// An instruction set the product can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The target's baseline (SSE2 on x86-64), always available.
    Portable,
    /// AVX2 with fused multiply-add, 4 doubles per register.
    Avx2Fma,
    /// AVX-512F, 8 doubles per register.
    Avx512,
}

impl Path {
    /// The fastest path this CPU supports, detected once.
    pub(crate) fn best() -> Path {
        static BEST: OnceLock<Path> = OnceLock::new();
        *BEST.get_or_init(|| *Path::available().last().unwrap_or(&Path::Portable))
    }

    /// Every path this CPU supports, slowest first.
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
            Path::Avx512 => is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// Accumulates a·b into c by `path`, or by the portable path when this CPU
/// lacks `path`'s features.
pub(super) fn run(path: Path, p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 if path.supported() => {
            // SAFETY: this CPU has AVX-512F and FMA, checked just above.
            unsafe { avx512(p, c, scratch) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma if path.supported() => {
            // SAFETY: this CPU has AVX2 and FMA, checked just above.
            unsafe { avx2_fma(p, c, scratch) }
        }
        _ => blocked::<4, 4, false>(p, c, scratch),
    }
}

/// 8 × 16 tile: 16 of the 32 zmm registers hold c.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn avx512(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
    blocked::<8, 16, true>(p, c, scratch)
}

/// 6 × 8 tile: 12 of the 16 ymm registers hold c.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_fma(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
    blocked::<6, 8, true>(p, c, scratch)
}
