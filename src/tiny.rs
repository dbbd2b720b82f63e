//! The gradient of a network so small (the series' 2-3-1 network on its
//! three examples) that the cost of a call is its overhead: one pass of
//! plain loops over the workspace's buffers, with no product set-up, no
//! zero-filled temporaries and no shards.
//!
//! Every sum is taken in order, one multiply-add after another from 0, as
//! the matrix products take sums this small, so the forward pass gives the
//! bits of [`TwoLayerNet::forward`](crate::TwoLayerNet::forward) and J the
//! bits of [`TwoLayerNet::cost`](crate::TwoLayerNet::cost).

use crate::activation::activate;
use crate::cost::output_errors;
use crate::error::Error;
use crate::exp::madd;
use crate::gemm::DIRECT_TINY;
use crate::matrix::all_finite;

/// Whether a batch of `n` examples through a network of sizes (i, h, o)
/// takes this path: both forward products at most [`DIRECT_TINY`]
/// multiply-adds, the size up to which every product sums in order.
pub(crate) fn fits(n: usize, (i, h, o): (usize, usize, usize)) -> bool {
    n * h * i <= DIRECT_TINY && n * h * o <= DIRECT_TINY
}

/// The operands and the buffers of one tiny pass, each row-major.
pub(crate) struct TinyPass<'a> {
    /// (N, inputs, hidden, outputs).
    pub dims: (usize, usize, usize, usize),
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub w1: &'a [f64],
    pub w2: &'a [f64],
    pub a2: &'a mut [f64],
    pub fp2: &'a mut [f64],
    pub y_hat: &'a mut [f64],
    pub delta3: &'a mut [f64],
    pub delta2: &'a mut [f64],
    pub dj_dw1: &'a mut [f64],
    pub dj_dw2: &'a mut [f64],
}

impl TinyPass<'_> {
    /// Both gradient sums, a(2)ᵀ·δ(3) and Xᵀ·δ(2), and ½ Σ (y − ŷ)².
    #[inline(always)]
    pub(crate) fn run<const FMA: bool>(self) -> Result<f64, Error> {
        let TinyPass {
            dims: (_, i, h, o),
            x,
            y,
            w1,
            w2,
            a2,
            fp2,
            y_hat,
            delta3,
            delta2,
            dj_dw1,
            dj_dw2,
        } = self;
        let m = madd::<FMA>;

        // z(2) = X·W(1), then a(2) = f(z(2)) and f′(z(2)).
        product_in_order::<FMA>(x, w1, i, h, a2);
        if !activate::<FMA>(a2, fp2) {
            return Err(Error::Overflow { what: "z(2)" });
        }

        // z(3) = a(2)·W(2), then ŷ = f(z(3)) with f′(z(3)) held in δ(3),
        // which becomes −(y − ŷ) ⊙ f′(z(3)).
        product_in_order::<FMA>(a2, w2, h, o, y_hat);
        if !activate::<FMA>(y_hat, delta3) {
            return Err(Error::Overflow { what: "z(3)" });
        }
        let half_sse = output_errors(0.0, y, y_hat, delta3);

        // ∂J/∂W(2) = a(2)ᵀ·δ(3)
        transposed_product::<FMA>(a2, delta3, h, o, dj_dw2);

        // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))
        for ((delta2, fp2), delta3) in delta2
            .chunks_exact_mut(h)
            .zip(fp2.chunks_exact(h))
            .zip(delta3.chunks_exact(o))
        {
            for ((d2, &fp), w2) in delta2.iter_mut().zip(fp2).zip(w2.chunks_exact(o)) {
                let back = w2.iter().zip(delta3).fold(0.0, |s, (&w, &d)| m(d, w, s));
                *d2 = back * fp;
            }
        }
        if !all_finite(delta2) {
            return Err(Error::Overflow { what: "δ(2)" });
        }

        // ∂J/∂W(1) = Xᵀ·δ(2)
        transposed_product::<FMA>(x, delta2, i, h, dj_dw1);
        Ok(half_sse)
    }
}

// The loops below take one element of c at a time and sum along a strided
// column: rows this short are not worth vector code, whose set-up would
// cost more than the sums.

/// c ← a·b (a with k columns, b k × n), each element summed in order from 0
/// as the product kernels sum products of at most [`DIRECT_TINY`]
/// multiply-adds.
#[inline(always)]
fn product_in_order<const FMA: bool>(a: &[f64], b: &[f64], k: usize, n: usize, c: &mut [f64]) {
    for (a, c) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for (j, c) in c.iter_mut().enumerate() {
            *c = (0..k).fold(0.0, |s, q| madd::<FMA>(a[q], b[q * n + j], s));
        }
    }
}

/// c ← aᵀ·b (a stored with m columns, b with n, both with the same rows),
/// c m × n.
#[inline(always)]
fn transposed_product<const FMA: bool>(a: &[f64], b: &[f64], m: usize, n: usize, c: &mut [f64]) {
    let rows = a.len() / m;
    for (p, c) in c.chunks_exact_mut(n).enumerate().take(m) {
        for (j, c) in c.iter_mut().enumerate() {
            *c = (0..rows).fold(0.0, |s, r| madd::<FMA>(a[r * m + p], b[r * n + j], s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gradients, Matrix, TwoLayerNet, Workspace, sigmoid};

    /// Shapes on both sides of the threshold give the trace's gradients,
    /// and J exactly as `cost` computes it, including where the product
    /// kernels would otherwise sum a single column in interleaved lanes
    /// (H = 1 with I ≥ 8, O = 1 with H ≥ 8).
    #[test]
    fn agrees_with_the_trace_and_the_cost_on_both_sides_of_the_threshold() {
        let mut ws = Workspace::new();
        for ((n, i, h, o), tiny) in [
            ((3, 2, 3, 1), true),
            ((1, 1, 1, 1), true),
            ((2, 8, 16, 4), true),
            ((4, 8, 16, 8), true),
            ((3, 2, 16, 1), true),
            ((2, 16, 1, 1), true),
            ((4, 4, 24, 1), true),
            ((5, 8, 16, 2), false),
            ((64, 16, 32, 1), false),
            // Outputs on both sides of the narrow product's width (12).
            ((40, 8, 16, 12), false),
            ((40, 4, 24, 13), false),
            ((64, 8, 16, 20), false),
        ] {
            assert_eq!(fits(n, (i, h, o)), tiny, "{:?}", (n, i, h, o));
            for seed in 0..20 {
                let net = TwoLayerNet::random(i, h, o, seed).unwrap();
                let x = Matrix::randn(n, i, seed + 100);
                let y = Matrix::randn(n, o, seed + 200).map(sigmoid);
                let (j, g) = net.cost_and_gradients_in(&x, &y, &mut ws).unwrap();
                assert_eq!(j, net.cost(&x, &y).unwrap(), "{:?}", (n, i, h, o));
                let want = Gradients::from(net.trace(&x, &y).unwrap()).to_vec();
                for (a, b) in g.to_vec().iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-13 * b.abs().max(1e-3), "{a} vs {b}");
                }
            }
        }
    }
}
