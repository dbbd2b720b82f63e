//! The series' network stacked to any depth: [`Network`].

use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::layer::{Layer, Term, term};
use crate::matrix::{Matrix, check_finite};
use crate::net::{NetworkGradients, Workspace};

/// A fully connected network of any depth: the series' network with "a
/// bunch of these operations stacked together", as Part 4 ends.
///
/// With layers of units numbered as the series numbers them, a(1) = X the
/// inputs and a(L) = ŷ the outputs, L − 1 weight matrices W(1) … W(L−1)
/// take each layer to the next:
///
/// ```text
/// a(1)   = X
/// z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1))      for l = 1 … L−1
/// ŷ      = a(L)                  J = ½ Σ (y − ŷ)²
/// ```
///
/// and backpropagation is the same four equations at every depth:
///
/// ```text
/// δ(L)     = −(y − ŷ) ⊙ f′(z(L))            (ŷ − y under cross-entropy: f′ cancels)
/// δ(l)     = δ(l+1)·W(l)ᵀ ⊙ f′(z(l))        for l = L−1 … 2
/// ∂J/∂W(l) = a(l)ᵀ·δ(l+1)
/// ∂J/∂b(l) = Σ over examples of δ(l+1)
/// ```
///
/// Each layer has its own
/// [`Activation`] (the sigmoid by default) and, if asked for, a bias b(l);
/// [`Cost::Regularised`] penalises the weights, never the biases. A
/// classifier ends in [`Activation::Softmax`] under
/// [`Cost::CrossEntropy`]; [`Cost`] derives its δ(L) and lists the pairs a
/// network accepts.
///
/// Like [`TwoLayerNet`](crate::TwoLayerNet), which is its two-layer case
/// computed by the same engine, the network holds only its layers and its
/// cost: every method that takes a batch computes what it needs and
/// returns it, and a rejected call changes nothing.
///
/// # Examples
///
/// ```
/// use backprop::{data, Activation, Network};
///
/// let d = data::part1_normalised();
/// let net = Network::builder(2)
///     .layer(8, Activation::Tanh)
///     .biased_layer(8, Activation::Tanh)
///     .layer(1, Activation::Sigmoid)
///     .seed(7)
///     .build()?;
/// assert_eq!(net.sizes(), vec![2, 8, 8, 1]);
/// let g = net.gradients(&d.x, &d.y)?;
/// assert_eq!(g.dj_dw[1].shape(), (8, 8));
/// assert_eq!(g.dj_db[1].as_ref().map(|b| b.shape()), Some((1, 8)));
/// assert_eq!(g.to_vec().len(), net.param_count());
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    layers: Vec<Layer>,
    cost: Cost,
}

