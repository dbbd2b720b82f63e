//! The textbook route: one whole-matrix operation per equation, every
//! intermediate kept, for a learner to print ([`Trace`] for the series'
//! network, [`NetworkTrace`] for any depth). It is kept apart from the
//! fused pass on purpose: it is the oracle the fused paths are tested
//! against, written as plainly as the derivation.

use std::fmt;

use crate::cost::{Cost, cross_entropy_errors};
use crate::error::Error;
use crate::layer::{Term, term};
use crate::matrix::Matrix;
use crate::net::forward::{Forward, check_no_overflow, propagate};
use crate::net::network::Network;
use crate::net::{Gradients, NetworkGradients};

/// Every term of the derivation for one batch through a [`Network`]: each
/// z(l), a(l) and δ(l), and each ∂J/∂W(l) and ∂J/∂b(l). With the
/// regularised [`Cost`] the gradients include its `/ N + λ·W` terms; the
/// errors δ are the same for both costs.
///
/// Index `k` of each vector belongs to layer l = k + 2 of units (z, a, δ)
/// or to W(k + 1) (the gradients): `z[0]` is z(2), `dj_dw[0]` is ∂J/∂W(1).
/// Printing it with `{}` (or `{:.4}`) lists each term under its equation.
///
/// # Examples
///
/// ```
/// use backprop::{data, Network};
///
/// let d = data::part1_normalised();
/// let net = Network::random(&[2, 4, 3, 1], 7)?;
/// let t = net.trace(&d.x, &d.y)?;
/// assert_eq!(t.z[1].shape(), (3, 3)); // z(3)
/// assert_eq!(t.dj_dw[2].shape(), (3, 1)); // ∂J/∂W(3)
/// assert!(format!("{t:.4}").contains("δ(3) = δ(4)·W(3)ᵀ ⊙ f′(z(3))"));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NetworkTrace {
    /// z(l+1) = a(l)·W(l) + b(l), N × units, for l = 1 … L−1.
    pub z: Vec<Matrix>,
    /// a(l+1) = f(z(l+1)), N × units; the last is ŷ.
    pub a: Vec<Matrix>,
    /// δ(l+1), N × units: the last is −(y − ŷ) ⊙ f′(z(L)) (ŷ − y under
    /// cross-entropy), the others δ(l+1)·W(l+1)ᵀ ⊙ f′(z(l+1)).
    pub delta: Vec<Matrix>,
    /// ∂J/∂W(l) = a(l)ᵀ·δ(l+1), the shape of W(l).
    pub dj_dw: Vec<Matrix>,
    /// ∂J/∂b(l) = Σ over examples of δ(l+1), `1 × units`, where layer l has
    /// a bias.
    pub dj_db: Vec<Option<Matrix>>,
    /// The cost the gradients are of, so that printing shows its equations.
    pub cost: Cost,
}

impl NetworkTrace {
    /// The gradients alone.
    #[must_use]
    pub fn gradients(&self) -> NetworkGradients {
        NetworkGradients {
            dj_dw: self.dj_dw.clone(),
            dj_db: self.dj_db.clone(),
        }
    }
}

