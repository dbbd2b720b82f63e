//! What a [`Network`] computes from a batch: the prediction ŷ and the cost
//! J by the textbook forward pass, and J's gradients by backpropagation
//! through the fused pass.

use crate::activation::Activation;
use crate::error::Error;
use crate::matrix::Matrix;
use crate::net::forward::propagate;
use crate::net::network::Network;
use crate::net::{NetworkGradients, Workspace};

impl Network {
    /// The prediction ŷ = a(L) for every row of X.
    ///
    /// # Errors
    ///
    /// - [`Error::InputColumns`] when X does not have `input_size` columns;
    /// - [`Error::EmptyBatch`] when X has no rows;
    /// - [`Error::NonFinite`] when X holds a NaN or infinity;
    /// - [`Error::Overflow`] naming z(l) when finite but enormous values
    ///   overflow it.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, Network};
    ///
    /// let net = Network::from_weights(vec![Matrix::zeros(2, 3), Matrix::zeros(3, 2), Matrix::zeros(2, 1)])?;
    /// assert_eq!(net.forward(&Matrix::from([[0.3, 1.0]]))?, Matrix::from([[0.5]]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn forward(&self, x: &Matrix) -> Result<Matrix, Error> {
        self.check_x(x)?;
        Ok(propagate(self.layers(), x)?.y_hat())
    }

    /// The cost J of the batch: ½ Σ (y − ŷ)², or Part 7's regularised cost
    /// if [`with_cost`](Self::with_cost) chose it.
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
    /// use backprop::{Matrix, Network};
    ///
    /// let net = Network::from_weights(vec![Matrix::zeros(2, 3), Matrix::zeros(3, 1)])?;
    /// let (x, y) = (Matrix::from([[0.3, 1.0]]), Matrix::from([[0.75]]));
    /// assert_eq!(net.cost(&x, &y)?, 0.5 * 0.25 * 0.25);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost(&self, x: &Matrix, y: &Matrix) -> Result<f64, Error> {
        self.check_xy(x, y)?;
        self.check_targets(y)?;
        let forward = propagate(self.layers(), x)?;
        let output = self.layers()[self.depth() - 1].activation;
        let (Some(y_hat), Some(z), Some(fp)) =
            (forward.a.last(), forward.z.last(), forward.fp.last())
        else {
            unreachable!("a network has at least one layer")
        };
        // Cross-entropy's J comes from ln ŷ for softmax, from z for a sigmoid.
        let for_loss = if output == Activation::Softmax { fp } else { z };
        self.cost_function()
            .value(output, y, y_hat, for_loss, self.layers())
    }

    /// ∂J/∂W(l) and ∂J/∂b(l) for every layer, by backpropagation through
    /// the fused pass (see [`Workspace`]), in a workspace kept per thread.
    ///
    /// # Errors
    ///
    /// Those of [`cost`](Self::cost), with [`Error::Overflow`] naming the
    /// term that overflowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network};
    ///
    /// let d = data::part1_normalised();
    /// let mut net = Network::random(&[2, 4, 4, 1], 3)?;
    /// let before = net.cost(&d.x, &d.y)?;
    /// let g = net.gradients(&d.x, &d.y)?;
    /// let p: Vec<f64> = net.params().iter().zip(g.to_vec()).map(|(p, g)| p - 0.5 * g).collect();
    /// net.set_params(&p)?;
    /// assert!(net.cost(&d.x, &d.y)? < before);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients(&self, x: &Matrix, y: &Matrix) -> Result<NetworkGradients, Error> {
        Workspace::with_thread_local(|ws| self.gradients_in(x, y, ws).cloned())
    }

    /// J and every gradient from one forward pass, as an optimiser wants
    /// them.
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
    /// let net = Network::random(&[2, 4, 1], 3)?;
    /// let (j, g) = net.cost_and_gradients(&d.x, &d.y)?;
    /// assert_eq!(j, net.cost(&d.x, &d.y)?);
    /// assert_eq!(g, net.gradients(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn cost_and_gradients(
        &self,
        x: &Matrix,
        y: &Matrix,
    ) -> Result<(f64, NetworkGradients), Error> {
        Workspace::with_thread_local(|ws| {
            let (j, g) = self.cost_and_gradients_in(x, y, ws)?;
            Ok((j, g.clone()))
        })
    }

    /// The gradients, as [`gradients`](Self::gradients) computes them,
    /// written into `ws`: after the first call with a given shape, a
    /// single-threaded call allocates nothing.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = Network::random(&[2, 5, 5, 1], 1)?;
    /// let mut ws = Workspace::new();
    /// let g = net.gradients_in(&d.x, &d.y, &mut ws)?;
    /// assert_eq!(g.dj_dw.len(), 3);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradients_in<'w>(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &'w mut Workspace,
    ) -> Result<&'w NetworkGradients, Error> {
        Ok(self.cost_and_gradients_in(x, y, ws)?.1)
    }

    /// J and the gradients, as
    /// [`cost_and_gradients`](Self::cost_and_gradients) computes them,
    /// written into `ws`.
    ///
    /// # Errors
    ///
    /// Those of [`cost_and_gradients`](Self::cost_and_gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network, Workspace};
    ///
    /// let d = data::part1_normalised();
    /// let net = Network::random(&[2, 5, 1], 1)?;
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
    ) -> Result<(f64, &'w NetworkGradients), Error> {
        let j = self.backpropagate(x, y, ws)?;
        Ok((j, ws.store_network(self.layers())))
    }

    /// J by the fused pass, which leaves each layer's gradients in `ws`'s
    /// buffers.
    pub(crate) fn backpropagate(
        &self,
        x: &Matrix,
        y: &Matrix,
        ws: &mut Workspace,
    ) -> Result<f64, Error> {
        self.check_shapes(x, y)?;
        self.check_targets(y)?;
        let bufs = ws.buffers();
        let j = crate::fused::cost_and_gradients(
            self.layers(),
            self.cost_function(),
            x.as_slice(),
            y.as_slice(),
            x.rows(),
            bufs,
        )
        .and_then(|loss| {
            self.cost_function()
                .value_from_loss(loss, x.rows(), self.layers())
        });
        // A NaN or ∞ in X reaches z(2), and one in y reaches the loss, so
        // the pass always fails on one: only then are X and y searched,
        // for an error that names the input rather than what it led to.
        j.map_err(|e| self.check_xy(x, y).err().unwrap_or(e))
    }

    /// J and the gradient unrolled in the order of [`params`](Self::params),
    /// as an optimiser wants them.
    pub(crate) fn cost_and_unrolled_gradient(
        &self,
        x: &Matrix,
        y: &Matrix,
    ) -> Result<(f64, Vec<f64>), Error> {
        Workspace::with_thread_local(|ws| self.cost_and_unrolled_gradient_in(x, y, ws))
    }

    /// [`cost_and_unrolled_gradient`](Self::cost_and_unrolled_gradient) in
    /// `workspace`.
    pub(crate) fn cost_and_unrolled_gradient_in(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
    ) -> Result<(f64, Vec<f64>), Error> {
        let j = self.backpropagate(x, y, workspace)?;
        Ok((j, workspace.buffers().unrolled_gradients()))
    }

    /// [`cost_and_unrolled_gradient_in`](Self::cost_and_unrolled_gradient_in)
    /// with the gradient written into `gradient`, which has
    /// [`param_count`](Self::param_count) values: nothing is allocated
    /// once `workspace` has served this shape.
    pub(crate) fn cost_and_gradient_into(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
        gradient: &mut [f64],
    ) -> Result<f64, Error> {
        if gradient.len() != self.param_count() {
            return Err(Error::ParamCount {
                expected: self.param_count(),
                found: gradient.len(),
            });
        }
        let j = self.backpropagate(x, y, workspace)?;
        workspace.buffers().write_unrolled_gradients(gradient);
        Ok(j)
    }

    /// Whether every output unit is saturated on every example of `x`
    /// (f′(z(L)) below 1e-6 of its peak) while ŷ misses `y` by more than
    /// `tolerance`: see [`StopReason::Saturated`](crate::StopReason::Saturated).
    pub(crate) fn outputs_saturated(
        &self,
        x: &Matrix,
        y: &Matrix,
        tolerance: f64,
    ) -> Result<bool, Error> {
        // Under cross-entropy δ(L) = ŷ − y has no f′ to vanish.
        if self.cost_function().is_cross_entropy() {
            return Ok(false);
        }
        let trace = self.trace(x, y)?;
        let (Some(output), Some(z), Some(y_hat)) =
            (self.layers().last(), trace.z.last(), trace.a.last())
        else {
            return Ok(false);
        };
        let peak = match output.activation {
            Activation::Sigmoid => 0.25,
            Activation::Tanh | Activation::Relu | Activation::Identity | Activation::Softmax => 1.0,
        };
        let flat = z
            .iter()
            .all(|&z| output.activation.derivative(z) < 1e-6 * peak);
        let missed = y_hat
            .iter()
            .zip(y.iter())
            .any(|(a, b)| (a - b).abs() > tolerance);
        Ok(flat && missed)
    }
}
