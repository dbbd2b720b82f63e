//! Matrix products on row-major slices: the kernels behind [`Matrix::dot`],
//! [`Matrix::tr_dot`], [`Matrix::dot_tr`] and the allocation-free gradient
//! path.
//!
//! # Memory layout and algorithm
//!
//! Every operand is a *view*: element (i, j) of a view is
//! `data[i * row_stride + j * col_stride]`, so a stored matrix and its
//! transpose are the same data read with the strides swapped and no
//! transposed copy is ever made. The product c ← a·b (a m × k, b k × n,
//! c m × n row-major) follows the layered loops of BLIS (Van Zee & van de
//! Geijn, 2015), in [`blocked`]:
//!
//! ```text
//! for each block of NC columns of b and c
//!   for each block of KC rows of b          pack b's block into NR-wide panels
//!     for each block of MC rows of a and c  pack a's block into MR-tall panels
//!       for each NR-wide panel, each MR-tall panel
//!         micro-kernel: an MR × NR tile of c in registers, KC rank-1 updates
//! ```
//!
//! Packing makes the micro-kernel's reads contiguous whatever the strides,
//! and pads edge panels with zeros so the kernel never branches inside its
//! loop. It pays only when a packed panel is read many times, so a block
//! that would be read once (a product that is one block, a block of b one
//! panel wide), whose panels are short (at most `SHORT_K` steps) or that
//! spans few rows of memory (`IN_PLACE_SPAN`) is read in place, and only
//! its edge panels are packed; the AVX2 path packs every panel of b that
//! several panels of a read (`Blocking::shared_b_in_place`). The
//! micro-kernel reads
//! its panels through strides and writes its tile straight into c. It comes
//! in three forms chosen at run time by CPU-feature detection: AVX-512 and
//! AVX2 with FMA, written with intrinsics in [`isa`](crate::isa) (the
//! crate's only `unsafe` code), and the portable generic [`portable`]. In products
//! with panels longer than `SHORT_K` steps, the AVX-512 micro-kernels ask
//! for the lines of b and a a few steps before they read them: a panel of
//! b outgrows L1, and the hardware prefetchers bring it back too late.
//!
//! Products of at most `DIRECT_TINY` multiply-adds, and thin ones up to
//! `DIRECT_MAX`, skip all this for plain loops ([`direct`]). The block
//! sizes of each instruction set and every other tuning constant are in
//! [`tuning`].
//!
//! [`Matrix::dot`]: crate::Matrix::dot
//! [`Matrix::tr_dot`]: crate::Matrix::tr_dot
//! [`Matrix::dot_tr`]: crate::Matrix::dot_tr

mod blocked;
mod direct;
mod pack;
mod portable;
pub(crate) mod tuning;

pub(crate) use blocked::{APanel, BPanel, TileOut};
use tuning::Blocking;
pub(crate) use tuning::{DIRECT_MAX, DIRECT_TINY, NARROW};

/// A matrix read through strides: element (i, j) is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f64],
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major `rows × cols` matrix as stored.
    pub(crate) fn of(data: &'a [f64], cols: usize) -> Self {
        View {
            data,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub(crate) fn transposed(data: &'a [f64], cols: usize) -> Self {
        View {
            data,
            row_stride: 1,
            col_stride: cols,
        }
    }

    #[inline(always)]
    pub(crate) fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// Which of a·b, aᵀ·b or a·bᵀ a product of two row-major slices is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// c ← a·b: a stored m × k, b stored k × n.
    AB,
    /// c ← aᵀ·b: a stored k × m, b stored k × n.
    AtB,
    /// c ← a·bᵀ: a stored m × k, b stored n × k.
    ABt,
}

impl Layout {
    /// a and b as the m × k and k × n views the product reads.
    pub(crate) fn views<'a>(
        self,
        (m, k, n): (usize, usize, usize),
        a: &'a [f64],
        b: &'a [f64],
    ) -> (View<'a>, View<'a>) {
        debug_assert!(a.len() == m * k && b.len() == k * n);
        match self {
            Layout::AB => (View::of(a, k), View::of(b, n)),
            Layout::AtB => (View::transposed(a, m), View::of(b, n)),
            Layout::ABt => (View::of(a, k), View::transposed(b, k)),
        }
    }
}

/// [`matmul_then`] if not `add`, without its finish; if `add`, c += the
/// product, added tile by tile as the kernels add the later blocks of k (a
/// sum over several blocks of k's range, such as a gradient summed block
/// by block).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn matmul_add<K: Kernels>(
    kernels: K,
    add: bool,
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
    scratch: &mut Vec<f64>,
) {
    let (a, b) = layout.views(dims, a, b);
    gemm(kernels, dims, a, b, add, c, scratch, &mut ());
}

