//! The micro-kernel: an MR × NR tile of c held in registers while KC
//! rank-1 updates stream through it from the packed panels.

/// Σ over p of (column p of the a panel) ⊗ (row p of the b panel).
///
/// `a` holds KC groups of MR values, `b` KC groups of NR values. Each row
/// of the tile is an array updated by value, which the compiler keeps in
/// vector registers when this is inlined into a function compiled for a
/// wide instruction set.
#[inline(always)]
pub(super) fn tile<const MR: usize, const NR: usize, const FMA: bool>(
    a: &[f64],
    b: &[f64],
) -> [[f64; NR]; MR] {
    let mut acc = [[0.0; NR]; MR];
    for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let b: [f64; NR] = b.try_into().expect("chunks_exact gives NR values");
        for i in 0..MR {
            acc[i] = row_update::<NR, FMA>(a[i], b, acc[i]);
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
