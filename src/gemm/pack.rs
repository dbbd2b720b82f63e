//! Packing: copying a block of an operand, through its strides, into the
//! contiguous order the micro-kernel reads, zero-padding the edge panels.

use super::View;

/// Panels copied together, step by step, where their steps lie side by
/// side: four, the fastest of 2, 4, 8 and 16 at packing large products.
const GROUP: usize = 4;

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
    let mut first = 0;
    if a.row_stride == 1 {
        // A step's MR values lie together, and so do the next panels':
        // copying GROUP panels step by step reads runs GROUP times as long
        // as one panel at a time would, which takes a third of the time
        // where the steps are rows far apart (b of a 1024² product).
        let full = mc / MR;
        while first < full {
            let count = GROUP.min(full - first);
            let panels = &mut out[first * MR * kc..(first + count) * MR * kc];
            for p in 0..kc {
                let start = ic + first * MR + (pc + p) * a.col_stride;
                let steps = a.data[start..start + count * MR].as_chunks::<MR>().0;
                for (panel, step) in panels.chunks_exact_mut(MR * kc).zip(steps) {
                    panel[p * MR..(p + 1) * MR].copy_from_slice(step);
                }
            }
            first += count;
        }
    }
    // Panel by panel: the rest, or all of them when a step's values are
    // apart.
    for (r, panel) in out
        .chunks_exact_mut(MR * kc)
        .take(mc.div_ceil(MR))
        .enumerate()
        .skip(first)
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
/// v(i0 + i, p0 + p), the ones past `valid` zero. Reads whole rows when
/// they lie contiguously, so that packing costs little beside the product
/// (full panels whose steps lie contiguously are [`panels_of_a`]'s own).
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
    if valid == W && v.col_stride == 1 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every packed value is the one the panel's definition names, or 0
    /// past the block's edge: for blocks of 1 to 11 panels (groups of four
    /// and their remainders) with and without a short last panel, read
    /// from storage of either orientation and from inside a larger matrix.
    #[test]
    fn panels_hold_the_values_their_definition_names() {
        const MR: usize = 4;
        let (rows, cols) = (60, 23);
        let data: Vec<f64> = (0..rows * cols).map(|v| v as f64).collect();
        for view in [View::of(&data, cols), View::transposed(&data, cols)] {
            let (m, k) = if view.col_stride == 1 {
                (rows, cols)
            } else {
                (cols, rows)
            };
            for (ic, pc) in [(0, 0), (3, 2)] {
                for mc in 1..=(m - ic).min(11 * MR) {
                    let kc = k - pc - 1;
                    let mut out = vec![f64::NAN; mc.div_ceil(MR) * MR * kc];
                    panels_of_a::<MR>(view, ic, pc, mc, kc, &mut out);
                    for (r, panel) in out.chunks_exact(MR * kc).enumerate() {
                        for p in 0..kc {
                            for i in 0..MR {
                                let row = r * MR + i;
                                let want = if row < mc {
                                    view.at(ic + row, pc + p)
                                } else {
                                    0.0
                                };
                                assert_eq!(panel[p * MR + i], want, "{:?}", (mc, r, p, i));
                            }
                        }
                    }
                }
            }
        }
    }
}
