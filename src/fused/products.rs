//! The three products of the pass, in two ways: by the blocked kernels
//! ([`Blocked`]), and by plain loops that sum every element in order
//! ([`InOrder`]), for batches so small that a call's cost is its set-up.
//!
//! ```text
//! forward           z ← a·W
//! weight gradient   ∂J/∂W (+)= aᵀ·δ
//! back              δ_below ← δ·Wᵀ ⊙ f′(z_below)
//! ```

use crate::exp::madd;
use crate::gemm::{self, DIRECT_MAX, Finish, Layout, NARROW, PackedB, View};
use crate::isa::Isa;
use crate::matrix::all_finite;

/// How the pass computes its products. Dimensions are (rows, inputs,
/// units) of the layer whose W is involved, W stored `inputs × units`.
pub(super) trait Products {
    /// Whether multiply-adds are fused (rounded once), as the activation
    /// must know to give the bits of [`Activation::apply`](crate::Activation::apply).
    const FMA: bool;

    /// z ← a·W: `a` rows × inputs, `z` rows × units.
    fn forward(&mut self, dims: (usize, usize, usize), a: &[f64], w: &[f64], z: &mut [f64]);

    /// Whether the weight gradients are summed in `staged`, the shard's
    /// region for them on cache lines (where the kernels read and write C
    /// fastest), to be put in place when the shard is done, rather than
    /// in the layer's own sums.
    const STAGES: bool;

    /// ∂J/∂W ← aᵀ·δ into `sum`, or += when `add`: `a` rows × inputs,
    /// `delta` rows × units, `sum` inputs × units, or δᵀ·a, units × inputs,
    /// where [`Products::transposes`] says so. `sum` is the layer's own
    /// ∂J/∂W, or where [`Products::STAGES`] says so its staged region.
    fn weight_gradient(
        &mut self,
        add: bool,
        dims: (usize, usize, usize),
        a: &[f64],
        delta: &[f64],
        sum: &mut [f64],
    );

    /// `below` ← δ·Wᵀ ⊙ `fp`: `delta` rows × units, `below` and `fp` rows ×
    /// inputs. Returns whether every value of `below` is finite.
    fn back(
        &mut self,
        dims: (usize, usize, usize),
        delta: &[f64],
        w: &[f64],
        fp: &[f64],
        below: &mut [f64],
    ) -> bool;

    /// Whether the weight gradient of a layer of `units` units is summed
    /// as its transpose.
    fn transposes(units: usize) -> bool;
}

/// The blocked kernels of instruction set `I`, with their packing scratch
/// and the weights' panels.
pub(super) struct Blocked<I> {
    pub isa: I,
    pub scratch: Vec<f64>,
    pub packed: PackedWeights,
}

/// Each W and Wᵀ the products read as b, packed into panels the first
/// time a shard's pass reads it and read from there by its later blocks of
/// rows, rather than packed again for each: about twice the parameters, per
/// thread. Cleared when a shard starts: the weights may have changed since
/// the last.
#[derive(Debug, Clone, Default)]
pub(super) struct PackedWeights {
    data: Vec<f64>,
    entries: Vec<Packed>,
}

/// One operand in [`PackedWeights`].
#[derive(Debug, Clone, Copy)]
struct Packed {
    /// Where its weights lie, and whether it is their transpose.
    key: (usize, bool),
    /// Where its panels start in the data.
    start: usize,
    /// The panels' width and blocks, as [`gemm::pack_b`] gives them.
    layout: (usize, usize, usize),
}

impl PackedWeights {
    /// Forgets every operand packed, keeping the storage.
    pub fn clear(&mut self) {
        self.data.clear();
        self.entries.clear();
    }

    /// The panels of b, `k` × `n`, for a product of `rows` rows: `w` or,
    /// if `transposed`, wᵀ, packed now if it is not yet. `None` where the
    /// product is small enough to skip the blocked kernels, or where the
    /// kernels of `isa` choose their panels product by product.
    #[inline(always)]
    fn of<I: Isa>(
        &mut self,
        isa: I,
        rows: usize,
        w: &[f64],
        transposed: bool,
        (k, n): (usize, usize),
    ) -> Option<PackedB<'_>> {
        if rows.saturating_mul(k).saturating_mul(n) <= DIRECT_MAX {
            return None;
        }
        let key = (w.as_ptr() as usize, transposed);
        let (start, (nr, kc, nc)) = match self.entries.iter().find(|e| e.key == key) {
            Some(e) => (e.start, e.layout),
            None => {
                let b = if transposed {
                    View::transposed(w, k)
                } else {
                    View::of(w, n)
                };
                let start = self.data.len();
                let layout = gemm::pack_b(isa, b, (k, n), &mut self.data)?;
                self.entries.push(Packed { key, start, layout });
                (start, layout)
            }
        };
        Some(PackedB {
            data: &self.data[start..],
            nr,
            kc,
            nc,
        })
    }
}

impl<I: Isa> Products for Blocked<I> {
    const FMA: bool = I::FMA;
    const STAGES: bool = true;

    #[inline(always)]
    fn forward(&mut self, dims: (usize, usize, usize), a: &[f64], w: &[f64], z: &mut [f64]) {
        let (rows, i, o) = dims;
        let packed = self.packed.of(self.isa, rows, w, false, (i, o));
        gemm::matmul_then(
            self.isa,
            Layout::AB,
            dims,
            a,
            w,
            packed,
            z,
            &mut self.scratch,
            &mut (),
        );
    }

