//! The baseline path: the generic 4 × 4 tile of [`gemm`](crate::gemm),
//! separate multiply and add, on every target.

use super::Isa;
use crate::gemm::{Finish, Kernels, Problem, product, tile_portable, tuning};

/// The baseline: a 4 × 4 tile, separate multiply and add.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;

impl Isa for Portable {
    const FMA: bool = false;
}

impl Kernels for Portable {
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

    #[inline(always)]
    fn b_panels(self) -> Option<(usize, tuning::Blocking)> {
        Some((4, tuning::PORTABLE))
    }
}