/// c (m × n, row-major) ← the product `layout` names of a and b, by
/// `kernels`, then `finish.part(at, part)` on each part of c as soon as it
/// holds its final values, while it is still in cache: `part` is
/// `c[at..at + part.len()]`, whole rows of c or a run of one row, and the
/// parts cover c once. `scratch` holds the packed panels; it grows on
/// first use and is reused after. Where `packed` holds b's panels, packed
/// beforehand by [`pack_b`] in the layout the blocked product takes, it
/// reads them there rather than packing its own (b's values are the same
/// either way, and so are c's bits).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn matmul_then<K: Kernels>(
    kernels: K,
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    packed: Option<PackedB<'_>>,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    finish: &mut impl Finish,
) {
    let (a, b) = layout.views(dims, a, b);
    let p = Problem {
        m: dims.0,
        k: dims.1,
        n: dims.2,
        a,
        b,
        packed_b: packed,
        accumulate: false,
    };
    solve(kernels, p, c, scratch, finish);
}

/// What [`matmul_then`] does with each part of c as soon as it is final.
pub(crate) trait Finish {
    /// Called once per part: `part` is `c[at..at + part.len()]`. Must be
    /// `#[inline(always)]`, so that it is compiled for the instruction set
    /// of the product that calls it.
    fn part(&mut self, at: usize, part: &mut [f64]);
}

/// Nothing to do.
impl Finish for () {
    #[inline(always)]
    fn part(&mut self, _: usize, _: &mut [f64]) {}
}

/// c ← a·b by `kernels`, or c += a·b when `accumulate`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn gemm<K: Kernels>(
    kernels: K,
    (m, k, n): (usize, usize, usize),
    a: View<'_>,
    b: View<'_>,
    accumulate: bool,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    finish: &mut impl Finish,
) {
    let p = Problem {
        m,
        k,
        n,
        a,
        b,
        packed_b: None,
        accumulate,
    };
    solve(kernels, p, c, scratch, finish);
}

/// [`gemm`] of a whole problem.
#[inline(always)]
fn solve<K: Kernels>(
    kernels: K,
    p: Problem<'_>,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    finish: &mut impl Finish,
) {
    debug_assert_eq!(c.len(), p.m * p.n);
    if p.m == 0 || p.n == 0 || p.k == 0 {
        if !p.accumulate {
            c.fill(0.0);
        }
        finish.part(0, c);
        return;
    }
    kernels.product(p, c, scratch, finish);
}

/// The products of one instruction set: the blocked product with its
/// micro-kernels, by which every generic product is computed. Each
/// [`Isa`](crate::isa::Isa) implements it.
pub(crate) trait Kernels: Copy {
    /// c ← a·b, handing each finished part of c to `finish`.
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    );

    /// The width of the panels of b and the blocks its products use for
    /// every product, if they do ([`pack_b`]): `None` where they depend on
    /// the product's shape.
    fn b_panels(self) -> Option<(usize, Blocking)> {
        None
    }
}

/// b packed beforehand into the panels the blocked product reads, block
/// by block: for each block of `nc` columns, for each block of `kc` rows,
/// its `nr`-wide panels, as [`pack::panels_of_b`] writes them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackedB<'a> {
    pub data: &'a [f64],
    pub nr: usize,
    pub kc: usize,
    pub nc: usize,
}

impl PackedB<'_> {
    /// Whether its panels are `nr` wide in blocks `kc` × `nc`.
    #[inline(always)]
    pub(crate) fn fits(&self, nr: usize, kc: usize, nc: usize) -> bool {
        (self.nr, self.kc, self.nc) == (nr, kc, nc)
    }

    /// The panels of the block of rows pc..pc + kc and columns
    /// jc..jc + nc of a b of `k` rows.
    #[inline(always)]
    pub(crate) fn block(
        &self,
        k: usize,
        (pc, kc): (usize, usize),
        (jc, nc): (usize, usize),
    ) -> &[f64] {
        let width = nc.next_multiple_of(self.nr);
        &self.data[jc * k + width * pc..][..width * kc]
    }
}

