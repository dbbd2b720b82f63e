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
//! its edge panels are packed. The micro-kernel reads
//! its panels through strides and writes its tile straight into c. It comes
//! in three forms chosen at run time by CPU-feature detection: AVX-512 and
//! AVX2 with FMA, written with intrinsics in [`simd`] (the crate's only
//! `unsafe` code), and the portable generic [`portable`]. In products
//! with panels longer than `SHORT_K` steps, the SIMD micro-kernels ask
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
mod simd;
mod tuning;

pub(crate) use blocked::{APanel, BPanel, TileOut};
pub(crate) use simd::{Isa, Path, Routine, dispatch};
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
    fn of(data: &'a [f64], cols: usize) -> Self {
        View {
            data,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [f64], cols: usize) -> Self {
        View {
            data,
            row_stride: 1,
            col_stride: cols,
        }
    }

    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f64 {
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
    fn views<'a>(
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

/// c (m × n, row-major) ← the product `layout` names of a and b, by `I`'s
/// kernels. `scratch` holds the packed panels; it grows on first use and is
/// reused after.
#[inline(always)]
pub(crate) fn matmul<I: Isa>(
    isa: I,
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
    scratch: &mut Vec<f64>,
) {
    matmul_then(isa, layout, dims, a, b, c, scratch, &mut ());
}

/// [`matmul`] if not `add`; if `add`, c += the product, added tile by
/// tile as the kernels add the later blocks of k (a sum over several
/// blocks of k's range, such as a gradient summed block by block).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn matmul_add<I: Isa>(
    isa: I,
    add: bool,
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
    scratch: &mut Vec<f64>,
) {
    let (a, b) = layout.views(dims, a, b);
    gemm(isa, dims, a, b, add, c, scratch, &mut ());
}

/// [`matmul`], then `finish.part(at, part)` on each part of c as soon as
/// it holds its final values, while it is still in cache: `part` is
/// `c[at..at + part.len()]`, whole rows of c or a run of one row, and the
/// parts cover c once.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn matmul_then<I: Isa>(
    isa: I,
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    finish: &mut impl Finish,
) {
    let (a, b) = layout.views(dims, a, b);
    gemm(isa, dims, a, b, false, c, scratch, finish);
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

/// c ← a·b by `I`'s kernels, or c += a·b when `accumulate`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn gemm<I: Isa>(
    isa: I,
    (m, k, n): (usize, usize, usize),
    a: View<'_>,
    b: View<'_>,
    accumulate: bool,
    c: &mut [f64],
    scratch: &mut Vec<f64>,
    finish: &mut impl Finish,
) {
    debug_assert_eq!(c.len(), m * n);
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            c.fill(0.0);
        }
        finish.part(0, c);
        return;
    }
    let p = Problem {
        m,
        k,
        n,
        a,
        b,
        accumulate,
    };
    isa.product(p, c, scratch, finish);
}

/// One product as a [`Routine`], for callers outside any other routine.
struct Product<'a> {
    dims: (usize, usize, usize),
    a: View<'a>,
    b: View<'a>,
    /// c += a·b rather than c ← a·b.
    add: bool,
    c: &'a mut [f64],
    scratch: &'a mut Vec<f64>,
}

impl Routine for Product<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        let Product {
            dims,
            a,
            b,
            add,
            c,
            scratch,
        } = self;
        gemm(isa, dims, a, b, add, c, scratch, &mut ())
    }
}

/// c ← a·b by `path`, with a fresh scratch.
fn product_on(path: Path, dims: (usize, usize, usize), a: View<'_>, b: View<'_>, c: &mut [f64]) {
    let scratch = &mut Vec::new();
    dispatch(
        path,
        Product {
            dims,
            a,
            b,
            add: false,
            c,
            scratch,
        },
    );
}

/// The products behind [`Matrix::dot`](crate::Matrix::dot),
/// [`Matrix::tr_dot`](crate::Matrix::tr_dot) and
/// [`Matrix::dot_tr`](crate::Matrix::dot_tr), by the fastest path.
pub(crate) fn matrix_product(
    layout: Layout,
    dims: (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
) {
    let (a, b) = layout.views(dims, a, b);
    product_on(Path::best(), dims, a, b, c);
}

/// The operands and sizes of one product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub a: View<'a>,
    pub b: View<'a>,
    /// Whether c gets a·b added to what it holds rather than stored.
    pub accumulate: bool,
}

