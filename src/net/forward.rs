//! The textbook forward pass, one whole-matrix operation per equation and
//! every intermediate kept, which the forward API, the cost and the traces
//! share:
//!
//! ```text
//! z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1))      a(1) = X
//! ```

use crate::activation::{Activate, Activation, Beside};
use crate::error::Error;
use crate::isa::{Path, dispatch};
use crate::layer::{Layer, Term, term};
use crate::matrix::Matrix;

/// The forward pass's terms, from l = 2 on.
pub(crate) struct Forward {
    pub z: Vec<Matrix>,
    pub a: Vec<Matrix>,
    /// f′(z(l)); for a softmax layer, ln ŷ instead.
    pub fp: Vec<Matrix>,
}

impl Forward {
    /// ŷ = a(L).
    pub(crate) fn y_hat(mut self) -> Matrix {
        self.a.pop().unwrap_or_else(|| Matrix::zeros(0, 0))
    }
}

/// The forward pass on an X already checked.
pub(crate) fn propagate(layers: &[Layer], x: &Matrix) -> Result<Forward, Error> {
    let apply = |f: Activation, z: &Matrix| {
        if f.is_elementwise() {
            (z.map(|z| f.apply(z)), z.map(|z| f.derivative(z)))
        } else {
            // Softmax, one row at a time: it has no element-wise f′
            // (cross-entropy, the one cost it serves, needs none), and
            // gives ln ŷ beside ŷ, from which J is computed.
            let mut a = z.clone();
            let mut ln_y_hat = Matrix::zeros(z.rows(), z.cols());
            dispatch(
                Path::best(),
                Activate {
                    f,
                    units: z.cols(),
                    z: a.as_mut_slice(),
                    beside: (ln_y_hat.as_mut_slice(), Beside::ForLoss),
                },
            );
            (a, ln_y_hat)
        }
    };
    let (mut zs, mut a_s, mut fps) = (Vec::new(), Vec::<Matrix>::new(), Vec::new());
    for (k, layer) in layers.iter().enumerate() {
        let a = a_s.last().unwrap_or(x);
        // z(l+1) = a(l)·W(l) + b(l)
        let mut z = a.dot(&layer.weights);
        if let Some(b) = layer.bias_slice() {
            for row in z.as_mut_slice().chunks_exact_mut(b.len()) {
                row.iter_mut().zip(b).for_each(|(z, b)| *z += b);
            }
        }
        if z.first_non_finite().is_some() {
            return Err(Error::Overflow {
                what: term(Term::Z, k + 2),
            });
        }
        // a(l+1) = f(z(l+1))
        let (a, fp) = apply(layer.activation, &z);
        a_s.push(a);
        fps.push(fp);
        zs.push(z);
    }
    Ok(Forward {
        z: zs,
        a: a_s,
        fp: fps,
    })
}

/// Rejects a computed term that left the range of `f64` although its inputs
/// were finite.
pub(crate) fn check_no_overflow(m: &Matrix, what: &'static str) -> Result<(), Error> {
    match m.first_non_finite() {
        None => Ok(()),
        Some(_) => Err(Error::Overflow { what }),
    }
}
