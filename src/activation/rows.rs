//! An activation over a block of rows of z, as the passes apply it: f and
//! f′ (or what the loss needs) of every element, in loops the compiler
//! vectorises.

use super::{Activation, relu_with_prime, sigmoid_exp, sigmoid_from_exp, tanh_exp, tanh_from_exp};
use crate::exp::exp_nonpositive;
use crate::isa::{Isa, Routine};

/// What [`activate`] writes beside a(l) = f(z(l)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beside {
    /// f′(z), which backpropagation multiplies δ by.
    Derivative,
    /// What cross-entropy's J is computed from, for an output layer whose
    /// δ needs no f′: z itself (with the bias added), or for softmax, which
    /// always writes this, ln ŷ = z − ln Σ e^z by log-sum-exp. Either way
    /// ln ŷ never rounds to ln 0.
    ForLoss,
}

/// A layer's activation over a block of rows of z, `units` values each:
/// every z replaced by f(z + b), with b the layer's bias where it has one,
/// and f′(z + b), or what the loss is computed from, written beside it,
/// as `beside` says, from one evaluation per element in branch-free code
/// the compiler vectorises. With `FMA` as the running path sets it, equal element by element to
/// [`Activation::apply`] and [`Activation::derivative`] of z + b (softmax:
/// to [`softmax_rows`]). Returns whether every z + b was
/// finite.
#[inline(always)]
pub(crate) fn activate<const FMA: bool>(
    f: Activation,
    units: usize,
    z: &mut [f64],
    beside: (&mut [f64], Beside),
    bias: Option<&[f64]>,
) -> bool {
    let (fp, what) = beside;
    // One loop per activation, so that each is compiled without a branch
    // on the kind inside it.
    match (f, what) {
        (Activation::Softmax, _) => softmax_rows::<FMA>(units, z, fp, bias),
        (_, Beside::ForLoss) => apply_rows(units, |z| (f.with_prime::<FMA>(z).0, z), z, fp, bias),
        (Activation::Sigmoid, _) => {
            apply_rows_in_two(units, sigmoid_exp::<FMA>, sigmoid_from_exp, z, fp, bias)
        }
        (Activation::Tanh, _) => {
            apply_rows_in_two(units, tanh_exp::<FMA>, tanh_from_exp, z, fp, bias)
        }
        (Activation::Relu, _) => apply_rows(units, relu_with_prime, z, fp, bias),
        (Activation::Identity, _) => apply_rows(units, |z| (z, 1.0), z, fp, bias),
    }
}

#[inline(always)]
fn apply_rows(
    units: usize,
    f: impl Fn(f64) -> (f64, f64),
    z: &mut [f64],
    fp: &mut [f64],
    bias: Option<&[f64]>,
) -> bool {
    let mut finite = true;
    match bias {
        // Adding 0.0 would turn −0.0 into +0.0: without a bias, z as it is.
        None => {
            for (z, fp) in z.iter_mut().zip(fp.iter_mut()) {
                finite &= z.is_finite();
                (*z, *fp) = f(*z);
            }
        }
        Some(b) => {
            for (z, fp) in z.chunks_exact_mut(units).zip(fp.chunks_exact_mut(units)) {
                for ((z, fp), &b) in z.iter_mut().zip(fp.iter_mut()).zip(b) {
                    let z_b = *z + b;
                    finite &= z_b.is_finite();
                    (*z, *fp) = f(z_b);
                }
            }
        }
    }
    finite
}

/// The values an activation with an exponential is evaluated over at a
/// time: a row of z, or a run of this many where there is no bias; both
/// passes of [`apply_rows_in_two`] over it stay in L1.
const RUN: usize = 256;