/// The product for one instruction set: direct loops for small problems,
/// the blocked algorithm with an `MR × NR` micro-kernel for the rest.
/// Overwrites all of `c`.
#[inline(always)]
fn product<const MR: usize, const NR: usize, const FMA: bool>(
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
fn tile_portable<const MR: usize, const NR: usize, const FMA: bool>(
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
    use super::tuning::{AVX2, AVX512, PORTABLE};
    use super::*;
    use proptest::prelude::*;

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

    /// The textbook triple loop over views.
    fn naive(m: usize, k: usize, n: usize, a: View<'_>, b: View<'_>) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a.at(i, p) * b.at(p, j)).sum();
            }
        }
        c
    }

    fn close(got: &[f64], want: &[f64], k: usize) -> bool {
        // Each element is a sum of k products of values in [-1, 1]: rounding
        // differs by summation order, never by more than k·ε.
        got.iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= (k as f64 + 1.0) * f64::EPSILON * 4.0)
    }

    fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-1.0..1.0f64, len)
    }

    /// Sizes around the block and tile edges of every path.
    /// Rows of a: small, and around the MC block edge.
    fn rows() -> impl Strategy<Value = usize> {
        let (small, large) = (AVX512.mc.min(AVX2.mc), AVX512.mc.max(AVX2.mc));
        prop_oneof![
            1..=20usize,
            small - 2..=small + 2,
            large - 2..=large + 2,
            2 * large - 1..=2 * large + 1
        ]
    }

    /// Inner dimension: small, around the direct/blocked switch, and around
    /// every path's KC block edge.
    fn inner() -> impl Strategy<Value = usize> {
        let (short, long) = (AVX2.kc.min(AVX512.kc), AVX2.kc.max(AVX512.kc));
        prop_oneof![1..=20usize, short - 6..=short + 4, long - 1..=long + 1]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every path available on this machine, forced in turn, against
        /// the naive product, for all three layouts.
        #[test]
        fn every_path_matches_the_naive_product(
            (m, k, n, a, b) in (rows(), inner(), 1..=40usize)
                .prop_flat_map(|(m, k, n)| (Just(m), Just(k), Just(n), values(m * k), values(k * n)))
        ) {
            let mut scratch = Vec::new();
            let layouts = [
                (View::of(&a, k), View::of(&b, n)),
                (View::transposed(&a, m), View::of(&b, n)),
                (View::of(&a, k), View::transposed(&b, k)),
                (View::transposed(&a, m), View::transposed(&b, k)),
            ];
            for (va, vb) in layouts {
                let want = naive(m, k, n, va, vb);
                for path in Path::available() {
                    let mut c = vec![f64::NAN; m * n];
                    dispatch(path, Product { dims: (m, k, n), a: va, b: vb, add: false, c: &mut c, scratch: &mut scratch });
                    prop_assert!(close(&c, &want, k), "{path:?} at {m}×{k}×{n}");
                    // Added to what c holds: c₀ + a·b.
                    let c0: Vec<f64> = (0..m * n).map(|v| ((v * 3) % 7) as f64 - 3.0).collect();
                    let mut c = c0.clone();
                    dispatch(path, Product { dims: (m, k, n), a: va, b: vb, add: true, c: &mut c, scratch: &mut scratch });
                    let want_sum: Vec<f64> = want.iter().zip(&c0).map(|(w, c)| w + c).collect();
                    prop_assert!(close(&c, &want_sum, k), "{path:?} adding at {m}×{k}×{n}");
                }
            }
        }
    }

    /// `len` values in [−½, ½): (v·step mod period)/period − ½.
    fn pattern(len: usize, step: usize, period: usize) -> Vec<f64> {
        (0..len)
            .map(|v| ((v * step) % period) as f64 / period as f64 - 0.5)
            .collect()
    }

    /// c of every height up to 13 rows, where the AVX-512 path computes
    /// its last rows with a tile of fewer rows, and c of 9 to 12 rows in
    /// one tile height, 16 or more columns wide, at most 8 (one register)
    /// and 9 to 12: each path, with and without adding to c, against the
    /// naive product.
    #[test]
    fn short_products_match_the_naive_product() {
        let mut scratch = Vec::new();
        for m in 1..=13 {
            for (k, n) in [
                (3, 16),
                (300, 17),
                (513, 40),
                (130, 13),
                (300, 8),
                (130, 5),
                (200, 10),
            ] {
                let (a, b) = (pattern(m * k, 7, 11), pattern(k * n, 5, 13));
                // a read transposed, as δ(3)ᵀ·a(2) reads δ(3).
                for va in [View::of(&a, k), View::transposed(&a, m)] {
                    let vb = View::of(&b, n);
                    let want = naive(m, k, n, va, vb);
                    for path in Path::available() {
                        for add in [false, true] {
                            let c0: Vec<f64> = (0..m * n).map(|v| (v % 5) as f64).collect();
                            let mut c = c0.clone();
                            let dims = (m, k, n);
                            let (a, b, c) = (va, vb, &mut c);
                            let scratch = &mut scratch;
                            dispatch(
                                path,
                                Product {
                                    dims,
                                    a,
                                    b,
                                    add,
                                    c,
                                    scratch,
                                },
                            );
                            let want: Vec<f64> = if add {
                                want.iter().zip(&c0).map(|(w, c)| w + c).collect()
                            } else {
                                want.clone()
                            };
                            assert!(close(c, &want, k), "{path:?} at {m}×{k}×{n}, add {add}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wide_products_cross_the_column_blocks() {
        let (m, k, n) = (3, 300, PORTABLE.nc.max(AVX2.nc).max(AVX512.nc) + 37);
        let (a, b) = (pattern(m * k, 7, 13), pattern(k * n, 5, 11));
        let want = naive(m, k, n, View::of(&a, k), View::of(&b, n));
        for path in Path::available() {
            let mut c = vec![0.0; m * n];
            product_on(path, (m, k, n), View::of(&a, k), View::of(&b, n), &mut c);
            assert!(close(&c, &want, k), "{path:?}");
        }
    }

    /// Records each part `matmul_then` finishes, as it is when finished.
    struct Record(Vec<(usize, Vec<f64>)>);

    impl Finish for Record {
        fn part(&mut self, at: usize, part: &mut [f64]) {
            self.0.push((at, part.to_vec()));
        }
    }

    struct Then<'a> {
        dims: (usize, usize, usize),
        a: &'a [f64],
        b: &'a [f64],
        c: &'a mut [f64],
        record: &'a mut Record,
    }

    impl Routine for Then<'_> {
        type Output = ();
        #[inline(always)]
        fn run<I: Isa>(self, isa: I) {
            let scratch = &mut Vec::new();
            matmul_then(
                isa,
                Layout::AB,
                self.dims,
                self.a,
                self.b,
                self.c,
                scratch,
                self.record,
            );
        }
    }

    /// The finished parts cover c exactly once and already hold the final
    /// values: direct loops, a single block, blocked rows and, past NC
    /// columns, runs of rows.
    #[test]
    fn finished_parts_cover_c_once_with_final_values() {
        for (m, k, n) in [
            (3, 4, 5),
            (40, 30, 20),
            (2 * AVX512.mc + 5, AVX512.kc + 3, 37),
            (2 * AVX2.mc + 5, AVX2.kc + 3, 37),
            (3, 300, AVX512.nc.max(AVX2.nc) + 37),
            (AVX512.mc.min(AVX2.mc) + 1, 20, 200),
        ] {
            let a: Vec<f64> = (0..m * k)
                .map(|v| ((v * 7) % 13) as f64 / 13.0 - 0.5)
                .collect();
            let b: Vec<f64> = (0..k * n)
                .map(|v| ((v * 5) % 11) as f64 / 11.0 - 0.5)
                .collect();
            for path in Path::available() {
                let mut c = vec![f64::NAN; m * n];
                let mut record = Record(Vec::new());
                let (a, b) = (&a[..], &b[..]);
                dispatch(
                    path,
                    Then {
                        dims: (m, k, n),
                        a,
                        b,
                        c: &mut c,
                        record: &mut record,
                    },
                );
                let mut seen = vec![0; m * n];
                for (at, part) in &record.0 {
                    assert_eq!(&c[*at..at + part.len()], &part[..], "{path:?} {m}×{k}×{n}");
                    seen[*at..at + part.len()].iter_mut().for_each(|s| *s += 1);
                }
                assert!(seen.iter().all(|&s| s == 1), "{path:?} {m}×{k}×{n}");
            }
        }
    }

    #[test]
    fn empty_dimensions_give_zeros() {
        for path in Path::available() {
            let mut c = vec![f64::NAN; 6];
            product_on(path, (2, 0, 3), View::of(&[], 0), View::of(&[], 3), &mut c);
            assert_eq!(c, vec![0.0; 6]);
        }
    }
}
