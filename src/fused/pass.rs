//! The derivation, once: one function per equation, applied layer after
//! layer to one block of rows, whichever [`Products`] compute the products.
//!
//! ```text
//! forward step      z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1)), f′(z(l+1))   a(1) = X
//! output error      δ(L) = −(y − ŷ) ⊙ f′(z(L))                                      ŷ = a(L)
//! weight gradient   ∂J/∂W(l) = a(l)ᵀ·δ(l+1)        ∂J/∂b(l) = Σ over rows of δ(l+1)
//! hidden error      δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l))
//! ```
//!
//! Layers are numbered from 1 as in the series; slices are indexed from 0,
//! so layer `k` of the slice is W(k+1).

use super::products::Products;
use crate::activation::activate;
use crate::cost::output_errors;
use crate::error::Error;
use crate::layer::{Layer, Term, finite_or_overflow};

/// The network as the pass reads it: its layers and, for each, the
/// weights to read (the layer's own, or a copy on a cache line).
#[derive(Clone, Copy)]
pub(super) struct Net<'a> {
    pub layers: &'a [Layer],
    pub lined: &'a [f64],
    /// Per layer, where its copy starts in `lined`, or `None`.
    pub copies: &'a [Option<usize>],
}

impl<'a> Net<'a> {
    /// W of layer `k` of the slice, as the products read it.
    #[inline(always)]
    pub fn w(&self, k: usize) -> &'a [f64] {
        let own = self.layers[k].weights.as_slice();
        match self.copies[k] {
            Some(at) => &self.lined[at..at + own.len()],
            None => own,
        }
    }
}

/// One block's per-example terms: for each layer `k` of the slice, rows of
/// a(k+2) at `offsets[2k]` and of f′(z(k+2)) at `offsets[2k + 1]` in
/// `values`, each room for the block's largest number of rows; and two
/// buffers for the hidden errors δ, used in turn.
pub(super) struct Terms<'a> {
    pub values: &'a mut [f64],
    pub offsets: &'a [usize],
    pub deltas: [&'a mut [f64]; 2],
}

/// Where one shard's sums go: the gradient of layer `k` at `offsets[k]` in
/// `values`, ∂J/∂W row by row, then ∂J/∂b where the layer has a bias; the
/// transposed sums of [`Products::transposes`] at `offsets[k]` in
/// `transposed`.
pub(super) struct Sums<'a> {
    pub values: &'a mut [f64],
    pub transposed: &'a mut [f64],
    pub offsets: &'a [usize],
}

/// The whole pass over one block of `rows` rows of X and y: its terms,
/// its share of every gradient sum (stored if not `add`, added if `add`),
/// and `half_sse` + ½ Σ (y − ŷ)² over its rows. `DEPTH` is 2 for a
/// network of two layers, whose steps are then written out, and 0 for any
/// depth.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn block<P: Products, const DEPTH: usize>(
    p: &mut P,
    net: Net<'_>,
    rows: usize,
    x: &[f64],
    y: &[f64],
    terms: &mut Terms<'_>,
    sums: &mut Sums<'_>,
    add: bool,
    half_sse: f64,
) -> Result<f64, Error> {
    let depth = net.layers.len();
    if DEPTH != 0 {
        // Stated once, so that the steps below index without checks.
        assert!(
            depth == DEPTH
                && net.copies.len() == DEPTH
                && terms.offsets.len() >= 2 * DEPTH
                && sums.offsets.len() >= DEPTH
        );
    }
    // Written out, each layer's loops are code of their own, whose
    // branches the CPU predicts apart: at the series' sizes a call is
    // mostly loop exits.
    if DEPTH == 2 {
        forward_step(p, net, 0, rows, x, terms)?;
        forward_step(p, net, 1, rows, x, terms)?;
    } else {
        for k in 0..depth {
            forward_step(p, net, k, rows, x, terms)?;
        }
    }
    let half_sse = output_error(net, rows, y, terms, half_sse);
    if DEPTH == 2 {
        backward_step(p, net, 1, rows, x, terms, sums, add)?;
        backward_step(p, net, 0, rows, x, terms, sums, add)?;
    } else {
        for k in (0..depth).rev() {
            backward_step(p, net, k, rows, x, terms, sums, add)?;
        }
    }
    Ok(half_sse)
}

