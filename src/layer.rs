//! One layer of a network, as the fused pass and the networks both see it,
//! and the names of the derivation's terms by layer.

use crate::activation::Activation;
use crate::error::Error;
use crate::matrix::Matrix;

/// One layer of a [`Network`](crate::Network): its weights W(l), an
/// optional bias b(l) and the activation f it applies, taking a(l) to
///
/// ```text
/// z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1))
/// ```
///
/// W(l) is `inputs × units`; b(l), where the layer has one, is `1 × units`
/// and is added to every row.
///
/// # Examples
///
/// ```
/// use backprop::{Activation, Network};
///
/// let net = Network::random(&[2, 3, 1], 0)?;
/// let first = &net.layers()[0];
/// assert_eq!((first.inputs(), first.units()), (2, 3));
/// assert_eq!(first.activation(), Activation::Sigmoid);
/// assert!(first.bias().is_none());
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub(crate) weights: Matrix,
    pub(crate) bias: Option<Matrix>,
    pub(crate) activation: Activation,
}

impl Layer {
    /// W(l), `inputs × units`.
    #[must_use]
    pub fn weights(&self) -> &Matrix {
        &self.weights
    }

    /// b(l), `1 × units`, if the layer has a bias.
    #[must_use]
    pub fn bias(&self) -> Option<&Matrix> {
        self.bias.as_ref()
    }

    /// The activation f of z(l+1).
    #[must_use]
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Inputs to the layer: rows of W(l).
    #[must_use]
    pub fn inputs(&self) -> usize {
        self.weights.rows()
    }

    /// Units of the layer: columns of W(l).
    #[must_use]
    pub fn units(&self) -> usize {
        self.weights.cols()
    }

    /// Parameters of the layer: W(l)'s, then b(l)'s.
    #[must_use]
    pub fn param_count(&self) -> usize {
        self.weights.as_slice().len() + self.bias.as_ref().map_or(0, |b| b.cols())
    }

    pub(crate) fn bias_slice(&self) -> Option<&[f64]> {
        self.bias.as_ref().map(Matrix::as_slice)
    }
}

/// A term of the derivation that carries a layer number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Term {
    /// z(l)
    Z,
    /// δ(l)
    Delta,
    /// W(l)
    W,
    /// b(l)
    B,
    /// ∂J/∂W(l), spelt dJ/dW(l) as in the errors.
    DjDw,
    /// ∂J/∂b(l)
    DjDb,
}

macro_rules! numbered {
    ($prefix:literal; $($n:literal)*) => {
        [$(concat!($prefix, "(", $n, ")")),*]
    };
}

macro_rules! table {
    ($prefix:literal) => {
        numbered!($prefix; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25
            26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54
            55 56 57 58 59 60 61 62 63 64)
    };
}

/// Layer numbers [`term`] spells out; deeper terms are named without their
/// number.
const NAMED: usize = 64;

/// The name of term `t` of layer `l`, as errors carry it: "z(2)", "δ(3)",
/// "dJ/dW(1)", …, numbered as the series numbers them (a(1) = X).
pub(crate) fn term(t: Term, l: usize) -> &'static str {
    const Z: [&str; NAMED + 1] = table!("z");
    const DELTA: [&str; NAMED + 1] = table!("δ");
    const W: [&str; NAMED + 1] = table!("W");
    const B: [&str; NAMED + 1] = table!("b");
    const DJ_DW: [&str; NAMED + 1] = table!("dJ/dW");
    const DJ_DB: [&str; NAMED + 1] = table!("dJ/db");
    let (names, deep) = match t {
        Term::Z => (&Z, "z(l), l > 64"),
        Term::Delta => (&DELTA, "δ(l), l > 64"),
        Term::W => (&W, "W(l), l > 64"),
        Term::B => (&B, "b(l), l > 64"),
        Term::DjDw => (&DJ_DW, "dJ/dW(l), l > 64"),
        Term::DjDb => (&DJ_DB, "dJ/db(l), l > 64"),
    };
    names.get(l).copied().unwrap_or(deep)
}

/// `Ok` if a computed term stayed finite, else the overflow of term `t` of
/// layer `l`.
pub(crate) fn finite_or_overflow(finite: bool, t: Term, l: usize) -> Result<(), Error> {
    if finite {
        Ok(())
    } else {
        Err(Error::Overflow { what: term(t, l) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_numbered_as_in_the_series() {
        assert_eq!(term(Term::Z, 2), "z(2)");
        assert_eq!(term(Term::Delta, 3), "δ(3)");
        assert_eq!(term(Term::DjDw, 1), "dJ/dW(1)");
        assert_eq!(term(Term::DjDb, 64), "dJ/db(64)");
        assert_eq!(term(Term::W, 65), "W(l), l > 64");
    }
}
