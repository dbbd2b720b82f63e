//! The blocked product: BLIS's loops around a micro-kernel (see the
//! [module docs](super)), with the blocks sized for the caches, the panels
//! the micro-kernel reads, and where it writes its tile.

use super::tuning::{Blocking, SHORT_K};
use super::{Finish, LINE, Problem, View, lines, pack};

/// Where a micro-kernel puts its MR × NR tile: the first `cols` values of
/// row r < `rows` of the tile go to `c[r * ldc..]`, stored, or added to
/// what is there when `accumulate`; the rest of the tile lies outside c.
pub(crate) struct TileOut<'a> {
    pub c: &'a mut [f64],
    pub ldc: usize,
    pub rows: usize,
    pub cols: usize,
    pub accumulate: bool,
}

impl TileOut<'_> {
    /// Writes the part of a tile held in memory that belongs to c.
    #[inline(always)]
    pub(crate) fn write_rows<const NR: usize>(self, tile: &[[f64; NR]]) {
        for (r, tile_row) in tile.iter().enumerate().take(self.rows) {
            let row = &mut self.c[r * self.ldc..r * self.ldc + self.cols];
            if self.accumulate {
                row.iter_mut().zip(tile_row).for_each(|(c, t)| *c += t);
            } else {
                row.copy_from_slice(&tile_row[..self.cols]);
            }
        }
    }
}

/// The MR rows of a a micro-kernel reads: at step p, row i is
/// `data[i * rs + p * cs]`. A packed panel has rs = 1, cs = MR; a row-major
/// block read where it lies has rs = its row stride, cs = 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct APanel<'a> {
    pub data: &'a [f64],
    pub rs: usize,
    pub cs: usize,
}

/// The NR columns of b a micro-kernel reads: at step p, the NR values from
/// `data[p * rs]` on. A packed panel has rs = NR.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BPanel<'a> {
    pub data: &'a [f64],
    pub rs: usize,
}

/// The blocked product for one micro-kernel shape, `MR × NR` registers of
/// c, computed by `tile`. The first block of k stores into `c`, the later
/// ones add to it, so `c` needs no clearing first. A product that is a
/// single block goes to [`one_block`].
#[inline(always)]
pub(super) fn all_blocks<const MR: usize, const NR: usize>(
    p: Problem<'_>,
    blocking: Blocking,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    tile: impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>),
    finish: &mut impl Finish,
) {
    let Problem { m, k, n, a, b, .. } = p;
    let Blocking {
        kc: kc_block,
        mc: mc_block,
        nc: nc_block,
        in_place_span,
        shared_b_in_place,
    } = blocking;
    // Whether b's panels may lie where they are though several panels of
    // a read each.
    let b_read_once = m <= MR || shared_b_in_place;
    // b's panels packed beforehand, if in the layout of these blocks.
    let prepacked = p.packed_b.filter(|q| q.fits(NR, kc_block, nc_block));
    if m <= mc_block && k <= kc_block && n <= nc_block {
        let ready = prepacked.as_ref().map(|q| q.block(k, (0, k), (0, n)));
        one_block::<MR, NR>(p, c, scratch, tile, b_read_once, ready);
        finish.part(0, c);
        return;
    }
    let kc_max = kc_block.min(k);
    let mc_max = mc_block.min(m).next_multiple_of(MR);
    let nc_max = nc_block.min(n).next_multiple_of(NR);
    let b_len = if prepacked.is_some() {
        0
    } else {
        nc_max * kc_max
    };
    let a_len = (mc_max * kc_max).next_multiple_of(LINE);
    let (packed_a, rest) = lines(scratch, a_len + b_len).split_at_mut(a_len);
    let packed_b = &mut rest[..b_len];

    for jc in (0..n).step_by(nc_block) {
        let nc = nc_block.min(n - jc);
        for pc in (0..k).step_by(kc_block) {
            let kc = kc_block.min(k - pc);
            let ready = prepacked.as_ref().map(|q| q.block(k, (pc, kc), (jc, nc)));
            let b_in_place = ready.is_none()
                && pack_block_of_b::<NR>(
                    b,
                    (pc, kc),
                    (jc, nc),
                    m <= mc_block && b_read_once,
                    in_place_span,
                    packed_b,
                );
            let panels_of_b: &[f64] = ready.unwrap_or(packed_b);
            for ic in (0..m).step_by(mc_block) {
                let mc = mc_block.min(m - ic);
                let a_in_place =
                    pack_block_of_a::<MR, NR>(a, (ic, mc), (pc, kc), nc, in_place_span, packed_a);
                let block = Block {
                    ic,
                    pc,
                    jc,
                    mc,
                    kc,
                    nc,
                    a_in_place,
                    b_in_place,
                };
                macro_kernel::<MR, NR>(&tile, p, block, packed_a, panels_of_b, c);
                if pc + kc == k {
                    block.finish_rows(n, c, finish);
                }
            }
        }
    }
}

