//! Packing: copying a block of an operand, through its strides, into the
//! contiguous order the micro-kernel reads, zero-padding the edge panels.

use super::View;

/// Rows ic..ic+mc and columns pc..pc+kc of a, as MR-tall panels: panel r
/// holds, for each p, the MR values a(ic + r·MR + i, pc + p).
#[inline(always)]
pub(super) fn panels_of_a<const MR: usize>(
    a: View<'_>,
    ic: usize,
    pc: usize,
    mc: usize,
    kc: usize,
    out: &mut [f64],
) {
    for (r, panel) in out
        .chunks_exact_mut(MR * kc)
        .take(mc.div_ceil(MR))
        .enumerate()
    {
        let i0 = ic + r * MR;
        let rows = MR.min(ic + mc - i0);
        for (p, group) in panel.chunks_exact_mut(MR).enumerate() {
            for (i, v) in group.iter_mut().enumerate() {
                *v = if i < rows { a.at(i0 + i, pc + p) } else { 0.0 };
            }
        }
    }
}

/// Rows pc..pc+kc and columns jc..jc+nc of b, as NR-wide panels: panel r
/// holds, for each p, the NR values b(pc + p, jc + r·NR + j).
#[inline(always)]
pub(super) fn panels_of_b<const NR: usize>(
    b: View<'_>,
    pc: usize,
    jc: usize,
    kc: usize,
    nc: usize,
    out: &mut [f64],
) {
    for (r, panel) in out
        .chunks_exact_mut(NR * kc)
        .take(nc.div_ceil(NR))
        .enumerate()
    {
        let j0 = jc + r * NR;
        let cols = NR.min(jc + nc - j0);
        for (p, group) in panel.chunks_exact_mut(NR).enumerate() {
            if cols == NR && b.col_stride == 1 {
                let start = (pc + p) * b.row_stride + j0;
                group.copy_from_slice(&b.data[start..start + NR]);
            } else {
                for (j, v) in group.iter_mut().enumerate() {
                    *v = if j < cols { b.at(pc + p, j0 + j) } else { 0.0 };
                }
            }
        }
    }
}