/// As [`apply_rows`], for an f evaluated in two stages, `first` (the
/// exponential, whose result it writes in f′'s place) over a whole row,
/// then `second` (the rest, with its division) over the row again. Each
/// element takes the same operations as in one pass, so the same bits; as
/// two short loops they keep more elements in flight than one long chain
/// of dependent operations per element does.
#[inline(always)]
fn apply_rows_in_two(
    units: usize,
    first: impl Fn(f64) -> (f64, f64),
    second: impl Fn(f64, f64) -> (f64, f64),
    z: &mut [f64],
    fp: &mut [f64],
    bias: Option<&[f64]>,
) -> bool {
    // A row at a time where the bias repeats per row, else runs of RUN.
    let run = if bias.is_some() { units } else { RUN };
    let mut finite = true;
    for (z, fp) in z.chunks_mut(run).zip(fp.chunks_mut(run)) {
        finite &= apply_rows(units, &first, z, fp, bias);
        for (z, fp) in z.iter_mut().zip(fp.iter_mut()) {
            (*z, *fp) = second(*z, *fp);
        }
    }
    finite
}

/// ŷ = softmax(z + b) of each row of `units` values, in place of z, and
/// ln ŷ into `ln_y_hat`:
///
/// ```text
/// ŷₖ = e^(zₖ − m) / S      ln ŷₖ = (zₖ − m) − ln S      S = Σⱼ e^(zⱼ − m)
/// ```
///
/// with m the row's largest z, so that every exponent is ≤ 0 and S lies in
/// [1, row length]: ln ŷ is log-sum-exp's, finite wherever z − m is. The
/// one form of softmax, for the fast pass and the textbook route alike.
/// Returns whether every z + b was finite.
#[inline(always)]
fn softmax_rows<const FMA: bool>(
    units: usize,
    z: &mut [f64],
    ln_y_hat: &mut [f64],
    bias: Option<&[f64]>,
) -> bool {
    // Plain loops, not closures: each is then compiled, inlined, for the
    // caller's instruction set.
    let mut finite = true;
    for (z, ln) in z
        .chunks_exact_mut(units)
        .zip(ln_y_hat.chunks_exact_mut(units))
    {
        if let Some(b) = bias {
            for (z, b) in z.iter_mut().zip(b) {
                *z += b;
            }
        }
        let mut m = f64::NEG_INFINITY;
        for &z in z.iter() {
            finite &= z.is_finite();
            m = m.max(z);
        }
        for (z, ln) in z.iter().zip(ln.iter_mut()) {
            *ln = z - m;
        }
    }
    // Over the whole block at once, not row by row, so that the
    // exponentials fill whole vectors however short the rows are.
    for (z, &ln) in z.iter_mut().zip(ln_y_hat.iter()) {
        *z = exp_nonpositive::<FMA>(ln);
    }
    for (z, ln) in z
        .chunks_exact_mut(units)
        .zip(ln_y_hat.chunks_exact_mut(units))
    {
        let sum: f64 = z.iter().sum();
        let (inv, ln_sum) = (1.0 / sum, sum.ln());
        for (z, ln) in z.iter_mut().zip(ln.iter_mut()) {
            *z *= inv;
            *ln -= ln_sum;
        }
    }
    finite
}

/// A row-wise or element-wise activation of a whole matrix of z, with
/// what `beside` says next to it, through the multiply-adds of the path it
/// runs on: what the textbook route and the tests call.
pub(crate) struct Activate<'a> {
    pub f: Activation,
    pub units: usize,
    pub z: &'a mut [f64],
    pub beside: (&'a mut [f64], Beside),
}

#[cfg(test)]
impl<'a> Activate<'a> {
    /// f over z, no bias, f′ into `fp`.
    pub fn with_derivative(f: Activation, z: &'a mut [f64], fp: &'a mut [f64]) -> Self {
        Activate {
            f,
            units: 1,
            z,
            beside: (fp, Beside::Derivative),
        }
    }
}

impl Routine for Activate<'_> {
    type Output = bool;
    fn run<I: Isa>(self, _: I) -> bool {
        let Activate {
            f,
            units,
            z,
            beside,
        } = self;
        if I::FMA {
            activate::<true>(f, units, z, beside, None)
        } else {
            activate::<false>(f, units, z, beside, None)
        }
    }
}
