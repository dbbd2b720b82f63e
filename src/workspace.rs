//! The fast gradient path: the same backpropagation as [`TwoLayerNet::trace`],
//! fused and written into buffers that are reused from call to call.
//!
//! The forward pass applies f and f′ while each row of z is fresh from the
//! product (one exponential gives both), the output pass forms ŷ, δ(3) and
//! ½ Σ (y − ŷ)² together, and δ(2) is scaled by f′(z(2)) as it is produced.
//! After the first call for a given shape, a call allocates nothing.

use crate::activation::sigmoid_with_prime;
use crate::cost::half_squared_error;
use crate::error::Error;
use crate::gemm;
use crate::matrix::Matrix;
use crate::network::{Gradients, TwoLayerNet};

/// Reusable buffers for [`TwoLayerNet::gradients_in`] and
/// [`TwoLayerNet::cost_and_gradients_in`]: after the first call for a given
/// batch size and network shape, computing the gradients allocates nothing.
///
/// A workspace grows to the largest shape it has seen and can serve any
/// network and batch.
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet, Workspace};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
/// let mut ws = Workspace::new();
/// for _ in 0..100 {
///     let (j, g) = net.cost_and_gradients_in(&d.x, &d.y, &mut ws)?;
///     assert!(j.is_finite());
///     let g = g.clone(); // or step straight from the borrowed gradients
///     net.gradient_descent_step(&g, 2.0)?;
/// }
/// assert_eq!(ws.gradients().dj_dw1.shape(), (2, 3));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Workspace {
    /// z(2) = X·W(1), then a(2) = f(z(2)) in place; N × hidden.
    a2: Vec<f64>,
    /// f′(z(2)); N × hidden.
    fp2: Vec<f64>,
    /// z(3) = a(2)·W(2), then ŷ = f(z(3)) in place; N × outputs.
    y_hat: Vec<f64>,
    /// δ(3); N × outputs.
    delta3: Vec<f64>,
    /// δ(2); N × hidden.
    delta2: Vec<f64>,
    /// Packed panels for the matrix products.
    scratch: Vec<f64>,
    gradients: Gradients,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// An empty workspace; it takes its size from the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// let ws = backprop::Workspace::new();
    /// assert_eq!(ws.gradients().dj_dw1.shape(), (0, 0));
    /// ```
    pub fn new() -> Self {
        Workspace {
            a2: Vec::new(),
            fp2: Vec::new(),
            y_hat: Vec::new(),
            delta3: Vec::new(),
            delta2: Vec::new(),
            scratch: Vec::new(),
            gradients: Gradients {
                dj_dw1: Matrix::zeros(0, 0),
                dj_dw2: Matrix::zeros(0, 0),
            },
        }
    }

    /// The gradients of the last successful call (empty before the first).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(ws.gradients(), &net.gradients(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients(&self) -> &Gradients {
        &self.gradients
    }

    /// The gradients of the last successful call, by value.
    pub(crate) fn into_gradients(self) -> Gradients {
        self.gradients
    }

    /// Sizes every buffer for a batch of `n` examples through a network of
    /// sizes (i, h, o), reusing capacity.
    fn fit(&mut self, n: usize, (i, h, o): (usize, usize, usize)) {
        for (buf, len) in [
            (&mut self.a2, n * h),
            (&mut self.fp2, n * h),
            (&mut self.y_hat, n * o),
            (&mut self.delta3, n * o),
            (&mut self.delta2, n * h),
        ] {
            buf.resize(len, 0.0);
        }
        let g = &mut self.gradients;
        if g.dj_dw1.shape() != (i, h) {
            g.dj_dw1 = Matrix::zeros(i, h);
        }
        if g.dj_dw2.shape() != (h, o) {
            g.dj_dw2 = Matrix::zeros(h, o);
        }
    }
}

