//! Training (Parts 6 and 7 of the series): gradient descent, Adam, BFGS and
//! L-BFGS behind one small API, for any model that exposes its cost, its
//! gradient and a flat parameter vector.
//!
//! ```text
//! gradient descent:  p ← p − η·∇J(p)            (with momentum: v ← μ·v − η·∇J(p), p ← p + v)
//! Adam:              p ← p − η·m̂ / (√v̂ + ε)     m̂, v̂ the gradient's running moments
//! BFGS:              p ← p − α·H·∇J(p)          H ≈ (∇²J)⁻¹, α from a strong-Wolfe line search
//! L-BFGS:            as BFGS, H applied from the last m steps
//! ```
//!
//! Gradient descent and Adam may step on mini-batches, an epoch per
//! iteration (see `epochs`). All stop when the largest gradient component is below a tolerance, at an
//! iteration limit, or when the per-iteration callback asks them to; every
//! outcome is in the [`Report`], never a panic or a NaN.

mod adam;
mod bfgs;
mod epochs;
mod gradient_descent;
mod lbfgs;
mod line_search;
mod run;
mod settings;

use std::ops::ControlFlow;

pub use adam::Adam;
pub use bfgs::Bfgs;
pub use gradient_descent::GradientDescent;
pub use lbfgs::Lbfgs;

use crate::data::DataSet;
use crate::error::Error;
use crate::matrix::Matrix;
use crate::net::{Network, TwoLayerNet, Workspace};
use run::Run;

/// Anything an [`Optimiser`] can train: a cost J(p) of a flat parameter
/// vector p for a batch (X, y), and its gradient ∇J(p) in the same order.
///
/// [`TwoLayerNet`] and [`Network`] implement it; any other model that
/// implements these four methods trains with the same optimisers.
///
/// # Examples
///
/// ```
/// use backprop::{data, Model, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let net = TwoLayerNet::random(2, 3, 1, 0)?;
/// let (j, grad) = Model::cost_and_gradient(&net, &d.x, &d.y)?;
/// assert_eq!(grad.len(), Model::params(&net).len());
/// assert_eq!(j, net.cost(&d.x, &d.y)?);
/// # Ok::<(), backprop::Error>(())
/// ```
pub trait Model {
    /// All parameters, unrolled.
    fn params(&self) -> Vec<f64>;

    /// Replaces all parameters from a vector in the order of
    /// [`params`](Model::params).
    ///
    /// # Errors
    ///
    /// When the vector has the wrong length or a non-finite value; the model
    /// must then be unchanged.
    fn set_params(&mut self, params: &[f64]) -> Result<(), Error>;

    /// The cost J for the batch (X, y).
    ///
    /// # Errors
    ///
    /// When X or y does not fit the model, or J cannot be computed.
    fn cost(&self, x: &Matrix, y: &Matrix) -> Result<f64, Error>;

    /// J and ∇J for the batch (X, y), the gradient unrolled in the order of
    /// [`params`](Model::params).
    ///
    /// # Errors
    ///
    /// As for [`cost`](Model::cost).
    fn cost_and_gradient(&self, x: &Matrix, y: &Matrix) -> Result<(f64, Vec<f64>), Error>;

    /// As [`cost_and_gradient`](Model::cost_and_gradient), computing in
    /// `workspace`: its buffers, and the thread count it was made with. The
    /// optimisers call this with a workspace of their
    /// [`threads`](Bfgs::threads); a model without a use for one keeps this
    /// default, which ignores it.
    ///
    /// # Errors
    ///
    /// As for [`cost`](Model::cost).
    fn cost_and_gradient_in(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
    ) -> Result<(f64, Vec<f64>), Error> {
        let _ = workspace;
        self.cost_and_gradient(x, y)
    }

    /// As [`cost_and_gradient_in`](Model::cost_and_gradient_in), writing
    /// ∇J into `gradient` (of [`params`](Model::params)' length) rather
    /// than returning it: what the stochastic optimisers call for every
    /// mini-batch. The default copies from
    /// [`cost_and_gradient_in`](Model::cost_and_gradient_in);
    /// [`Network`] and [`TwoLayerNet`] write straight from the workspace
    /// and allocate nothing.
    ///
    /// # Errors
    ///
    /// As for [`cost`](Model::cost), and [`Error::ParamCount`] when
    /// `gradient` has the wrong length.
    fn cost_and_gradient_into(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
        gradient: &mut [f64],
    ) -> Result<f64, Error> {
        let (j, g) = self.cost_and_gradient_in(x, y, workspace)?;
        if g.len() != gradient.len() {
            return Err(Error::ParamCount {
                expected: g.len(),
                found: gradient.len(),
            });
        }
        gradient.copy_from_slice(&g);
        Ok(j)
    }

