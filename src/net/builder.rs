//! Building a [`Network`]: from its sizes, or layer by layer.

use super::network::Network;
use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::layer::Layer;
use crate::matrix::Matrix;
use crate::rng::Rng;

impl Network {
    /// A network of the given sizes (inputs, hidden…, outputs) with
    /// standard-normal weights drawn from a generator seeded with `seed`,
    /// the sigmoid on every layer, no biases and Part 4's cost. The same
    /// sizes and seed always give the same network, and
    /// `Network::random(&[i, h, o], seed)` has the weights of
    /// `TwoLayerNet::random(i, h, o, seed)`.
    ///
    /// # Errors
    ///
    /// [`Error::LayerSizes`] when there are fewer than two sizes, a size
    /// is 0, or a weight matrix would be too large to address.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Network, TwoLayerNet};
    ///
    /// let net = Network::random(&[2, 3, 1], 42)?;
    /// assert_eq!(net.params(), TwoLayerNet::random(2, 3, 1, 42)?.params());
    /// assert!(Network::random(&[2], 42).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn random(sizes: &[usize], seed: u64) -> Result<Self, Error> {
        let mut builder = Network::builder(sizes.first().copied().unwrap_or(0)).seed(seed);
        for &units in sizes.iter().skip(1) {
            builder = builder.layer(units, Activation::Sigmoid);
        }
        builder.build()
    }

    /// A builder for a network with `inputs` inputs: add layers with
    /// [`layer`](NetworkBuilder::layer) or
    /// [`biased_layer`](NetworkBuilder::biased_layer), then
    /// [`build`](NetworkBuilder::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network};
    ///
    /// let net = Network::builder(4)
    ///     .biased_layer(16, Activation::Relu)
    ///     .layer(3, Activation::Identity)
    ///     .cost(Cost::Regularised { lambda: 1e-4 })
    ///     .build()?;
    /// assert_eq!(net.param_count(), 4 * 16 + 16 + 16 * 3);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn builder(inputs: usize) -> NetworkBuilder {
        NetworkBuilder {
            inputs,
            layers: Vec::new(),
            cost: Cost::default(),
            seed: 0,
        }
    }
}

/// Builds a [`Network`] layer by layer; see [`Network::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct NetworkBuilder {
    inputs: usize,
    /// (units, activation, bias) per layer.
    layers: Vec<(usize, Activation, bool)>,
    cost: Cost,
    seed: u64,
}

impl NetworkBuilder {
    /// Adds a layer of `units` units applying `activation`, without a bias.
    pub fn layer(mut self, units: usize, activation: Activation) -> Self {
        self.layers.push((units, activation, false));
        self
    }

    /// Adds a layer of `units` units applying `activation`, with a bias
    /// b(l) that starts at 0.
    pub fn biased_layer(mut self, units: usize, activation: Activation) -> Self {
        self.layers.push((units, activation, true));
        self
    }

    /// The cost the network measures (Part 4's by default).
    pub fn cost(mut self, cost: Cost) -> Self {
        self.cost = cost;
        self
    }

    /// The seed of the standard-normal initial weights (0 by default).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The network, its weights drawn layer by layer, each row by row.
    ///
    /// # Errors
    ///
    /// [`Error::LayerSizes`] when there is no layer, a size is 0 or a
    /// weight matrix would be too large to address;
    /// [`Error::InvalidSetting`] for a λ out of range.
    pub fn build(self) -> Result<Network, Error> {
        let sizes: Vec<usize> = std::iter::once(self.inputs)
            .chain(self.layers.iter().map(|l| l.0))
            .collect();
        let fits = |w: &[usize]| {
            w[0].checked_mul(w[1])
                .and_then(|n| n.checked_mul(size_of::<f64>()))
                .is_some_and(|bytes| bytes <= isize::MAX as usize)
        };
        if sizes.len() < 2 || sizes.contains(&0) || !sizes.windows(2).all(fits) {
            return Err(Error::LayerSizes { sizes });
        }
        let cost = self.cost.validated()?;
        let mut rng = Rng::new(self.seed);
        let layers = sizes
            .windows(2)
            .zip(&self.layers)
            .map(|(w, &(units, activation, bias))| Layer {
                weights: Matrix::randn_from(w[0], w[1], &mut rng),
                bias: bias.then(|| Matrix::zeros(1, units)),
                activation,
            })
            .collect();
        Ok(Network::from_checked_layers(layers, cost))
    }
}
