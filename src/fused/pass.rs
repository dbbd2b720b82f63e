//! The derivation, once: one function per equation, applied layer after
//! layer to one block of rows, whichever [`Products`] compute the products.
//!
//! ```text
//! forward step      z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1)), f′(z(l+1))   a(1) = X
//! output error      δ(L) = −(y − ŷ) ⊙ f′(z(L)), or ŷ − y under cross-entropy        ŷ = a(L)
//! weight gradient   ∂J/∂W(l) = a(l)ᵀ·δ(l+1)        ∂J/∂b(l) = Σ over rows of δ(l+1)
//! hidden error      δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l))
//! ```
//!
//! Layers are numbered from 1 as in the series; slices are indexed from 0,
//! so layer `k` of the slice is W(k+1).

use super::products::Products;
use crate::activation::{Beside, activate};
use crate::cost::Cost;
use crate::error::Error;
use crate::layer::{Layer, Term, finite_or_overflow};

/// The network as the pass reads it: its layers and cost and, for each
/// layer, the weights to read (the layer's own, or a copy on a cache line).
#[derive(Clone, Copy)]
pub(super) struct Net<'a> {
    pub layers: &'a [Layer],
    pub cost: Cost,
    pub lined: &'a [f64],
    /// Per layer, where its copy starts in `lined`, or `None`.
    pub copies: &'a [Option<usize>],
}

impl<'a> Net<'a> {
    /// What layer `k` of the slice writes beside a(k+2): what J is
    /// computed from for a cross-entropy output, else f′.
    #[inline(always)]
    fn beside(&self, k: usize) -> Beside {
        if k + 1 == self.layers.len() && self.cost.is_cross_entropy() {
            Beside::ForLoss
        } else {
            Beside::Derivative
        }
    }

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

/// Where one shard's sums go: the gradient of layer `k` in `layers[k]`,
/// ∂J/∂W row by row, then ∂J/∂b where the layer has a bias; ∂J/∂W as
/// [`Products::STAGES`] sums it at `offsets[k]` in `staged`.
pub(super) struct Sums<'a> {
    pub layers: &'a mut [Vec<f64>],
    pub staged: &'a mut [f64],
    pub offsets: &'a [usize],
}

/// The whole pass over one block of `rows` rows of X and y: its terms,
/// its share of every gradient sum (stored if not `add`, added if `add`),
/// and `loss` + the loss over its rows (½ Σ (y − ŷ)², or cross-entropy's). `DEPTH` is 2 for a
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
    loss: f64,
) -> Result<f64, Error> {
    if DEPTH == 2 {
        return two_layers(p, net, rows, x, y, terms, sums, add, loss);
    }
    let depth = net.layers.len();
    for k in 0..depth {
        forward_at(p, net, k, rows, x, terms)?;
    }
    let loss = output_error_at::<P>(net, rows, y, terms, loss);
    for k in (0..depth).rev() {
        backward_at(p, net, k, rows, x, terms, sums, add)?;
    }
    Ok(loss)
}

/// [`block`] for the series' network, X → a(2) → ŷ, with its terms named
/// as the video names them. Written out, each layer's loops are code of
/// their own, whose branches the CPU predicts apart: at the series' sizes
/// a call is mostly loop exits.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn two_layers<P: Products>(
    p: &mut P,
    net: Net<'_>,
    rows: usize,
    x: &[f64],
    y: &[f64],
    terms: &mut Terms<'_>,
    sums: &mut Sums<'_>,
    add: bool,
    loss: f64,
) -> Result<f64, Error> {
    let [l1, l2] = net.layers else {
        unreachable!("two_layers takes a network of two layers")
    };
    let (h, o) = (l1.units(), l2.units());
    let (w1, w2) = (net.w(0), net.w(1));
    let [a2_at, fp2_at, y_hat_at, fp3_at, ..] = *terms.offsets else {
        unreachable!("two layers have four terms")
    };
    let (a2, rest) = terms.values[a2_at..].split_at_mut(fp2_at - a2_at);
    let (fp2, rest) = rest.split_at_mut(y_hat_at - fp2_at);
    let (y_hat, fp3) = rest.split_at_mut(fp3_at - y_hat_at);
    let (a2, fp2) = (&mut a2[..rows * h], &mut fp2[..rows * h]);
    let (y_hat, fp3) = (&mut y_hat[..rows * o], &mut fp3[..rows * o]);
    let delta2 = &mut terms.deltas[0][..rows * h];
    let [dj_dw1, dj_dw2, ..] = &mut *sums.layers else {
        unreachable!("two layers have two gradients")
    };
    let [w1_at, w2_at, ..] = *sums.offsets else {
        unreachable!("two layers have two gradients")
    };
    let (staged1, staged2) = sums.staged[w1_at..].split_at_mut(w2_at - w1_at);

    forward_step(p, l1, w1, rows, x, a2, (fp2, net.beside(0)), 2)?;
    forward_step(p, l2, w2, rows, a2, y_hat, (fp3, net.beside(1)), 3)?;
    let delta3 = fp3;
    let loss = output_error::<P>(net, y, y_hat, delta3, loss);
    weight_gradient(p, l2, rows, a2, delta3, dj_dw2, staged2, add);
    hidden_error(p, l2, w2, rows, delta3, fp2, delta2, 2)?;
    weight_gradient(p, l1, rows, x, delta2, dj_dw1, staged1, add);
    Ok(loss)
}