/// Packs b's block (rows pc..pc + kc, columns jc..jc + nc) into NR-wide
/// panels, or, where the micro-kernel reads it in place, only its last
/// panel when narrower than NR, padded once for every block of a. Returns
/// whether it is read in place: its rows contiguous, its panels short
/// enough to stay in cache or its block spanning at most `in_place_span`
/// values, and read by `one_block_of_a` only (which is false where the
/// path packs b read by several panels of a). A block of a's rows beyond the first reads
/// every panel of b again, and a panel read in place lies one line per
/// step at b's row stride: at a stride of a power of two (a layer of 128
/// units: 1 KiB) its lines fall in a few of L1's sets and evict each other
/// between reads, where a packed panel is contiguous and stays.
#[inline(always)]
fn pack_block_of_b<const NR: usize>(
    b: View<'_>,
    (pc, kc): (usize, usize),
    (jc, nc): (usize, usize),
    one_block_of_a: bool,
    in_place_span: usize,
    packed_b: &mut [f64],
) -> bool {
    let in_place = b.col_stride == 1
        && one_block_of_a
        && (kc <= SHORT_K || kc * b.row_stride <= in_place_span);
    let edge = nc - nc % NR;
    if !in_place {
        pack::panels_of_b::<NR>(b, pc, jc, kc, nc, packed_b);
    } else if edge < nc {
        pack::panels_of_b::<NR>(b, pc, jc + edge, kc, nc - edge, packed_b);
    }
    in_place
}

/// Packs a's block (rows ic..ic + mc, columns pc..pc + kc) into MR-tall
/// panels, or, where the micro-kernel reads it in place, only its last
/// panel when shorter than MR, padded once for every panel of b. Returns
/// whether it is read in place: read once (b's block is one panel wide),
/// short panels, or a transposed block (rows of a in columns) spanning at
/// most `in_place_span` values, which then streams as well as a packed
/// copy where the kernel asks for its lines ahead.
#[inline(always)]
fn pack_block_of_a<const MR: usize, const NR: usize>(
    a: View<'_>,
    (ic, mc): (usize, usize),
    (pc, kc): (usize, usize),
    nc: usize,
    in_place_span: usize,
    packed_a: &mut [f64],
) -> bool {
    let in_place =
        kc <= SHORT_K || nc <= NR || (a.row_stride == 1 && kc * a.col_stride <= in_place_span);
    if !in_place {
        pack::panels_of_a::<MR>(a, ic, pc, mc, kc, packed_a);
    } else if mc % MR != 0 {
        let edge = mc - mc % MR;
        pack::panels_of_a::<MR>(a, ic + edge, pc, mc - edge, kc, packed_a);
    }
    in_place
}

/// One block of the product: rows ic..ic + mc of a and c, steps
/// pc..pc + kc (columns of a, rows of b), columns jc..jc + nc of b and c,
/// and whether the full panels of a and of b are read where they lie.
#[derive(Debug, Clone, Copy)]
struct Block {
    ic: usize,
    pc: usize,
    jc: usize,
    mc: usize,
    kc: usize,
    nc: usize,
    a_in_place: bool,
    b_in_place: bool,
}

/// Every tile of one block: each MR-tall panel of a against each NR-wide
/// panel of b, added to c after the block's first block of k.
#[inline(always)]
fn macro_kernel<const MR: usize, const NR: usize>(
    tile: &impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>),
    p: Problem<'_>,
    block: Block,
    packed_a: &[f64],
    packed_b: &[f64],
    c: &mut [f64],
) {
    let Block {
        ic, pc, jc, mc, nc, ..
    } = block;
    for jr in (0..nc).step_by(NR) {
        let cols = NR.min(nc - jr);
        let b_panel = block.panel_of_b::<NR>(p.b, packed_b, jr, cols);
        for ir in (0..mc).step_by(MR) {
            let rows = MR.min(mc - ir);
            let a_panel = block.panel_of_a::<MR>(p.a, packed_a, ir, rows);
            let at = Corner {
                start: (ic + ir) * p.n + jc + jr,
                rows,
                cols,
            };
            let accumulate = p.accumulate || pc > 0;
            write_tile::<MR, NR>(tile, a_panel, b_panel, block.kc, c, p.n, at, accumulate);
        }
    }
}

