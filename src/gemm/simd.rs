//! Run-time choice of the instruction set: the crate's only `unsafe` code.
//!
//! Hot code is written once, generic over an [`Isa`] (which fixes the
//! micro-kernel's shape and whether multiply-adds are fused), and wrapped in
//! a [`Kernel`]. [`dispatch`] runs a kernel inside a function marked
//! `#[target_feature]`, where everything it inlines may use AVX-512 or AVX2
//! and FMA instructions. Calling such a function is `unsafe`: it is sound
//! only on a CPU that has the features, which `dispatch` checks with
//! `is_x86_feature_detected!` immediately before each call.

#![allow(unsafe_code)]

use std::sync::OnceLock;

use super::{Problem, product};

/// An instruction set the crate's kernels can run on.
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

/// What generic code needs to know of the instruction set it is compiled
/// for: how to run the matrix product.
pub(crate) trait Isa {
    /// Accumulates a·b into c.
    fn product(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>);
}

/// The baseline: a 4 × 4 tile, separate multiply and add.
pub(crate) struct Portable;
/// AVX2 + FMA: a 6 × 8 tile, 12 of the 16 ymm registers.
pub(crate) struct Avx2Fma;
/// AVX-512: an 8 × 16 tile, 16 of the 32 zmm registers.
pub(crate) struct Avx512;

impl Isa for Portable {
    #[inline(always)]
    fn product(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
        product::<4, 4, false>(p, c, scratch)
    }
}

impl Isa for Avx2Fma {
    #[inline(always)]
    fn product(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
        product::<6, 8, true>(p, c, scratch)
    }
}

impl Isa for Avx512 {
    #[inline(always)]
    fn product(p: Problem<'_>, c: &mut [f64], scratch: &mut Vec<f64>) {
        product::<8, 16, true>(p, c, scratch)
    }
}

/// A piece of hot code, generic over the instruction set. `run` must be
/// `#[inline(always)]` so that it is compiled inside the `#[target_feature]`
/// function that calls it.
pub(crate) trait Kernel {
    type Output;
    fn run<I: Isa>(self) -> Self::Output;
}

/// Runs `kernel` compiled for `path`, or for the portable path when this
/// CPU lacks `path`'s features.
pub(crate) fn dispatch<K: Kernel>(path: Path, kernel: K) -> K::Output {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 if path.supported() => {
            // SAFETY: this CPU has AVX-512F and FMA, checked just above.
            unsafe { with_avx512(kernel) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma if path.supported() => {
            // SAFETY: this CPU has AVX2 and FMA, checked just above.
            unsafe { with_avx2_fma(kernel) }
        }
        _ => kernel.run::<Portable>(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn with_avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Avx512>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2_fma<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Avx2Fma>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sigmoid, sigmoid_prime};

    struct Activate<'a>(&'a mut [f64], &'a mut [f64]);

    impl Kernel for Activate<'_> {
        type Output = bool;
        #[inline(always)]
        fn run<I: Isa>(self) -> bool {
            crate::activation::activate(self.0, self.1)
        }
    }

    /// Each path's activation equals the scalar functions bit for bit: the
    /// code has no operation whose rounding depends on the instruction set.
    #[test]
    fn every_activation_path_equals_the_scalar_functions() {
        let z: Vec<f64> = (-20_000..=20_000).map(|k| f64::from(k) * 0.0371).collect();
        for path in Path::available() {
            let mut a = z.clone();
            let mut fp = vec![0.0; z.len()];
            assert!(dispatch(path, Activate(&mut a, &mut fp)));
            for (&z, (a, fp)) in z.iter().zip(a.iter().zip(&fp)) {
                assert_eq!(a.to_bits(), sigmoid(z).to_bits(), "{path:?}: f({z})");
                assert_eq!(
                    fp.to_bits(),
                    sigmoid_prime(z).to_bits(),
                    "{path:?}: f′({z})"
                );
            }
            let mut bad = [0.5, f64::NAN, 1.0];
            assert!(
                !dispatch(path, Activate(&mut bad, &mut [0.0; 3])),
                "{path:?}"
            );
        }
    }

    #[test]
    fn the_portable_path_is_always_there() {
        assert_eq!(Path::available()[0], Path::Portable);
        assert!(Path::available().contains(&Path::best()));
    }
}
