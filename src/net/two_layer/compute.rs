//! What a [`TwoLayerNet`] computes from a batch: ŷ, J, both gradients
//! and the trace of every term, each through its [`Network`](crate::Network)'s engine.

use crate::error::Error;
use crate::matrix::Matrix;
use crate::net::{Gradients, NetworkTrace, Trace, Workspace};

use super::TwoLayerNet;

impl TwoLayerNet {
    /// The prediction ŷ = f(f(X·W(1))·W(2)) for every row of X: the series'
    /// `forward`.
    ///
    /// # Errors
    ///
    /// - [`Error::InputColumns`] when X does not have `input_size` columns;
    /// - [`Error::EmptyBatch`] when X has no rows;
    /// - [`Error::NonFinite`] when X holds a NaN or infinity;
    /// - [`Error::Overflow`] when finite but enormous values overflow z(2) or z(3).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, TwoLayerNet};
    ///
    /// let net = TwoLayerNet::from_weights(Matrix::zeros(2, 3), Matrix::zeros(3, 1))?;
    /// // Zero weights: every z is 0 and every prediction f(0) = 0.5.
    /// let y_hat = net.forward(&Matrix::from([[0.3, 1.0], [0.5, 0.2]]))?;
    /// assert_eq!(y_hat, Matrix::from([[0.5], [0.5]]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn forward(&self, x: &Matrix) -> Result<Matrix, Error> {
        self.net.forward(x)
    }

    /// The cost J of the batch: J = ½ Σ (y − ŷ)², summed over every example
    /// and output (the series' `costFunction`), or the regularised Part 7
    /// cost if [`with_cost`](Self::with_cost) chose it.
    ///
    /// # Errors
    ///
    /// Those of [`forward`](Self::forward), and
    /// - [`Error::TargetRows`] / [`Error::TargetColumns`] when y is not
    ///   `X.rows() × output_size`;
    /// - [`Error::NonFinite`] when y holds a NaN or infinity;
    /// - [`Error::Overflow`] when J itself is too large for `f64`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, TwoLayerNet};
    ///
    /// let net = TwoLayerNet::from_weights(Matrix::zeros(2, 3), Matrix::zeros(3, 1))?;
    /// let x = Matrix::from([[0.3, 1.0], [0.5, 0.2]]);
    /// let y = Matrix::from([[0.75], [0.25]]);
    /// // ŷ = 0.5 everywhere: J = ½ (0.25² + 0.25²) = 0.0625.
    /// assert_eq!(net.cost(&x, &y)?, 0.0625);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost(&self, x: &Matrix, y: &Matrix) -> Result<f64, Error> {
        self.net.cost(x, y)
    }

    /// J and both gradients from one forward pass, as an optimiser wants
    /// them.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 3)?;
    /// let (j, g) = net.cost_and_gradients(&d.x, &d.y)?;
    /// assert_eq!(j, net.cost(&d.x, &d.y)?);
    /// assert_eq!(g, net.gradients(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost_and_gradients(&self, x: &Matrix, y: &Matrix) -> Result<(f64, Gradients), Error> {
        Workspace::with_thread_local(|ws| {
            let (j, g) = self.cost_and_gradients_in(x, y, ws)?;
            Ok((j, g.clone()))
        })
    }

    /// ∂J/∂W(1) and ∂J/∂W(2) for the batch, by backpropagation: the series'
    /// `costFunctionPrime`.
    ///
    /// ```text
    /// δ(3)     = −(y − ŷ) ⊙ f′(z(3))
    /// ∂J/∂W(2) = a(2)ᵀ · δ(3)
    /// δ(2)     = δ(3) · W(2)ᵀ ⊙ f′(z(2))
    /// ∂J/∂W(1) = Xᵀ · δ(2)
    /// ```
    ///
    /// The products with a(2)ᵀ and Xᵀ add up every example's gradient: every
    /// example gets a vote on which way is downhill. The regularised [`Cost`](crate::Cost)
    /// divides those sums by N and adds λ·W.
    ///
    /// It runs in a workspace kept per thread, so repeated calls allocate
    /// only the returned matrices. To avoid even that, or to choose the
    /// thread count, keep a [`Workspace`] and call
    /// [`gradients_in`](Self::gradients_in).
    ///
    /// # Errors
    ///
    /// Those of [`cost`](Self::cost), with [`Error::Overflow`] naming the
    /// term that overflowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let mut net = TwoLayerNet::random(2, 3, 1, 3)?;
    /// let before = net.cost(&d.x, &d.y)?;
    /// let g = net.gradients(&d.x, &d.y)?;
    /// net.gradient_descent_step(&g, 1.0)?; // W ← W − η ∂J/∂W
    /// assert!(net.cost(&d.x, &d.y)? < before);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients(&self, x: &Matrix, y: &Matrix) -> Result<Gradients, Error> {
        Workspace::with_thread_local(|ws| self.gradients_in(x, y, ws).cloned())
    }

    /// Every term of the derivation for this batch, from z(2) to ∂J/∂W(1);
    /// see [`Trace`].
    ///
    /// This is the textbook route, one whole-matrix operation per equation
    /// with every intermediate kept. [`gradients`](Self::gradients) computes
    /// the same numbers by a fused pass that keeps only what it needs (see
    /// [`Workspace`]); the tests hold the two to within 1e-13 of each other.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let t = TwoLayerNet::random(2, 3, 1, 3)?.trace(&d.x, &d.y)?;
    /// println!("{t:.4}");
    /// assert_eq!(t.a2, t.z2.map(backprop::sigmoid));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn trace(&self, x: &Matrix, y: &Matrix) -> Result<Trace, Error> {
        let NetworkTrace {
            z, a, delta, dj_dw, ..
        } = self.net.trace(x, y)?;
        let [z2, z3] = pair(z);
        let [a2, y_hat] = pair(a);
        let [delta2, delta3] = pair(delta);
        let [dj_dw1, dj_dw2] = pair(dj_dw);
        Ok(Trace {
            z2,
            a2,
            z3,
            y_hat,
            delta3,
            delta2,
            dj_dw1,
            dj_dw2,
            cost: self.cost_function(),
        })
    }

    /// ∂J/∂W(1) and ∂J/∂W(2), as [`gradients`](Self::gradients) computes
    /// them, written into `ws`: after the first call with a given shape, a
    /// single-threaded call allocates nothing.
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
        Ok(self.cost_and_gradients_in(x, y, ws)?.1)
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
        let j = self.net.backpropagate(x, y, ws)?;
        Ok((j, ws.store_two_layer(self.net.layers())))
    }
}

/// The two matrices of a two-layer vector, in order.
fn pair(mut v: Vec<Matrix>) -> [Matrix; 2] {
    let second = v.pop().expect("two layers");
    let first = v.pop().expect("two layers");
    [first, second]
}