/// The forward step of layer `k` of the slice: its operands found in
/// `terms`.
#[inline(always)]
fn forward_at<P: Products>(
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
    forward_step(p, layer, net.w(k), rows, a, z, (fp, net.beside(k)), k + 2)
}

/// The output error of the last layer: its operands found in `terms`.
#[inline(always)]
fn output_error_at<P: Products>(
    net: Net<'_>,
    rows: usize,
    y: &[f64],
    terms: &mut Terms<'_>,
    loss: f64,
) -> f64 {
    let k = net.layers.len() - 1;
    let o = net.layers[k].units();
    let (a_at, fp_at) = (terms.offsets[2 * k], terms.offsets[2 * k + 1]);
    let (front, back) = terms.values.split_at_mut(fp_at);
    let y_hat = &front[a_at..a_at + rows * o];
    output_error::<P>(net, y, y_hat, &mut back[..rows * o], loss)
}

/// For layer `k` of the slice, given δ(k+2): its weight gradient and,
/// below the first layer, δ(k+1), with their operands found in `terms`
/// and `sums`. δ(L) is held where f′(z(L)) was; each hidden δ goes to the
/// buffer the one above it is not in.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_at<P: Products>(
    p: &mut P,
    net: Net<'_>,
    k: usize,
    rows: usize,
    x: &[f64],
    terms: &mut Terms<'_>,
    sums: &mut Sums<'_>,
    add: bool,
) -> Result<(), Error> {
    let layer = &net.layers[k];
    let last = net.layers.len() - 1;
    let units = layer.units();
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
        &values[at..at + rows * layer.inputs()]
    };
    let (dj, at) = (&mut sums.layers[k], sums.offsets[k]);
    weight_gradient(p, layer, rows, a, delta, dj, &mut sums.staged[at..], add);
    if k == 0 {
        return Ok(());
    }
    let at = terms.offsets[2 * (k - 1) + 1];
    let fp = &values[at..at + rows * layer.inputs()];
    let below = &mut spare[..rows * layer.inputs()];
    hidden_error(p, layer, net.w(k), rows, delta, fp, below, k + 1)
}

/// z(l+1) = a(l)·W(l) + b(l), then a(l+1) = f(z(l+1)) in place of z(l+1)
/// and f′(z(l+1)) (or z(l+1), as `beside` says) into its buffer, from one
/// evaluation of f. `z` is layer l+1's rows, numbered `l + 1` in errors.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_step<P: Products>(
    p: &mut P,
    layer: &Layer,
    w: &[f64],
    rows: usize,
    a: &[f64],
    z: &mut [f64],
    beside: (&mut [f64], Beside),
    l_plus_1: usize,
) -> Result<(), Error> {
    p.forward((rows, layer.inputs(), layer.units()), a, w, z);
    finite_or_overflow(activate_with::<P>(layer, z, beside), Term::Z, l_plus_1)
}

/// f over z with f′ or z beside it, by the multiply-adds of `P`.
#[inline(always)]
fn activate_with<P: Products>(layer: &Layer, z: &mut [f64], beside: (&mut [f64], Beside)) -> bool {
    let (f, units, bias) = (layer.activation, layer.units(), layer.bias_slice());
    if P::FMA {
        activate::<true>(f, units, z, beside, bias)
    } else {
        activate::<false>(f, units, z, beside, bias)
    }
}

/// δ(L), the cost's output error, written over what the forward step put
/// beside ŷ; returns `loss` + this block's loss, added in row order.
#[inline(always)]
fn output_error<P: Products>(
    net: Net<'_>,
    y: &[f64],
    y_hat: &[f64],
    beside_then_delta: &mut [f64],
    loss: f64,
) -> f64 {
    let output = &net.layers[net.layers.len() - 1];
    let (f, units) = (output.activation, output.units());
    if P::FMA {
        net.cost
            .output_errors::<true>(f, units, loss, y, y_hat, beside_then_delta)
    } else {
        net.cost
            .output_errors::<false>(f, units, loss, y, y_hat, beside_then_delta)
    }
}

/// ∂J/∂W(l) = a(l)ᵀ·δ(l+1), and ∂J/∂b(l) = Σ over rows of δ(l+1) where
/// the layer has a bias: this block's share of both sums, into `dj` (W's
/// then b's), ∂J/∂W into `staged` where [`Products::STAGES`] says so.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_gradient<P: Products>(
    p: &mut P,
    layer: &Layer,
    rows: usize,
    a: &[f64],
    delta: &[f64],
    dj: &mut [f64],
    staged: &mut [f64],
    add: bool,
) {
    let (i, o) = (layer.inputs(), layer.units());
    let (dj_dw, dj_db) = dj.split_at_mut(i * o);
    let sum = if P::STAGES { staged } else { dj_dw };
    p.weight_gradient(add, (rows, i, o), a, delta, sum);
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

/// δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l)): the error carried back across W(l),
/// into `below`, layer l's rows, numbered `l` in errors.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn hidden_error<P: Products>(
    p: &mut P,
    layer: &Layer,
    w: &[f64],
    rows: usize,
    delta: &[f64],
    fp: &[f64],
    below: &mut [f64],
    l: usize,
) -> Result<(), Error> {
    let finite = p.back((rows, layer.inputs(), layer.units()), delta, w, fp, below);
    finite_or_overflow(finite, Term::Delta, l)
}
