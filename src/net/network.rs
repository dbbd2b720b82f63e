//! The series' network stacked to any depth: [`Network`].

use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::layer::{Layer, Term, term};
use crate::matrix::{Matrix, check_finite};

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
