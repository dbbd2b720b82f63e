//! The portable micro-kernel: an MR × NR tile of c held in registers while KC
//! rank-1 updates stream through it from the panels.

use super::{APanel, BPanel};

/// Σ over p < `steps` of (column p of the a panel) ⊗ (row p of the b
/// panel).
///
/// Each row of the tile is an array updated by value, which the compiler
/// keeps in vector registers when this is inlined into a function compiled
/// for a wide instruction set.
#[inline(always)]
pub(super) fn tile<const MR: usize, const NR: usize, const FMA: bool>(
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
) -> [[f64; NR]; MR] {
    let mut acc = [[0.0; NR]; MR];
    for p in 0..steps {
        let b: [f64; NR] = b.data[p * b.rs..p * b.rs + NR]
            .try_into()
            .expect("a slice of NR values");
        for (i, acc) in acc.iter_mut().enumerate() {
            *acc = row_update::<NR, FMA>(a.data[i * a.rs + p * a.cs], b, *acc);
        }
    }
    acc
}

/// acc + a·b for every lane.
#[inline(always)]
fn row_update<const NR: usize, const FMA: bool>(a: f64, b: [f64; NR], acc: [f64; NR]) -> [f64; NR] {
    std::array::from_fn(|j| {
        if FMA {
            a.mul_add(b[j], acc[j])
        } else {
            acc[j] + a * b[j]
        }
    })
}
