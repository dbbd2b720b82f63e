//! Gradient descent, optionally with momentum, on the whole batch or on
//! mini-batches.

use super::epochs::{Batching, Epochs, Rule, check_batch_size};
use super::run::{Evaluation, Minimise, Run};
use super::settings::{Settings, shared_settings};
use super::{StopReason, check_setting};
use crate::error::Error;

/// Batch gradient descent: every iteration takes one step downhill,
/// p ← p − η·∇J(p), with learning rate η (the step of Part 4: "subtract our
/// gradient from our weights").
///
/// With momentum μ > 0 the step remembers the previous one:
/// v ← μ·v − η·∇J(p), p ← p + v.
///
/// By default each step takes the gradient over the whole training set.
/// With [`batch_size`](GradientDescent::batch_size) it is stochastic
/// gradient descent: one iteration is one epoch, a step for each
/// mini-batch of that many rows, in an order shuffled anew each epoch from
/// [`seed`](GradientDescent::seed), as [`Adam`](crate::Adam) describes.
///
/// Defaults: no momentum, the whole batch, at most 1000 iterations, stop
/// when ‖∇J‖∞ ≤ 1e-5.
///
/// # Examples
///
/// ```
/// use backprop::{data, GradientDescent, Optimiser, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 7)?;
/// let report = GradientDescent::new(2.0)
///     .momentum(0.5)
///     .max_iterations(500)
///     .train(&mut net, &d)?;
/// assert!(report.final_cost < 0.01);
/// assert_eq!(net.cost(&d.x, &d.y)?, report.final_cost);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescent {
    learning_rate: f64,
    momentum: f64,
    /// `None`: the whole batch.
    batching: Option<Batching>,
    seed: u64,
    settings: Settings,
}

shared_settings!(
    GradientDescent,
    "backprop::GradientDescent::new(0.5)",
    "1000"
);

impl GradientDescent {
    /// Gradient descent with learning rate η = `learning_rate` (finite and
    /// positive; checked when training starts).
    ///
    /// # Examples
    ///
    /// ```
    /// let gd = backprop::GradientDescent::new(0.5);
    /// # let _ = gd;
    /// ```
    #[must_use]
    pub fn new(learning_rate: f64) -> Self {
        GradientDescent {
            learning_rate,
            momentum: 0.0,
            batching: None,
            seed: 0,
            settings: Settings::new(1000),
        }
    }

    /// Momentum μ in \[0, 1): the fraction of the previous step carried into
    /// the next.
    ///
    /// # Examples
    ///
    /// ```
    /// let gd = backprop::GradientDescent::new(0.5).momentum(0.9);
    /// # let _ = gd;
    /// ```
    #[must_use]
    pub fn momentum(self, momentum: f64) -> Self {
        GradientDescent { momentum, ..self }
    }

    /// Steps on mini-batches of `size` rows, at least 1, instead of the
    /// whole batch: stochastic gradient descent, one epoch per iteration.
    ///
    /// ```
    /// let sgd = backprop::GradientDescent::new(0.1).momentum(0.9).batch_size(32);
    /// # let _ = sgd;
    /// ```
    #[must_use]
    pub fn batch_size(self, size: usize) -> Self {
        GradientDescent {
            batching: Some(Batching {
                size,
                seed: self.seed,
            }),
            ..self
        }
    }

    /// The seed of the mini-batches' order (default 0; no effect on the
    /// whole batch).
    ///
    /// ```
    /// let sgd = backprop::GradientDescent::new(0.1).batch_size(32).seed(3);
    /// # let _ = sgd;
    /// ```
    #[must_use]
    pub fn seed(self, seed: u64) -> Self {
        GradientDescent {
            batching: self.batching.map(|b| Batching { seed, ..b }),
            seed,
            ..self
        }
    }
}

/// The step of gradient descent with momentum, and its velocity v.
#[derive(Debug)]
pub struct Momentum {
    learning_rate: f64,
    momentum: f64,
    velocity: Vec<f64>,
}

impl Rule for Momentum {
    fn update(&mut self, p: &mut [f64], g: &[f64]) {
        // v ← μ·v − η·∇J(p),  p ← p + v
        for ((p, v), g) in p.iter_mut().zip(&mut self.velocity).zip(g) {
            *v = self.momentum * *v - self.learning_rate * g;
            *p += *v;
        }
    }
}

impl Minimise for GradientDescent {
    /// The velocity v, zero at the start, and the mini-batches if any.
    type State = Epochs<Momentum>;

    fn validate(&self) -> Result<(), Error> {
        let (eta, mu) = (self.learning_rate, self.momentum);
        check_setting("learning rate", eta, eta > 0.0)?;
        check_setting("momentum", mu, (0.0..1.0).contains(&mu))?;
        if let Some(b) = self.batching {
            check_batch_size(b.size)?;
        }
        self.settings.validate()
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn stochastic(&self) -> bool {
        self.batching.is_some()
    }

    fn start(&self, params: usize) -> Result<Self::State, Error> {
        Ok(Epochs::new(Momentum {
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            velocity: vec![0.0; params],
        }))
    }

    fn step(
        &self,
        state: &mut Self::State,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        _iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        if let Some(batching) = self.batching {
            return state.epoch(batching, run, p);
        }
        let mut next = p.to_vec();
        state.rule.update(&mut next, &at.gradient);
        // The data were accepted at the start, so a failure here comes from
        // the new parameters: too large a step.
        match run.evaluate(&next) {
            Ok(next_at) => Ok((next, next_at)),
            Err(_) => Err(StopReason::Diverged),
        }
    }
}
