//! The micro-kernel: an MR × NR tile of c held in registers while KC
//! rank-1 updates stream through it from the packed panels.

/// Σ over p of (column p of the a panel) ⊗ (row p of the b panel).
///
/// `a` holds KC groups of MR values, `b` KC groups of NR values. Written
/// with constant bounds so that, inlined into a function compiled for a
/// given instruction set, the tile becomes MR·NR/lanes vector registers and
/// the j loop one vector operation per row.
#[inline(always)]
pub(super) fn tile<const MR: usize, const NR: usize, const FMA: bool>(
    a: &[f64],
    b: &[f64],
) -> [[f64; NR]; MR] {
    let mut acc = [[0.0; NR]; MR];
    for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let a: &[f64; MR] = a.try_into().expect("chunks_exact gives MR values");
        let b: &[f64; NR] = b.try_into().expect("chunks_exact gives NR values");
        for (acc_row, &a_i) in acc.iter_mut().zip(a) {
            for (acc, &b_j) in acc_row.iter_mut().zip(b) {
                *acc = if FMA {
                    a_i.mul_add(b_j, *acc)
                } else {
                    *acc + a_i * b_j
                };
            }
        }
    }
    acc
}
