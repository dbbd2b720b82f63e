//! Building a [`Network`]: from its sizes, or layer by layer.

use super::network::Network;
use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::layer::Layer;
use crate::matrix::Matrix;
use crate::rng::Rng;

impl Network {
    /// A network of the given sizes (inputs, hidden…, outputs) with the
    /// sigmoid on every layer, no biases and Part 4's cost, its weights
    /// drawn from a generator seeded with `seed` and scaled to each
    /// layer's size ([`Init::Scaled`]). The same sizes and seed always give
    /// the same network.
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
    /// assert_eq!(net, Network::random(&[2, 3, 1], 42)?);
    /// // The series' N(0, 1) weights, as TwoLayerNet::random draws them:
    /// let series = Network::builder(2)
    ///     .layer(3, backprop::Activation::Sigmoid)
    ///     .layer(1, backprop::Activation::Sigmoid)
    ///     .init(backprop::Init::StandardNormal)
    ///     .seed(42)
    ///     .build()?;
    /// assert_eq!(series.params(), TwoLayerNet::random(2, 3, 1, 42)?.params());
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
            init: Init::default(),
        }
    }
}

/// How a [`NetworkBuilder`] draws the initial weights: each from a normal
/// distribution of mean 0, seeded, with the standard deviation σ below.
///
/// ```text
/// Scaled          σ = √(2 / (fan_in + fan_out))   sigmoid, tanh, identity, softmax layers (Glorot)
///                 σ = √(2 / fan_in)               ReLU layers (He)
/// StandardNormal  σ = 1                           the series' np.random.randn
/// ```
///
/// fan_in and fan_out are W(l)'s rows and columns. Scaling keeps z(l+1)
/// of the same size as a(l) however wide the layers are, so that units
/// start where f is steep rather than saturated; PyTorch and scikit-learn
/// scale their initial weights for the same reason. With N(0, 1) weights a
/// unit of 64 inputs starts with z of standard deviation 8, where the
/// sigmoid is flat. Biases start at 0.
///
/// # Examples
///
/// ```
/// use backprop::{Activation, Init, Network};
///
/// let wide = |init| Network::builder(1000).layer(1, Activation::Relu).init(init).build();
/// let spread = |net: Network| net.params().iter().map(|w| w * w).sum::<f64>() / 1000.0;
/// assert!((spread(wide(Init::Scaled)?) - 2.0 / 1000.0).abs() < 5e-4);
/// assert!((spread(wide(Init::StandardNormal)?) - 1.0).abs() < 0.2);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Init {
    /// Glorot for sigmoid, tanh, identity and softmax layers, He for ReLU
    /// layers: the default.
    #[default]
    Scaled,
    /// N(0, 1), as the series draws its weights.
    StandardNormal,
}

impl Init {
    /// σ of the weights of a layer of `fan_in` inputs and `fan_out` units
    /// applying `f`.
    fn sigma(self, f: Activation, fan_in: usize, fan_out: usize) -> f64 {
        match (self, f) {
            (Init::StandardNormal, _) => 1.0,
            (Init::Scaled, Activation::Relu) => (2.0 / fan_in as f64).sqrt(),
            (Init::Scaled, _) => (2.0 / (fan_in + fan_out) as f64).sqrt(),
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
    init: Init,
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

    /// The seed of the initial weights (0 by default).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How the initial weights are drawn: scaled to each layer by default,
    /// or the series' N(0, 1) (see [`Init`]).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// The network, its weights drawn layer by layer, each row by row.
    ///
    /// # Errors
    ///
    /// [`Error::LayerSizes`] when there is no layer, a size is 0 or a
    /// weight matrix would be too large to address;
    /// [`Error::InvalidSetting`] for a λ out of range;
    /// [`Error::Unsupported`] for an activation whose δ is not derived
    /// where it is (softmax on a hidden layer or without cross-entropy,
    /// cross-entropy over an output that is neither sigmoid nor softmax).
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
            .map(|(w, &(units, activation, bias))| {
                let sigma = self.init.sigma(activation, w[0], w[1]);
                let mut weights = Matrix::randn_from(w[0], w[1], &mut rng);
                if sigma != 1.0 {
                    weights.as_mut_slice().iter_mut().for_each(|w| *w *= sigma);
                }
                Layer {
                    weights,
                    bias: bias.then(|| Matrix::zeros(1, units)),
                    activation,
                }
            })
            .collect::<Vec<_>>();
        cost.accepts_layers(&layers)?;
        Ok(Network::from_checked_layers(layers, cost))
    }
}