impl Network {
    /// Every term of the derivation for this batch; see [`NetworkTrace`].
    ///
    /// This is the textbook route, one whole-matrix operation per equation.
    /// [`gradients`](Self::gradients) computes the same numbers by a fused
    /// pass that keeps only what it needs; the tests hold the two together.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network};
    ///
    /// let d = data::part1_normalised();
    /// let t = Network::random(&[2, 3, 3, 1], 3)?.trace(&d.x, &d.y)?;
    /// println!("{t:.4}");
    /// assert_eq!(t.a[0], t.z[0].map(backprop::sigmoid));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn trace(&self, x: &Matrix, y: &Matrix) -> Result<NetworkTrace, Error> {
        self.check_xy(x, y)?;
        self.check_targets(y)?;
        let layers = self.layers();
        let Forward { z, a, fp } = propagate(layers, x)?;
        let (n, cost) = (x.rows(), self.cost_function());
        let depth = layers.len();
        let mut delta = vec![Matrix::zeros(0, 0); depth];
        let mut dj_dw = vec![Matrix::zeros(0, 0); depth];
        let mut dj_db = vec![None; depth];
        // −(y − ŷ) is ŷ − y exactly in IEEE arithmetic.
        delta[depth - 1] = if cost.is_cross_entropy() {
            // δ(L) = ŷ − y (softmax: ŷ·Σₖ yₖ − y): f′(z(L)) has cancelled.
            let mut delta = Matrix::zeros(y.rows(), y.cols());
            let f = layers[depth - 1].activation;
            let (y_hat, units) = (a[depth - 1].as_slice(), y.cols());
            cross_entropy_errors(f, units, y.as_slice(), y_hat, delta.as_mut_slice());
            delta
        } else {
            // δ(L) = −(y − ŷ) ⊙ f′(z(L))
            (&a[depth - 1] - y).multiply(&fp[depth - 1])
        };
        for k in (0..depth).rev() {
            let layer = &layers[k];
            let a_k = if k == 0 { x } else { &a[k - 1] };
            // ∂J/∂W(l) = a(l)ᵀ·δ(l+1): the sum over examples of each one's vote.
            dj_dw[k] = cost.gradient(a_k.tr_dot(&delta[k]), &layer.weights, n);
            check_no_overflow(&dj_dw[k], term(Term::DjDw, k + 1))?;
            if layer.bias.is_some() {
                // ∂J/∂b(l) = Σ over examples of δ(l+1)
                let units = layer.units();
                let mut sums = Matrix::from_fn(1, units, |_, j| {
                    (0..n).fold(0.0, |s, r| s + delta[k][(r, j)])
                });
                cost.finish_bias_gradient(sums.as_mut_slice(), n);
                check_no_overflow(&sums, term(Term::DjDb, k + 1))?;
                dj_db[k] = Some(sums);
            }
            if k > 0 {
                // δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l)): the error carried back across W(l).
                let below = delta[k].dot_tr(&layer.weights).multiply(&fp[k - 1]);
                check_no_overflow(&below, term(Term::Delta, k + 1))?;
                delta[k - 1] = below;
            }
        }
        Ok(NetworkTrace {
            z,
            a,
            delta,
            dj_dw,
            dj_db,
            cost,
        })
    }
}

impl fmt::Display for NetworkTrace {
    /// Each term under the equation that defines it; precision and width
    /// apply to every element, as for [`Matrix`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Terms {
            z: self.z.iter().collect(),
            a: self.a.iter().collect(),
            delta: self.delta.iter().collect(),
            dj_dw: self.dj_dw.iter().collect(),
            dj_db: self.dj_db.iter().map(Option::as_ref).collect(),
            cost: self.cost,
        }
        .fmt(f)
    }
}

/// A trace's terms, index `k` as in [`NetworkTrace`], as both traces
/// print them: the forward pass, then layer by layer back from the output
/// the error δ and the gradients it gives.
struct Terms<'a> {
    z: Vec<&'a Matrix>,
    a: Vec<&'a Matrix>,
    delta: Vec<&'a Matrix>,
    dj_dw: Vec<&'a Matrix>,
    dj_db: Vec<Option<&'a Matrix>>,
    cost: Cost,
}

