//! The series' two-layer sigmoid network, its cost and its gradients by
//! backpropagation.

use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::matrix::{Matrix, check_finite};
use crate::net::forward::check_no_overflow;
use crate::net::network::Network;
use crate::net::{Gradients, Init};

mod compute;
#[cfg(test)]
mod tests;

/// A fully connected network with one hidden layer and sigmoid activations:
/// the 2-3-1 network of the series, at any layer sizes.
///
/// ```text
/// z(2) = X·W(1)      a(2) = f(z(2))
/// z(3) = a(2)·W(2)   ŷ    = f(z(3))
/// J    = ½ Σ (y − ŷ)²
/// ```
///
/// W(1) is `input_size × hidden_size` and W(2) is `hidden_size × output_size`.
/// As in the series there are no bias terms. X holds one example per row
/// (N × inputs), y one target per row (N × outputs). J is Part 4's cost
/// unless [`with_cost`](Self::with_cost) selects Part 7's regularised one
/// or cross-entropy (see [`Cost`]).
///
/// The network holds only its weights and its choice of cost: every method
/// that takes a batch computes what it needs and returns it, so a
/// `&TwoLayerNet` can be shared freely and a rejected call changes nothing.
///
/// It is the two-layer case of [`Network`], and computes through the same
/// engine: its forward values, J and gradients are those of
/// `Network::from_weights(vec![w1, w2])`, bit for bit.
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet};
///
/// let train = data::part1_normalised();
/// let net = TwoLayerNet::random(2, 3, 1, 42)?;
/// let y_hat = net.forward(&train.x)?;
/// assert_eq!(y_hat.shape(), (3, 1));
/// let grads = net.gradients(&train.x, &train.y)?;
/// assert_eq!(grads.dj_dw1.shape(), net.w1().shape());
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet {
    /// Two sigmoid layers without biases.
    net: Network,
}