    /// Whether the gradient on (X, y) is small only because the outputs
    /// are saturated, as [`StopReason::Saturated`] describes; the
    /// optimisers ask once ‖∇J‖∞ has fallen to `tolerance`. The default
    /// says no, so a model without the notion reports
    /// [`StopReason::Converged`].
    ///
    /// # Errors
    ///
    /// As for [`cost`](Model::cost).
    fn saturated(&self, x: &Matrix, y: &Matrix, tolerance: f64) -> Result<bool, Error> {
        let _ = (x, y, tolerance);
        Ok(false)
    }
}

/// A model that is a [`Network`] underneath, as [`Network`] and
/// [`TwoLayerNet`] are: it trains through the network's fused pass. The
/// trait is public only in a private module, so no other type can take
/// this path; any other model implements [`Model`] itself.
pub(crate) mod wraps {
    use crate::net::Network;

    /// Gives the network to change the parameters of.
    pub trait WrapsNetwork: AsRef<Network> {
        /// The network, to set its parameters (never its shape).
        fn network_mut(&mut self) -> &mut Network;
    }
}

impl wraps::WrapsNetwork for Network {
    fn network_mut(&mut self) -> &mut Network {
        self
    }
}

impl wraps::WrapsNetwork for TwoLayerNet {
    fn network_mut(&mut self) -> &mut Network {
        self.network_mut()
    }
}

impl<T: wraps::WrapsNetwork> Model for T {
    fn params(&self) -> Vec<f64> {
        self.as_ref().params()
    }

    fn set_params(&mut self, params: &[f64]) -> Result<(), Error> {
        self.network_mut().set_params(params)
    }

    fn cost(&self, x: &Matrix, y: &Matrix) -> Result<f64, Error> {
        self.as_ref().cost(x, y)
    }

    fn cost_and_gradient(&self, x: &Matrix, y: &Matrix) -> Result<(f64, Vec<f64>), Error> {
        self.as_ref().cost_and_unrolled_gradient(x, y)
    }

    fn cost_and_gradient_in(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
    ) -> Result<(f64, Vec<f64>), Error> {
        self.as_ref().cost_and_unrolled_gradient_in(x, y, workspace)
    }

    fn cost_and_gradient_into(
        &self,
        x: &Matrix,
        y: &Matrix,
        workspace: &mut Workspace,
        gradient: &mut [f64],
    ) -> Result<f64, Error> {
        self.as_ref()
            .cost_and_gradient_into(x, y, workspace, gradient)
    }

    fn saturated(&self, x: &Matrix, y: &Matrix, tolerance: f64) -> Result<bool, Error> {
        self.as_ref().outputs_saturated(x, y, tolerance)
    }
}

/// What the callback sees after every iteration (and once before the first,
/// as iteration 0).
///
/// ```
/// use std::ops::ControlFlow;
/// use backprop::{data, GradientDescent, Optimiser, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 0)?;
/// let mut seen = Vec::new();
/// GradientDescent::new(1.0).max_iterations(3).train_with(&mut net, &d, None, |p| {
///     seen.push((p.iteration, p.training_cost, p.testing_cost));
///     ControlFlow::Continue(())
/// })?;
/// assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
/// assert!(seen.iter().all(|s| s.2.is_none()));
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Iterations completed: 0 for the starting point.
    pub iteration: usize,
    /// J on the training set at the current parameters.
    pub training_cost: f64,
    /// J on the testing set, when one was given.
    pub testing_cost: Option<f64>,
    /// The largest magnitude of a component of ∇J, ‖∇J‖∞.
    pub gradient_norm: f64,
}

/// Why training stopped.
///
/// ```
/// use backprop::{data, Bfgs, Optimiser, StopReason, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 0)?;
/// let report = Bfgs::default().max_iterations(2).train(&mut net, &d)?;
/// assert_eq!(report.stop, StopReason::IterationLimit);
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// ‖∇J‖∞ fell to the gradient tolerance (at a minimum, local or not).
    Converged,
    /// The iteration limit was reached first.
    IterationLimit,
    /// BFGS or L-BFGS: no step along the search direction satisfied the strong Wolfe
    /// conditions (usually because J cannot be lowered further in `f64`).
    /// The parameters are the last accepted ones.
    LineSearchFailed,
    /// Gradient descent or Adam: a step led to parameters or a cost beyond
    /// `f64` (the learning rate is too large). The parameters are the last
    /// finite ones (for mini-batches, those the epoch started from).
    Diverged,
    /// The callback returned `ControlFlow::Break`.
    Stopped,
    /// ‖∇J‖∞ fell to the gradient tolerance only because the outputs are
    /// saturated: on every example each output unit's f′(z) is below 1e-6
    /// of its peak, so almost no error flows back, while ŷ still misses y
    /// by more than the tolerance. The weights sit on a flat plateau far
    /// from a fit, not at a minimum; training again from other weights
    /// usually fits.
    Saturated,
}