impl Block {
    /// Panel `jr` of b's block, `cols` wide: packed, or where it lies, or
    /// (the last, narrower than NR) its padded copy.
    #[inline(always)]
    fn panel_of_b<'a, const NR: usize>(
        &self,
        b: View<'a>,
        packed_b: &'a [f64],
        jr: usize,
        cols: usize,
    ) -> BPanel<'a> {
        let kc = self.kc;
        if !self.b_in_place {
            BPanel {
                data: &packed_b[jr * kc..(jr + NR) * kc],
                rs: NR,
            }
        } else if cols == NR {
            BPanel {
                data: &b.data[self.pc * b.row_stride + (self.jc + jr) * b.col_stride..],
                rs: b.row_stride,
            }
        } else {
            BPanel {
                data: &packed_b[..NR * kc],
                rs: NR,
            }
        }
    }

    /// Panel `ir` of a's block, `rows` tall: packed, or where it lies, or
    /// (the last, shorter than MR) its padded copy.
    #[inline(always)]
    fn panel_of_a<'a, const MR: usize>(
        &self,
        a: View<'a>,
        packed_a: &'a [f64],
        ir: usize,
        rows: usize,
    ) -> APanel<'a> {
        let kc = self.kc;
        if !self.a_in_place {
            APanel {
                data: &packed_a[ir * kc..(ir + MR) * kc],
                rs: 1,
                cs: MR,
            }
        } else if rows == MR {
            APanel {
                data: &a.data[(self.ic + ir) * a.row_stride + self.pc * a.col_stride..],
                rs: a.row_stride,
                cs: a.col_stride,
            }
        } else {
            APanel {
                data: &packed_a[..MR * kc],
                rs: 1,
                cs: MR,
            }
        }
    }

    /// Rows ic..ic + mc of this block of columns are final: `finish` them.
    #[inline(always)]
    fn finish_rows(&self, n: usize, c: &mut [f64], finish: &mut impl Finish) {
        let Block { ic, jc, mc, nc, .. } = *self;
        if nc == n {
            finish.part(ic * n, &mut c[ic * n..(ic + mc) * n]);
        } else {
            for r in ic..ic + mc {
                finish.part(r * n + jc, &mut c[r * n + jc..r * n + jc + nc]);
            }
        }
    }
}

/// A product that is a single block: every full tile reads a where it
/// lies, and b too if its rows are contiguous and `b_read_once` allows
/// (else b is packed whole, unless `prepacked` holds its panels); only the
/// edge panels, which need zero padding, are packed; then its tiles as
/// [`macro_kernel`] takes any block's.
#[inline(always)]
fn one_block<const MR: usize, const NR: usize>(
    p: Problem<'_>,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    tile: impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>),
    b_read_once: bool,
    prepacked: Option<&[f64]>,
) {
    let Problem { m, k, n, a, b, .. } = p;
    let b_in_place = prepacked.is_none() && b.col_stride == 1 && b_read_once;
    let a_len = (MR * k).next_multiple_of(LINE);
    let b_len = if prepacked.is_some() {
        0
    } else if b_in_place {
        NR * k
    } else {
        n.next_multiple_of(NR) * k
    };
    let (packed_a, rest) = lines(scratch, a_len + b_len).split_at_mut(a_len);
    let packed_b = &mut rest[..b_len];
    let (a_edge, b_edge) = (m - m % MR, n - n % NR);
    if a_edge < m {
        pack::panels_of_a::<MR>(a, a_edge, 0, m - a_edge, k, packed_a);
    }
    if prepacked.is_some() {
        // Every panel, the edge's too, is there.
    } else if !b_in_place {
        pack::panels_of_b::<NR>(b, 0, 0, k, n, packed_b);
    } else if b_edge < n {
        pack::panels_of_b::<NR>(b, 0, b_edge, k, n - b_edge, packed_b);
    }
    let packed_b: &[f64] = prepacked.unwrap_or(packed_b);
    let block = Block {
        ic: 0,
        pc: 0,
        jc: 0,
        mc: m,
        kc: k,
        nc: n,
        a_in_place: true,
        b_in_place,
    };
    macro_kernel::<MR, NR>(&tile, p, block, packed_a, packed_b, c);
}

/// Where a tile's top-left corner lies in c, and how much of the tile is
/// inside c.
#[derive(Debug, Clone, Copy)]
struct Corner {
    start: usize,
    rows: usize,
    cols: usize,
}

/// Runs `tile` and stores (or, when `accumulate`, adds) the part of it
/// inside c, whose rows are `ldc` apart.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn write_tile<const MR: usize, const NR: usize>(
    tile: &impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>),
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
    c: &mut [f64],
    ldc: usize,
    at: Corner,
    accumulate: bool,
) {
    let Corner { start, rows, cols } = at;
    let out = TileOut {
        c: &mut c[start..start + (rows - 1) * ldc + cols],
        ldc,
        rows,
        cols,
        accumulate,
    };
    tile(a, b, steps, out);
}
