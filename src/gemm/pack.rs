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
        panel_of::<MR>(a, (i0, pc), rows, kc, panel);
    }
}

/// Rows pc..pc+kc and columns jc..jc+nc of b, as NR-wide panels: panel r
/// holds, for each p, the NR values b(pc + p, jc + r·NR + j). These are
/// the NR-tall panels of bᵀ, packed as a's are.
#[inline(always)]
pub(super) fn panels_of_b<const NR: usize>(
    b: View<'_>,
    pc: usize,
    jc: usize,
    kc: usize,
    nc: usize,
    out: &mut [f64],
) {
    let bt = View {
        data: b.data,
        row_stride: b.col_stride,
        col_stride: b.row_stride,
    };
    panels_of_a::<NR>(bt, jc, pc, nc, kc, out);
}

/// One W-wide panel of `v`: for each p in 0..kc, the W values
/// v(i0 + i, p0 + p), the ones past `valid` zero. Copies whole groups when
/// they lie contiguously and whole rows when those do, so that packing
/// costs little beside the product.
#[inline(always)]
fn panel_of<const W: usize>(
    v: View<'_>,
    (i0, p0): (usize, usize),
    valid: usize,
    kc: usize,
    panel: &mut [f64],
) {
    let (groups, _) = panel.as_chunks_mut::<W>();
    let groups = &mut groups[..kc];
    if valid == W && v.row_stride == 1 {
        for (p, group) in groups.iter_mut().enumerate() {
            let start = i0 + (p0 + p) * v.col_stride;
            group.copy_from_slice(&v.data[start..start + W]);
        }
    } else if valid == W && v.col_stride == 1 {
        // Each group takes one value from each of W contiguous rows (a
        // loop writing one row at a time would become a slow scatter).
        let rows: [&[f64]; W] = std::array::from_fn(|i| {
            let start = (i0 + i) * v.row_stride + p0;
            &v.data[start..start + kc]
        });
        for (p, group) in groups.iter_mut().enumerate() {
            *group = std::array::from_fn(|i| rows[i][p]);
        }
    } else {
        for (p, group) in groups.iter_mut().enumerate() {
            for (i, x) in group.iter_mut().enumerate() {
                *x = if i < valid { v.at(i0 + i, p0 + p) } else { 0.0 };
            }
        }
    }
}