impl Network {
    /// The series' network stacked: W(1), W(2), … in order, the sigmoid on
    /// every layer, no biases and Part 4's cost. One matrix (no hidden
    /// layer) is a network too.
    ///
    /// # Errors
    ///
    /// - [`Error::NoLayers`] for an empty list;
    /// - [`Error::LayerShapes`] when W(l) does not have one row per column
    ///   of W(l−1);
    /// - [`Error::LayerSizes`] when a matrix has no rows or columns;
    /// - [`Error::NonFinite`] naming W(l) when a weight is NaN or infinite.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Error, Matrix, Network};
    ///
    /// let net = Network::from_weights(vec![Matrix::zeros(2, 4), Matrix::zeros(4, 1)])?;
    /// assert_eq!(net.sizes(), vec![2, 4, 1]);
    /// let bad = Network::from_weights(vec![Matrix::zeros(2, 4), Matrix::zeros(3, 1)]);
    /// assert_eq!(bad, Err(Error::LayerShapes { layer: 2, expected_rows: 4, found: (3, 1) }));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn from_weights(weights: Vec<Matrix>) -> Result<Self, Error> {
        let first = weights.first().ok_or(Error::NoLayers)?;
        let mut rows = first.rows();
        for (k, w) in weights.iter().enumerate() {
            if w.rows() != rows {
                return Err(Error::LayerShapes {
                    layer: k + 1,
                    expected_rows: rows,
                    found: w.shape(),
                });
            }
            rows = w.cols();
        }
        let sizes: Vec<usize> = std::iter::once(first.rows())
            .chain(weights.iter().map(Matrix::cols))
            .collect();
        if sizes.contains(&0) {
            return Err(Error::LayerSizes { sizes });
        }
        for (k, w) in weights.iter().enumerate() {
            check_finite(w, term(Term::W, k + 1))?;
        }
        let layers = weights
            .into_iter()
            .map(|weights| Layer {
                weights,
                bias: None,
                activation: Activation::Sigmoid,
            })
            .collect();
        Ok(Network {
            layers,
            cost: Cost::default(),
        })
    }

    /// The network of `layers` (W, b, f for each, in order) and `cost`,
    /// validated as [`from_weights`](Self::from_weights),
    /// [`with_bias`](Self::with_bias) and [`with_cost`](Self::with_cost)
    /// validate: how saved networks are rebuilt.
    pub(crate) fn assemble(
        layers: Vec<(Matrix, Option<Matrix>, Activation)>,
        cost: Cost,
    ) -> Result<Self, Error> {
        let mut extras = Vec::with_capacity(layers.len());
        let weights = layers
            .into_iter()
            .map(|(w, bias, activation)| {
                extras.push((bias, activation));
                w
            })
            .collect();
        let mut net = Network::from_weights(weights)?.with_cost(cost)?;
        for (k, (bias, activation)) in extras.into_iter().enumerate() {
            net = net.with_activation(k + 1, activation)?;
            if let Some(b) = bias {
                net = net.with_bias(k + 1, b)?;
            }
        }
        Ok(net)
    }

    /// The network of `layers` and `cost`, as given: for builders that
    /// have checked them.
    pub(super) fn from_checked_layers(layers: Vec<Layer>, cost: Cost) -> Self {
        Network { layers, cost }
    }

    /// The same network with layer `layer` (numbered from 1) applying
    /// `activation`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchLayer`] when there is no such layer, and
    /// [`Error::Unsupported`] for softmax on a hidden layer or under a
    /// cost other than cross-entropy, or for an output that is neither
    /// sigmoid nor softmax under cross-entropy.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network};
    ///
    /// let classifier = Network::random(&[4, 8, 3], 0)?
    ///     .with_cost(Cost::CrossEntropy)?
    ///     .with_activation(2, Activation::Softmax)?;
    /// assert_eq!(classifier.layers()[1].activation(), Activation::Softmax);
    /// assert!(classifier.with_activation(1, Activation::Softmax).is_err());
    ///
    /// let net = Network::random(&[2, 3, 1], 0)?.with_activation(1, Activation::Tanh)?;
    /// assert_eq!(net.layers()[0].activation(), Activation::Tanh);
    /// assert!(net.with_activation(3, Activation::Tanh).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn with_activation(mut self, layer: usize, activation: Activation) -> Result<Self, Error> {
        self.layer_mut(layer)?;
        self.cost.accepts(activation, layer, self.depth())?;
        self.layers[layer - 1].activation = activation;
        Ok(self)
    }

    /// The same network with bias b(`layer`) (numbered from 1), a
    /// `1 × units` matrix added to every row of z(`layer` + 1).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchLayer`] when there is no such layer,
    /// [`Error::BiasShape`] when `bias` is not `1 × units`,
    /// [`Error::NonFinite`] naming b(l) when a value is NaN or infinite.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, Network};
    ///
    /// let net = Network::random(&[2, 3, 1], 0)?.with_bias(1, Matrix::from([[0.1, 0.2, 0.3]]))?;
    /// assert_eq!(net.param_count(), 9 + 3);
    /// assert!(net.clone().with_bias(2, Matrix::zeros(1, 3)).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn with_bias(mut self, layer: usize, bias: Matrix) -> Result<Self, Error> {
        let units = self.layer_mut(layer)?.units();
        if bias.shape() != (1, units) {
            return Err(Error::BiasShape {
                layer,
                expected: (1, units),
                found: bias.shape(),
            });
        }
        check_finite(&bias, term(Term::B, layer))?;
        self.layers[layer - 1].bias = Some(bias);
        Ok(self)
    }

    /// The same network measuring and differentiating the given [`Cost`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when λ is negative, NaN or infinite;
    /// [`Error::Unsupported`] when a layer's activation has no derived δ
    /// under `cost` (see [`Cost`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network};
    ///
    /// let net = Network::random(&[2, 3, 1], 0)?.with_cost(Cost::Regularised { lambda: 1e-4 })?;
    /// assert_eq!(net.cost_function(), Cost::Regularised { lambda: 1e-4 });
    /// let linear = net.with_activation(2, Activation::Identity)?;
    /// assert!(linear.with_cost(Cost::CrossEntropy).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn with_cost(self, cost: Cost) -> Result<Self, Error> {
        let cost = cost.validated()?;
        cost.accepts_layers(&self.layers)?;
        Ok(Network { cost, ..self })
    }

    fn layer_mut(&mut self, layer: usize) -> Result<&mut Layer, Error> {
        let depth = self.layers.len();
        match layer.checked_sub(1).and_then(|k| self.layers.get_mut(k)) {
            Some(l) => Ok(l),
            None => Err(Error::NoSuchLayer { layer, depth }),
        }
    }

    /// The layers, W(1) first.
    #[must_use]
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The number of weight matrices, L − 1.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Inputs, then the units of every layer.
    #[must_use]
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.input_size())
            .chain(self.layers.iter().map(Layer::units))
            .collect()
    }

    /// Number of inputs (columns of X).
    #[must_use]
    pub fn input_size(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Number of outputs (columns of y).
    #[must_use]
    pub fn output_size(&self) -> usize {
        self.layers[self.layers.len() - 1].units()
    }

    /// Total number of parameters, the length of [`params`](Self::params).
    #[must_use]
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(Layer::param_count).sum()
    }

    /// The cost J this network measures and differentiates.
    #[must_use]
    pub fn cost_function(&self) -> Cost {
        self.cost
    }

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
        Ok(super::forward::propagate(&self.layers, x)?.y_hat())
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
        let forward = super::forward::propagate(&self.layers, x)?;
        let output = self.layers[self.depth() - 1].activation;
        let (Some(y_hat), Some(z), Some(fp)) =
            (forward.a.last(), forward.z.last(), forward.fp.last())
        else {
            unreachable!("a network has at least one layer")
        };
        // Cross-entropy's J comes from ln ŷ for softmax, from z for a sigmoid.
        let for_loss = if output == Activation::Softmax { fp } else { z };
        self.cost.value(output, y, y_hat, for_loss, &self.layers)
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
        Ok((j, ws.store_network(&self.layers)))
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
            &self.layers,
            self.cost,
            x.as_slice(),
            y.as_slice(),
            x.rows(),
            bufs,
        )
        .and_then(|loss| self.cost.value_from_loss(loss, x.rows(), &self.layers));
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
        if self.cost.is_cross_entropy() {
            return Ok(false);
        }
        let trace = self.trace(x, y)?;
        let (Some(output), Some(z), Some(y_hat)) =
            (self.layers.last(), trace.z.last(), trace.a.last())
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

    /// All parameters unrolled into one vector: for each layer in order,
    /// W(l) row by row, then b(l) where it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, Network};
    ///
    /// let net = Network::from_weights(vec![Matrix::from([[1.0, 2.0]]), Matrix::from([[3.0], [4.0]])])?
    ///     .with_bias(1, Matrix::from([[5.0, 6.0]]))?;
    /// assert_eq!(net.params(), vec![1.0, 2.0, 5.0, 6.0, 3.0, 4.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn params(&self) -> Vec<f64> {
        let mut params = Vec::with_capacity(self.param_count());
        for layer in &self.layers {
            params.extend_from_slice(layer.weights.as_slice());
            params.extend_from_slice(layer.bias_slice().unwrap_or(&[]));
        }
        params
    }

    /// Replaces all parameters from a vector in the order of
    /// [`params`](Self::params).
    ///
    /// # Errors
    ///
    /// [`Error::ParamCount`] when `params.len() != self.param_count()`,
    /// [`Error::NonFinite`] when a value is NaN or infinite; the network is
    /// then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Network;
    ///
    /// let mut net = Network::random(&[2, 3, 2, 1], 0)?;
    /// net.set_params(&[0.5; 14])?;
    /// assert_eq!(net.layers()[2].weights()[(1, 0)], 0.5);
    /// assert!(net.set_params(&[0.5; 13]).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn set_params(&mut self, params: &[f64]) -> Result<(), Error> {
        check_params(params, self.param_count())?;
        let mut rest = params;
        for layer in &mut self.layers {
            let w = layer.weights.as_mut_slice();
            w.copy_from_slice(&rest[..w.len()]);
            rest = &rest[w.len()..];
            if let Some(b) = &mut layer.bias {
                let b = b.as_mut_slice();
                b.copy_from_slice(&rest[..b.len()]);
                rest = &rest[b.len()..];
            }
        }
        Ok(())
    }
}

impl AsRef<Network> for Network {
    fn as_ref(&self) -> &Network {
        self
    }
}

/// Rejects a parameter vector of the wrong length or with a NaN or ∞.
pub(crate) fn check_params(params: &[f64], expected: usize) -> Result<(), Error> {
    if params.len() != expected {
        return Err(Error::ParamCount {
            expected,
            found: params.len(),
        });
    }
    match params.iter().position(|p| !p.is_finite()) {
        Some(k) => Err(Error::NonFinite {
            what: "parameters",
            at: (0, k),
        }),
        None => Ok(()),
    }
}