impl TwoLayerNet {
    /// ∂J/∂W(1) and ∂J/∂W(2), as [`gradients`](Self::gradients) computes
    /// them, written into `ws`: after the first call with a given shape,
    /// nothing is allocated.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// let g = net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(g.dj_dw2.shape(), (3, 1));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients_in<'w>(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &'w mut Workspace,
    ) -> Result<&'w Gradients, Error> {
        self.backpropagate(x, y, ws)?;
        Ok(&ws.gradients)
    }

    /// J and both gradients, as [`cost_and_gradients`](Self::cost_and_gradients)
    /// computes them, written into `ws`.
    ///
    /// # Errors
    ///
    /// Those of [`cost_and_gradients`](Self::cost_and_gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// let mut ws = Workspace::new();
    /// let (j, _) = net.cost_and_gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(j, net.cost(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost_and_gradients_in<'w>(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &'w mut Workspace,
    ) -> Result<(f64, &'w Gradients), Error> {
        let half_sse = self.backpropagate(x, y, ws)?;
        let j =
            self.cost_function()
                .value_from_half_sse(half_sse, x.rows(), self.w1(), self.w2())?;
        Ok((j, &ws.gradients))
    }

    /// The fused pass: fills `ws` with every term and both gradients, and
    /// returns ½ Σ (y − ŷ)² (not checked for overflow: only the cost needs it).
    fn backpropagate(&self, x: &Matrix, y: &Matrix, ws: &mut Workspace) -> Result<f64, Error> {
        self.check_xy(x, y)?;
        let (w1, w2) = (self.w1().as_slice(), self.w2().as_slice());
        let (n, i, h, o) = (
            x.rows(),
            self.input_size(),
            self.hidden_size(),
            self.output_size(),
        );
        ws.fit(n, (i, h, o));
        let Workspace {
            a2,
            fp2,
            y_hat,
            delta3,
            delta2,
            scratch,
            gradients,
        } = ws;

        // z(2) = X·W(1); then a(2) = f(z(2)) and f′(z(2)) from one exponential.
        gemm::nn(n, i, h, x.as_slice(), w1, a2, scratch);
        if !gemm::activate(gemm::Path::best(), a2, fp2) {
            return Err(Error::Overflow { what: "z(2)" });
        }

        // z(3) = a(2)·W(2); then ŷ = f(z(3)), δ(3) = −(y − ŷ) ⊙ f′(z(3)) and
        // the terms of J in one pass.
        gemm::nn(n, h, o, a2, w2, y_hat, scratch);
        let mut half_sse = 0.0;
        let mut finite = true;
        for ((z3, delta3), &y) in y_hat.iter_mut().zip(delta3.iter_mut()).zip(y.as_slice()) {
            finite &= z3.is_finite();
            let (f, fp) = sigmoid_with_prime(*z3);
            *z3 = f;
            *delta3 = (f - y) * fp;
            half_sse += half_squared_error(y, f);
        }
        if !finite {
            return Err(Error::Overflow { what: "z(3)" });
        }

        let cost = self.cost_function();
        // ∂J/∂W(2) = a(2)ᵀ·δ(3)
        let dj_dw2 = gradients.dj_dw2.as_mut_slice();
        gemm::tn(h, n, o, a2, delta3, dj_dw2, scratch);
        cost.finish_gradient(dj_dw2, self.w2(), n);
        check(dj_dw2, "dJ/dW(2)")?;

        // δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))
        gemm::nt(n, o, h, delta3, w2, delta2, scratch);
        for (d, fp) in delta2.iter_mut().zip(fp2.iter()) {
            *d *= fp;
        }
        check(delta2, "δ(2)")?;

        // ∂J/∂W(1) = Xᵀ·δ(2)
        let dj_dw1 = gradients.dj_dw1.as_mut_slice();
        gemm::tn(i, n, h, x.as_slice(), delta2, dj_dw1, scratch);
        cost.finish_gradient(dj_dw1, self.w1(), n);
        check(dj_dw1, "dJ/dW(1)")?;
        Ok(half_sse)
    }
}

fn check(values: &[f64], what: &'static str) -> Result<(), Error> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Overflow { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_serves_networks_of_different_shapes() {
        let mut ws = Workspace::new();
        for (n, i, h, o) in [(5, 3, 4, 2), (2, 1, 1, 1), (7, 4, 6, 3)] {
            let net = TwoLayerNet::random(i, h, o, 1).unwrap();
            let x = Matrix::randn(n, i, 2);
            let y = Matrix::randn(n, o, 3).map(crate::sigmoid);
            let g = net.gradients_in(&x, &y, &mut ws).unwrap().clone();
            let t = net.trace(&x, &y).unwrap();
            assert_eq!(g.dj_dw1.shape(), (i, h));
            for (a, b) in g.to_vec().iter().zip(Gradients::from(t).to_vec()) {
                assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0));
            }
        }
    }
}