/// Packs b, `k` × `n`, at the end of `out` as `kernels`' blocked
/// products read it, and describes the layout (its panels' width and
/// blocks); `None`, and nothing packed, where they choose their panels
/// product by product.
pub(crate) fn pack_b<K: Kernels>(
    kernels: K,
    b: View<'_>,
    (k, n): (usize, usize),
    out: &mut Vec<f64>,
) -> Option<(usize, usize, usize)> {
    let (nr, blocking) = kernels.b_panels()?;
    let start = out.len();
    for jc in (0..n).step_by(blocking.nc) {
        let nc = blocking.nc.min(n - jc);
        let width = nc.next_multiple_of(nr);
        out.resize(start + jc * k + width * k, 0.0);
        for pc in (0..k).step_by(blocking.kc) {
            let kc = blocking.kc.min(k - pc);
            let block = &mut out[start + jc * k + width * pc..][..width * kc];
            match nr {
                4 => pack::panels_of_b::<4>(b, pc, jc, kc, nc, block),
                8 => pack::panels_of_b::<8>(b, pc, jc, kc, nc, block),
                _ => unreachable!("no kernel packs b {nr} wide"),
            }
        }
    }
    Some((nr, blocking.kc, blocking.nc))
}

/// The operands and sizes of one product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub a: View<'a>,
    pub b: View<'a>,
    /// b's panels, packed beforehand, if they are.
    pub packed_b: Option<PackedB<'a>>,
    /// Whether c gets a·b added to what it holds rather than stored.
    pub accumulate: bool,
}

/// The product for one instruction set: direct loops for small problems,
/// the blocked algorithm with an `MR × NR` micro-kernel for the rest.
/// Overwrites all of `c`.
#[inline(always)]
pub(crate) fn product<const MR: usize, const NR: usize, const FMA: bool>(
    p: Problem<'_>,
    blocking: Blocking,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    tile: impl Fn(APanel<'_>, BPanel<'_>, usize, TileOut<'_>),
    finish: &mut impl Finish,
) {
    let work = p.m * p.k * p.n;
    let form = match direct::Form::of(&p) {
        // Its interleaved partial sums would break the in-order promise.
        direct::Form::Dot if work <= DIRECT_TINY => direct::Form::General,
        form => form,
    };
    if work <= DIRECT_TINY || (work <= DIRECT_MAX && form != direct::Form::General) {
        if !p.accumulate {
            c.fill(0.0);
        }
        direct::product::<FMA>(p, form, c);
        finish.part(0, c);
    } else {
        blocked::all_blocks::<MR, NR>(p, blocking, c, scratch, tile, finish);
    }
}

/// The portable micro-kernel, [`portable::tile`], writing as `out` says.
#[inline(always)]
pub(crate) fn tile_portable<const MR: usize, const NR: usize, const FMA: bool>(
    a: APanel<'_>,
    b: BPanel<'_>,
    steps: usize,
    out: TileOut<'_>,
) {
    out.write_rows(&portable::tile::<MR, NR, FMA>(a, b, steps));
}

/// f64 values per cache line (64 bytes).
pub(crate) const LINE: usize = 64 / size_of::<f64>();

/// A buffer sized with `LINE − 1` spare values, from its first cache-line
/// boundary on, without the spare. Rows of a multiple of 8 values then
/// start on lines, and the micro-kernels' 64-byte loads and stores of them
/// each touch one line instead of two: a vector access split across two
/// lines costs two.
pub(crate) fn on_lines(buf: &mut [f64]) -> &mut [f64] {
    let (start, len) = lined_part(buf);
    &mut buf[start..start + len]
}

/// Where [`on_lines`]'s part of `buf` starts, and its length.
fn lined_part(buf: &[f64]) -> (usize, usize) {
    let spare = buf.len().min(LINE - 1);
    let len = buf.len() - spare;
    let start = (buf.as_ptr() as usize).wrapping_neg() / size_of::<f64>() % LINE;
    (start.min(spare), len)
}

/// `len` values of `scratch`, grown if need be, from a cache line on.
pub(crate) fn lines(scratch: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if scratch.len() < len + LINE - 1 {
        scratch.resize(len + LINE - 1, 0.0);
    }
    &mut on_lines(scratch)[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `on_lines` gives every value but the spare, from a cache line, out
    /// of storage that starts anywhere.
    #[test]
    fn buffers_start_on_cache_lines() {
        let mut storage = vec![0.0; 64];
        for offset in 0..LINE {
            for len in 0..=40 {
                let lined = on_lines(&mut storage[offset..offset + len + LINE - 1]);
                assert_eq!(lined.len(), len);
                let on_a_line = (lined.as_ptr() as usize).is_multiple_of(64);
                assert!(len == 0 || on_a_line, "{offset}, {len}");
            }
        }
    }
}
