//! Batch gradient descent, optionally with momentum.

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
/// Defaults: no momentum, at most 1000 iterations, stop when ‖∇J‖∞ ≤ 1e-5.
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
}

impl Minimise for GradientDescent {
    /// The velocity v, zero at the start.
    type State = Vec<f64>;

    fn validate(&self) -> Result<(), Error> {
        let (eta, mu) = (self.learning_rate, self.momentum);
        check_setting("learning rate", eta, eta > 0.0)?;
        check_setting("momentum", mu, (0.0..1.0).contains(&mu))?;
        self.settings.validate()
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn start(&self, params: usize) -> Result<Vec<f64>, Error> {
        Ok(vec![0.0; params])
    }

    fn step(
        &self,
        velocity: &mut Vec<f64>,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        _iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        // v ← μ·v − η·∇J(p),  p ← p + v
        for (v, g) in velocity.iter_mut().zip(&at.gradient) {
            *v = self.momentum * *v - self.learning_rate * g;
        }
        let next: Vec<f64> = p.iter().zip(velocity.iter()).map(|(p, v)| p + v).collect();
        // The data were accepted at the start, so a failure here comes from
        // the new parameters: too large a step.
        match run.evaluate(&next) {
            Ok(next_at) => Ok((next, next_at)),
            Err(_) => Err(StopReason::Diverged),
        }
    }
}