impl fmt::Display for Terms<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depth = self.z.len();
        let mut first = true;
        let mut show = |f: &mut fmt::Formatter<'_>, label: String, m: &Matrix| {
            if !std::mem::take(&mut first) {
                writeln!(f)?;
            }
            writeln!(f, "{label}")?;
            fmt::Display::fmt(m, f)
        };
        // a(l), with a(1) = X.
        let a = |l: usize| {
            if l == 1 {
                "X".to_string()
            } else {
                format!("a({l})")
            }
        };
        for k in 0..depth {
            let l = k + 2;
            show(f, format!("z({l}) = {}·W({})", a(l - 1), l - 1), self.z[k])?;
            let out = if k + 1 == depth {
                "ŷ".to_string()
            } else {
                a(l)
            };
            show(f, format!("{out} = f(z({l}))"), self.a[k])?;
        }
        let scale = if self.cost.is_mean() { " / N" } else { "" };
        for k in (0..depth).rev() {
            let (l, w) = (k + 2, k + 1);
            let delta = if k + 1 == depth {
                self.cost.output_error_equation(l)
            } else {
                format!("δ({l}) = δ({})·W({l})ᵀ ⊙ f′(z({l}))", l + 1)
            };
            show(f, delta, self.delta[k])?;
            let penalty = match self.cost.lambda() {
                Some(_) => format!(" + λ·W({w})"),
                None => String::new(),
            };
            show(
                f,
                format!("∂J/∂W({w}) = {}ᵀ·δ({l}){scale}{penalty}", a(w)),
                self.dj_dw[k],
            )?;
            if let Some(b) = self.dj_db[k] {
                show(f, format!("∂J/∂b({w}) = Σ δ({l}){scale}"), b)?;
            }
        }
        Ok(())
    }
}

/// Every term of the derivation for one batch, from the forward pass to both
/// gradients, for a learner to print and inspect. With the regularised
/// [`Cost`] the gradients include its `/ N + λ·W` terms; the errors δ are the
/// same for both costs.
///
/// Printing it with `{}` (or `{:.4}` for four decimals) lists each term under
/// the equation that defines it.
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let net = TwoLayerNet::random(2, 3, 1, 7)?;
/// let t = net.trace(&d.x, &d.y)?;
/// assert_eq!(t.z2.shape(), (3, 3));
/// assert_eq!(t.delta3.shape(), (3, 1));
/// assert_eq!(t.dj_dw1, net.gradients(&d.x, &d.y)?.dj_dw1);
/// let text = format!("{t:.4}");
/// assert!(text.contains("δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))"));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// z(2) = X·W(1): the hidden layer's activity, N × hidden.
    pub z2: Matrix,
    /// a(2) = f(z(2)): the hidden layer's activation, N × hidden.
    pub a2: Matrix,
    /// z(3) = a(2)·W(2): the output layer's activity, N × outputs.
    pub z3: Matrix,
    /// ŷ = f(z(3)): the prediction, N × outputs.
    pub y_hat: Matrix,
    /// δ(3) = −(y − ŷ) ⊙ f′(z(3)) (ŷ − y under cross-entropy): the
    /// backpropagating error at the output, N × outputs.
    pub delta3: Matrix,
    /// δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2)): the error sent back to the hidden layer,
    /// N × hidden.
    pub delta2: Matrix,
    /// ∂J/∂W(1) = Xᵀ·δ(2), inputs × hidden.
    pub dj_dw1: Matrix,
    /// ∂J/∂W(2) = a(2)ᵀ·δ(3), hidden × outputs.
    pub dj_dw2: Matrix,
    /// The cost the gradients are of, so that printing shows its equations.
    pub cost: Cost,
}

impl From<Trace> for Gradients {
    fn from(t: Trace) -> Self {
        Gradients {
            dj_dw1: t.dj_dw1,
            dj_dw2: t.dj_dw2,
        }
    }
}

impl fmt::Display for Trace {
    /// Each term under the equation that defines it, as a
    /// [`NetworkTrace`] prints them; precision and width apply to every
    /// element, as for [`Matrix`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Terms {
            z: vec![&self.z2, &self.z3],
            a: vec![&self.a2, &self.y_hat],
            delta: vec![&self.delta2, &self.delta3],
            dj_dw: vec![&self.dj_dw1, &self.dj_dw2],
            dj_db: vec![None, None],
            cost: self.cost,
        }
        .fmt(f)
    }
}