impl TwoLayerNet {
    /// A network with the given weights: W(1) is `inputs × hidden`, W(2) is
    /// `hidden × outputs`.
    ///
    /// # Errors
    ///
    /// - [`Error::WeightShapes`] when `w2.rows() != w1.cols()`;
    /// - [`Error::InvalidSizes`] when a layer would have no units;
    /// - [`Error::NonFinite`] when a weight is NaN or infinite.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, TwoLayerNet};
    ///
    /// let w1 = Matrix::from([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    /// let w2 = Matrix::from([[1.0], [-1.0], [0.5]]);
    /// let net = TwoLayerNet::from_weights(w1, w2)?;
    /// assert_eq!((net.input_size(), net.hidden_size(), net.output_size()), (2, 3, 1));
    ///
    /// let bad = TwoLayerNet::from_weights(Matrix::zeros(2, 3), Matrix::zeros(2, 1));
    /// assert!(bad.is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn from_weights(w1: Matrix, w2: Matrix) -> Result<Self, Error> {
        if w1.cols() != w2.rows() {
            return Err(Error::WeightShapes {
                w1: w1.shape(),
                w2: w2.shape(),
            });
        }
        let sizes = [w1.rows(), w1.cols(), w2.cols()];
        if sizes.contains(&0) {
            return Err(Error::InvalidSizes { sizes });
        }
        check_finite(&w1, "W(1)")?;
        check_finite(&w2, "W(2)")?;
        Ok(Self {
            net: Network::from_weights(vec![w1, w2])?,
        })
    }

    /// A network with standard-normal initial weights, like the series'
    /// `np.random.randn`, drawn from a generator seeded with `seed`: the same
    /// sizes and seed always give the same network.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSizes`] when a size is 0 or a weight matrix would have
    /// more elements than can be addressed.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::TwoLayerNet;
    ///
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?;
    /// assert_eq!(net.w1().shape(), (2, 3));
    /// assert_eq!(net.w2().shape(), (3, 1));
    /// assert_eq!(net, TwoLayerNet::random(2, 3, 1, 42)?);
    /// assert!(TwoLayerNet::random(2, 0, 1, 42).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn random(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        seed: u64,
    ) -> Result<Self, Error> {
        let sizes = [input_size, hidden_size, output_size];
        let series = Network::builder(input_size)
            .layer(hidden_size, Activation::Sigmoid)
            .layer(output_size, Activation::Sigmoid)
            .init(Init::StandardNormal)
            .seed(seed)
            .build();
        match series {
            Ok(net) => Ok(Self { net }),
            Err(_) => Err(Error::InvalidSizes { sizes }),
        }
    }

    /// The same network measuring and differentiating the given [`Cost`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when λ is negative, NaN or infinite.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Cost, TwoLayerNet};
    ///
    /// let (train, _) = data::part7_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 0)?;
    /// let part4 = net.cost(&train.x, &train.y)?;
    /// let net = net.with_cost(Cost::Regularised { lambda: 0.0 })?;
    /// // With λ = 0 the Part 7 cost is the Part 4 cost divided by N.
    /// assert!((net.cost(&train.x, &train.y)? - part4 / 4.0).abs() < 1e-15);
    /// assert!(net.with_cost(Cost::Regularised { lambda: -1.0 }).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn with_cost(self, cost: Cost) -> Result<Self, Error> {
        Ok(Self {
            net: self.net.with_cost(cost)?,
        })
    }

    /// The cost J this network measures and differentiates: the series'
    /// `costFunction`, as chosen by [`with_cost`](Self::with_cost).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Cost, TwoLayerNet};
    ///
    /// assert_eq!(TwoLayerNet::random(2, 3, 1, 0)?.cost_function(), Cost::SumOfSquares);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn cost_function(&self) -> Cost {
        self.net.cost_function()
    }

    /// The same network as a [`Network`] of two layers, which computes
    /// exactly as this one does.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 0)?;
    /// assert_eq!(net.network().cost(&d.x, &d.y)?, net.cost(&d.x, &d.y)?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The network, to set its parameters: never to change its shape.
    pub(crate) fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// The two-layer network `net` is, if it is one: two sigmoid layers
    /// without biases. Otherwise the layer that is not (0 for the whole
    /// network) and why.
    pub(crate) fn from_network(net: Network) -> Result<TwoLayerNet, (usize, String)> {
        if net.depth() != 2 {
            let depth = net.depth();
            return Err((
                0,
                format!("a TwoLayerNet has 2 layers, this network has {depth}"),
            ));
        }
        for (k, layer) in net.layers().iter().enumerate() {
            if layer.activation != Activation::Sigmoid || layer.bias.is_some() {
                let reason = "a TwoLayerNet's layers are sigmoid, without biases".to_owned();
                return Err((k + 1, reason));
            }
        }
        Ok(TwoLayerNet { net })
    }

    /// Number of inputs (columns of X): the series' `inputLayerSize`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.input_size(), 2);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn input_size(&self) -> usize {
        self.w1().rows()
    }

    /// Number of hidden units: the series' `hiddenLayerSize`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.hidden_size(), 3);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn hidden_size(&self) -> usize {
        self.w1().cols()
    }

    /// Number of outputs (columns of y): the series' `outputLayerSize`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.output_size(), 1);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn output_size(&self) -> usize {
        self.w2().cols()
    }

    /// Total number of weights, the length of [`params`](Self::params): 9 for
    /// the series' 2-3-1 network.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.param_count(), 9);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn param_count(&self) -> usize {
        self.net.param_count()
    }

    /// The first layer's weights W(1), `input_size × hidden_size`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.w1().shape(), (2, 3));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn w1(&self) -> &Matrix {
        self.net.layers()[0].weights()
    }

    /// The second layer's weights W(2), `hidden_size × output_size`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::TwoLayerNet::random(2, 3, 1, 0)?.w2().shape(), (3, 1));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn w2(&self) -> &Matrix {
        self.net.layers()[1].weights()
    }

    /// All weights unrolled into one vector: W(1) row by row, then W(2) (the
    /// series' `getParams`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, TwoLayerNet};
    ///
    /// let net = TwoLayerNet::from_weights(
    ///     Matrix::from([[1.0, 2.0], [3.0, 4.0]]),
    ///     Matrix::from([[5.0], [6.0]]),
    /// )?;
    /// assert_eq!(net.params(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn params(&self) -> Vec<f64> {
        self.net.params()
    }

    /// Replaces all weights from a vector in the order of
    /// [`params`](Self::params) (the series' `setParams`).
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
    /// use backprop::TwoLayerNet;
    ///
    /// let mut net = TwoLayerNet::random(2, 3, 1, 0)?;
    /// net.set_params(&[0.5; 9])?;
    /// assert_eq!(net.w2()[(2, 0)], 0.5);
    /// assert!(net.set_params(&[0.5; 8]).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn set_params(&mut self, params: &[f64]) -> Result<(), Error> {
        self.net.set_params(params)
    }

    /// One step of gradient descent: W(k) ← W(k) − η · ∂J/∂W(k) for both
    /// layers, with `learning_rate` η.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidSetting`] when η is not a finite positive number;
    /// - [`Error::GradientShape`] when a gradient is not the shape of its weights;
    /// - [`Error::NonFinite`] when a gradient holds a NaN or infinity;
    /// - [`Error::Overflow`] when a new weight would be infinite.
    ///
    /// On error the network is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Gradients, Matrix, TwoLayerNet};
    ///
    /// let mut net = TwoLayerNet::from_weights(Matrix::zeros(1, 1), Matrix::zeros(1, 1))?;
    /// let g = Gradients {
    ///     dj_dw1: Matrix::from([[2.0]]),
    ///     dj_dw2: Matrix::from([[-4.0]]),
    /// };
    /// net.gradient_descent_step(&g, 0.5)?;
    /// assert_eq!(net.params(), vec![-1.0, 2.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn gradient_descent_step(
        &mut self,
        gradients: &Gradients,
        learning_rate: f64,
    ) -> Result<(), Error> {
        if !(learning_rate > 0.0 && learning_rate.is_finite()) {
            return Err(Error::InvalidSetting {
                what: "learning rate",
                value: learning_rate,
            });
        }
        let step = |w: &Matrix, w_name, dj_dw: &Matrix, dj_dw_name| {
            if dj_dw.shape() != w.shape() {
                return Err(Error::GradientShape {
                    what: dj_dw_name,
                    expected: w.shape(),
                    found: dj_dw.shape(),
                });
            }
            check_finite(dj_dw, dj_dw_name)?;
            let w_new = w - &dj_dw.scale(learning_rate);
            check_no_overflow(&w_new, w_name)?;
            Ok(w_new)
        };
        // Both new matrices are built before either is stored, so an error
        // in the second leaves the first untouched too.
        let w1 = step(self.w1(), "W(1)", &gradients.dj_dw1, "dJ/dW(1)")?;
        let w2 = step(self.w2(), "W(2)", &gradients.dj_dw2, "dJ/dW(2)")?;
        self.set_params(&[w1.as_slice(), w2.as_slice()].concat())
    }
}

impl AsRef<Network> for TwoLayerNet {
    fn as_ref(&self) -> &Network {
        &self.net
    }
}