/// For layer `k` of the slice, given δ(k+2): its weight gradient and,
/// below the first layer, δ(k+1). δ(L) is held where f′(z(L)) was; each
/// hidden δ goes to the buffer the one above it is not in.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_step<P: Products>(
    p: &mut P,
    net: Net<'_>,
    k: usize,
    rows: usize,
    x: &[f64],
    terms: &mut Terms<'_>,
    sums: &mut Sums<'_>,
    add: bool,
) -> Result<(), Error> {
    let last = net.layers.len() - 1;
    let units = net.layers[k].units();
    let (values, [first, second]) = (&*terms.values, &mut terms.deltas);
    // Counting down from the last layer, whose δ is in `values`, the
    // buffers take turns: δ(k+2) for k = last − 1 is in the first.
    let (delta, spare) = if k == last {
        let at = terms.offsets[2 * k + 1];
        (&values[at..at + rows * units], &mut **first)
    } else if (last - k) % 2 == 1 {
        (&first[..rows * units], &mut **second)
    } else {
        (&second[..rows * units], &mut **first)
    };
    let a = if k == 0 {
        x
    } else {
        let at = terms.offsets[2 * (k - 1)];
        &values[at..at + rows * net.layers[k].inputs()]
    };
    weight_gradient(p, net, k, rows, a, delta, sums, add);
    if k == 0 {
        return Ok(());
    }
    let at = terms.offsets[2 * (k - 1) + 1];
    let fp = &values[at..at + rows * net.layers[k].inputs()];
    hidden_error(p, net, k, rows, delta, fp, spare)
}

/// z(k+2) = a(k+1)·W(k+1) + b(k+1), then a(k+2) = f(z(k+2)) in place and
/// f′(z(k+2)) beside it, from one evaluation of f.
#[inline(always)]
fn forward_step<P: Products>(
    p: &mut P,
    net: Net<'_>,
    k: usize,
    rows: usize,
    x: &[f64],
    terms: &mut Terms<'_>,
) -> Result<(), Error> {
    let layer = &net.layers[k];
    let (i, o) = (layer.inputs(), layer.units());
    let at = terms.offsets[2 * k];
    let (below, here) = terms.values.split_at_mut(at);
    let a = if k == 0 {
        x
    } else {
        let from = terms.offsets[2 * (k - 1)];
        &below[from..from + rows * i]
    };
    let fp_at = terms.offsets[2 * k + 1] - at;
    let (z, rest) = here.split_at_mut(fp_at);
    let (z, fp) = (&mut z[..rows * o], &mut rest[..rows * o]);
    p.forward((rows, i, o), a, net.w(k), z);
    finite_or_overflow(activate_with::<P>(layer, z, fp), Term::Z, k + 2)
}

/// f over z with f′ beside it, by the multiply-adds of `P`.
#[inline(always)]
fn activate_with<P: Products>(layer: &Layer, z: &mut [f64], fp: &mut [f64]) -> bool {
    if P::FMA {
        activate::<true>(layer.activation, z, fp, layer.bias_slice())
    } else {
        activate::<false>(layer.activation, z, fp, layer.bias_slice())
    }
}

/// δ(L) = −(y − ŷ) ⊙ f′(z(L)), written over f′(z(L)); returns
/// `half_sse` + ½ Σ (y − ŷ)², added in row order.
#[inline(always)]
fn output_error(net: Net<'_>, rows: usize, y: &[f64], terms: &mut Terms<'_>, half_sse: f64) -> f64 {
    let k = net.layers.len() - 1;
    let o = net.layers[k].units();
    let (a_at, fp_at) = (terms.offsets[2 * k], terms.offsets[2 * k + 1]);
    let (front, back) = terms.values.split_at_mut(fp_at);
    let y_hat = &front[a_at..a_at + rows * o];
    output_errors(half_sse, y, y_hat, &mut back[..rows * o])
}

/// ∂J/∂W(k+1) = a(k+1)ᵀ·δ(k+2), and ∂J/∂b(k+1) = Σ over rows of δ(k+2)
/// where the layer has a bias: this block's share of both sums.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_gradient<P: Products>(
    p: &mut P,
    net: Net<'_>,
    k: usize,
    rows: usize,
    a: &[f64],
    delta: &[f64],
    sums: &mut Sums<'_>,
    add: bool,
) {
    let layer = &net.layers[k];
    let (i, o) = (layer.inputs(), layer.units());
    let at = sums.offsets[k];
    let (dj_dw, dj_db) = sums.values[at..at + layer.param_count()].split_at_mut(i * o);
    let dj_dw_t = &mut sums.transposed[at..];
    p.weight_gradient(add, (rows, i, o), a, delta, dj_dw, dj_dw_t);
    if layer.bias.is_some() {
        if !add {
            dj_db.fill(0.0);
        }
        for delta in delta.chunks_exact(o) {
            for (g, &d) in dj_db.iter_mut().zip(delta) {
                *g += d;
            }
        }
    }
}

/// δ(k+1) = δ(k+2)·W(k+1)ᵀ ⊙ f′(z(k+1)): the error carried back across
/// W(k+1), into `below`.
#[inline(always)]
fn hidden_error<P: Products>(
    p: &mut P,
    net: Net<'_>,
    k: usize,
    rows: usize,
    delta: &[f64],
    fp: &[f64],
    below: &mut [f64],
) -> Result<(), Error> {
    let layer = &net.layers[k];
    let (i, o) = (layer.inputs(), layer.units());
    let below = &mut below[..rows * i];
    let finite = p.back((rows, i, o), delta, net.w(k), fp, below);
    finite_or_overflow(finite, Term::Delta, k + 1)
}