    #[inline(always)]
    fn weight_gradient(
        &mut self,
        add: bool,
        (n, i, o): (usize, usize, usize),
        a: &[f64],
        delta: &[f64],
        sum: &mut [f64],
    ) {
        if o == 1 {
            // δ is one value per row: each row adds a·δ, where a product
            // would pay a set-up per row.
            let sum = &mut sum[..i];
            if !add {
                sum.fill(0.0);
            }
            for (a, &d) in a.chunks_exact(i).zip(delta) {
                for (g, &a) in sum.iter_mut().zip(a) {
                    *g = I::madd(a, d, *g);
                }
            }
        } else if Self::transposes(o) {
            let sum = &mut sum[..o * i];
            gemm::matmul_add(
                self.isa,
                add,
                Layout::AtB,
                (o, n, i),
                delta,
                a,
                sum,
                &mut self.scratch,
            );
        } else {
            gemm::matmul_add(
                self.isa,
                add,
                Layout::AtB,
                (i, n, o),
                a,
                delta,
                &mut sum[..i * o],
                &mut self.scratch,
            );
        }
    }

    #[inline(always)]
    fn back(
        &mut self,
        (n, i, o): (usize, usize, usize),
        delta: &[f64],
        w: &[f64],
        fp: &[f64],
        below: &mut [f64],
    ) -> bool {
        if o == 1 {
            // W is a column and δ one value per row: each row of the
            // result is that value times W, scaled.
            for ((below, fp), &d) in below.chunks_exact_mut(i).zip(fp.chunks_exact(i)).zip(delta) {
                for ((b, &fp), &w) in below.iter_mut().zip(fp).zip(w) {
                    *b = d * w * fp;
                }
            }
            return all_finite(below);
        }
        let mut scale = ScaleParts {
            by: fp,
            finite: true,
        };
        let packed = self.packed.of(self.isa, n, w, true, (o, i));
        gemm::matmul_then(
            self.isa,
            Layout::ABt,
            (n, o, i),
            delta,
            w,
            packed,
            below,
            &mut self.scratch,
            &mut scale,
        );
        scale.finite
    }

    /// With few units, the sum as δᵀ·a, whose cost follows the units as
    /// rows of tiles, where as columns they would leave most of each tile
    /// idle (see [`NARROW`]).
    #[inline(always)]
    fn transposes(units: usize) -> bool {
        (2..=NARROW).contains(&units)
    }
}

/// Multiplies each finished part of a product by the values at the same
/// place in `by`, and notes whether all it gave is finite.
struct ScaleParts<'a> {
    by: &'a [f64],
    finite: bool,
}

impl Finish for ScaleParts<'_> {
    #[inline(always)]
    fn part(&mut self, at: usize, part: &mut [f64]) {
        let by = &self.by[at..at + part.len()];
        // One pass: checked while each value is in a register.
        let mut finite = true;
        for (v, s) in part.iter_mut().zip(by) {
            *v *= s;
            finite &= v.is_finite();
        }
        self.finite &= finite;
    }
}

/// Plain loops, one element at a time, each sum taken in order from 0 with
/// the multiply-adds `FMA` names, as the blocked kernels sum products of
/// at most [`DIRECT_TINY`](gemm::DIRECT_TINY) multiply-adds. Rows this
/// short are not worth vector code, whose set-up would cost more than the
/// sums.
pub(super) struct InOrder<const FMA: bool>;

impl<const FMA: bool> Products for InOrder<FMA> {
    const FMA: bool = FMA;
    const STAGES: bool = false;

    #[inline(always)]
    fn forward(&mut self, (_, k, n): (usize, usize, usize), a: &[f64], w: &[f64], z: &mut [f64]) {
        for (a, z) in a.chunks_exact(k).zip(z.chunks_exact_mut(n)) {
            for (j, z) in z.iter_mut().enumerate() {
                *z = (0..k).fold(0.0, |s, q| madd::<FMA>(a[q], w[q * n + j], s));
            }
        }
    }

    #[inline(always)]
    fn weight_gradient(
        &mut self,
        add: bool,
        (rows, m, n): (usize, usize, usize),
        a: &[f64],
        delta: &[f64],
        dj_dw: &mut [f64],
    ) {
        for (p, g) in dj_dw.chunks_exact_mut(n).enumerate() {
            for (j, g) in g.iter_mut().enumerate() {
                let sum =
                    (0..rows).fold(0.0, |s, r| madd::<FMA>(a[r * m + p], delta[r * n + j], s));
                *g = if add { *g + sum } else { sum };
            }
        }
    }

    #[inline(always)]
    fn back(
        &mut self,
        (_, i, o): (usize, usize, usize),
        delta: &[f64],
        w: &[f64],
        fp: &[f64],
        below: &mut [f64],
    ) -> bool {
        for ((below, fp), delta) in below
            .chunks_exact_mut(i)
            .zip(fp.chunks_exact(i))
            .zip(delta.chunks_exact(o))
        {
            for ((b, &fp), w) in below.iter_mut().zip(fp).zip(w.chunks_exact(o)) {
                let back = w
                    .iter()
                    .zip(delta)
                    .fold(0.0, |s, (&w, &d)| madd::<FMA>(d, w, s));
                *b = back * fp;
            }
        }
        all_finite(below)
    }

    #[inline(always)]
    fn transposes(_: usize) -> bool {
        false
    }
}