/// The outcome of a training run.
///
/// # Examples
///
/// ```
/// use backprop::{data, Bfgs, Optimiser, StopReason, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 0)?;
/// let report = Bfgs::default().train(&mut net, &d)?;
/// assert_eq!(report.stop, StopReason::Converged);
/// assert_eq!(report.costs.len(), report.iterations + 1);
/// assert_eq!(report.final_cost, *report.costs.last().unwrap());
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Iterations completed.
    pub iterations: usize,
    /// Evaluations of J (each evaluation computes J and ∇J together).
    pub cost_evaluations: usize,
    /// Evaluations of ∇J.
    pub gradient_evaluations: usize,
    /// J at the final parameters, which the model holds on return.
    pub final_cost: f64,
    /// Why training stopped.
    pub stop: StopReason,
    /// The iteration with the lowest testing cost (the first, if several
    /// tie), when a testing set was given. With
    /// [`restore_best`](Bfgs::restore_best) the model ends with its
    /// parameters.
    pub best_iteration: Option<usize>,
    /// Training cost at the start and after every iteration
    /// (`iterations + 1` values).
    pub costs: Vec<f64>,
    /// Testing cost at the same points, when a testing set was given (else
    /// empty).
    pub testing_costs: Vec<f64>,
}

/// A training method: [`GradientDescent`], [`Adam`], [`Bfgs`] or [`Lbfgs`].
///
/// On success the model holds the final parameters. If training returns an
/// `Err` (a batch that does not fit the model, a setting out of range), the
/// model is left with the parameters it started with.
///
/// The trait is sealed: its supertrait, which says how to take one step, is
/// private, so only this crate's optimisers implement it. The loop around
/// the steps (stop tests, the callback, testing costs, the best weights)
/// is shared by both and can then change without breaking anyone's code.
/// Any model trains with them through [`Model`].
#[doc(alias = "Optimizer")]
pub trait Optimiser: run::Minimise {
    /// Trains `model` on `training` until a stop condition holds.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a setting out of range, and the model's
    /// errors for a training set that does not fit it.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, GradientDescent, Optimiser, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let mut net = TwoLayerNet::random(2, 3, 1, 0)?;
    /// let report = GradientDescent::new(2.0).max_iterations(100).train(&mut net, &d)?;
    /// assert!(report.final_cost < report.costs[0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    fn train<M: Model>(&self, model: &mut M, training: &DataSet) -> Result<Report, Error> {
        self.train_with(model, training, None, |_| ControlFlow::Continue(()))
    }

    /// Trains `model` on `training`, computing the cost on `testing` too when
    /// given, and calling `callback` at the start and after every iteration.
    /// Returning `ControlFlow::Break(())` from the callback stops training
    /// with [`StopReason::Stopped`].
    ///
    /// # Errors
    ///
    /// Those of [`train`](Optimiser::train), and the model's errors for a
    /// testing set that does not fit it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use backprop::{data, Bfgs, Cost, Optimiser, StopReason, TwoLayerNet};
    ///
    /// let (train, test) = data::part7_normalised();
    /// let mut net = TwoLayerNet::random(2, 3, 1, 0)?
    ///     .with_cost(Cost::Regularised { lambda: 1e-4 })?;
    /// let report = Bfgs::default().train_with(&mut net, &train, Some(&test), |p| {
    ///     println!("{:3}  {:.6}  {:.6}", p.iteration, p.training_cost, p.testing_cost.unwrap());
    ///     if p.iteration == 10 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    /// })?;
    /// assert_eq!(report.stop, StopReason::Stopped);
    /// assert_eq!(report.testing_costs.len(), 11);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    fn train_with<M: Model>(
        &self,
        model: &mut M,
        training: &DataSet,
        testing: Option<&DataSet>,
        mut callback: impl FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<Report, Error> {
        self.validate()?;
        let start = model.params();
        let settings = *self.settings();
        let mut run = Run::new(model, training, testing, &mut callback, &settings);
        let result = run.minimise(self, start.clone());
        let mut record = run.finish();
        match result {
            Ok(outcome) => {
                let stop = outcome.stop;
                let (params, mut cost) = record.final_params(outcome, settings.restore_best);
                model.set_params(&params)?;
                if self.stochastic() {
                    // An epoch's cost is a mean over the steps it took.
                    cost = model.cost(&training.x, &training.y)?;
                }
                Ok(record.into_report(cost, stop))
            }
            Err(e) => {
                model.set_params(&start)?;
                Err(e)
            }
        }
    }
}

impl<T: run::Minimise> Optimiser for T {}

/// The largest magnitude of a component, ‖v‖∞.
fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Rejects a tolerance or rate that is NaN, infinite or out of its range.
fn check_setting(what: &'static str, value: f64, ok: bool) -> Result<(), Error> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidSetting { what, value })
    }
}
