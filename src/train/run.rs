//! The bookkeeping every optimiser shares: evaluating the model at a point,
//! counting evaluations, recording costs and asking the callback.

use std::ops::ControlFlow;

use super::settings::Settings;
use super::{Model, Progress, Report, StopReason, max_abs};
use crate::data::DataSet;
use crate::error::Error;
use crate::matrix::Matrix;
use crate::net::Workspace;

/// One training run in progress. Public only inside a private module, so it
/// can appear in [`Minimise`] without being part of the crate's API.
#[allow(missing_debug_implementations)]
pub struct Run<'a> {
    model: &'a mut dyn Model,
    training: &'a DataSet,
    testing: Option<&'a DataSet>,
    callback: &'a mut dyn FnMut(&Progress) -> ControlFlow<()>,
    workspace: Workspace,
    record: Record,
}

/// What a run leaves behind once it no longer borrows the model.
#[derive(Debug)]
pub struct Record {
    iterations: usize,
    evaluations: usize,
    costs: Vec<f64>,
    testing_costs: Vec<f64>,
    best: Option<Best>,
}

/// The iteration with the lowest testing cost so far, and what training
/// would need to end there.
#[derive(Debug)]
pub struct Best {
    iteration: usize,
    testing_cost: f64,
    training_cost: f64,
    params: Vec<f64>,
}

/// J and ∇J at one point.
#[derive(Debug)]
pub struct Evaluation {
    pub cost: f64,
    pub gradient: Vec<f64>,
}

/// How a minimiser finished: the parameters to keep, J there, and why it
/// stopped.
#[derive(Debug)]
pub struct Outcome {
    pub params: Vec<f64>,
    pub cost: f64,
    pub stop: StopReason,
}

/// The optimiser side of [`Optimiser`](super::Optimiser), implemented by
/// [`GradientDescent`](super::GradientDescent) and [`Bfgs`](super::Bfgs):
/// how to take one step. The loop around the steps, with its stop tests, is
/// [`Run::minimise`], shared by both.
pub trait Minimise {
    /// What the method carries from one iteration to the next.
    type State;

    /// Rejects settings out of range before anything runs.
    fn validate(&self) -> Result<(), Error>;

    /// The iteration limit, the gradient tolerance on ‖∇J‖∞, the threads
    /// and whether to keep the best weights.
    fn settings(&self) -> &Settings;

    /// Whether one iteration is an epoch of mini-batches, whose recorded
    /// cost is their mean rather than J at the final parameters.
    fn stochastic(&self) -> bool {
        false
    }

    /// The state for a model with `params` parameters.
    fn start(&self, params: usize) -> Result<Self::State, Error>;

    /// One iteration from `p`, where J and ∇J are `at`: the next point, or
    /// why there is none.
    fn step(
        &self,
        state: &mut Self::State,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason>;
}

impl<'a> Run<'a> {
    pub fn new(
        model: &'a mut dyn Model,
        training: &'a DataSet,
        testing: Option<&'a DataSet>,
        callback: &'a mut dyn FnMut(&Progress) -> ControlFlow<()>,
        settings: &Settings,
    ) -> Self {
        Run {
            model,
            training,
            testing,
            callback,
            workspace: match settings.threads {
                Some(threads) => Workspace::with_threads(threads),
                None => Workspace::new(),
            },
            record: Record {
                iterations: 0,
                evaluations: 0,
                costs: Vec::new(),
                testing_costs: Vec::new(),
                best: None,
            },
        }
    }

    /// Iterates `method` from `start` until ‖∇J‖∞ is within its tolerance,
    /// its iteration limit is reached, a step fails, or the callback says
    /// stop. Errors are those of the first evaluation (the data do not fit
    /// the model) and of the testing cost.
    pub fn minimise<M: Minimise + ?Sized>(
        &mut self,
        method: &M,
        start: Vec<f64>,
    ) -> Result<Outcome, Error> {
        let Settings {
            max_iterations,
            gradient_tolerance: tolerance,
            ..
        } = *method.settings();
        let converged = |at: &Evaluation| max_abs(&at.gradient) <= tolerance;
        let mut state = method.start(start.len())?;
        let mut p = start;
        let mut at = self.evaluate(&p)?;
        let stop = 'run: {
            if self.iteration_done(0, &p, &at)?.is_break() {
                break 'run StopReason::Stopped;
            }
            for iteration in 1..=max_iterations {
                if converged(&at) {
                    break 'run self.why_flat(&p, tolerance)?;
                }
                match method.step(&mut state, self, &p, &at, iteration) {
                    Ok(next) => (p, at) = next,
                    Err(stop) => break 'run stop,
                }
                if self.iteration_done(iteration, &p, &at)?.is_break() {
                    break 'run StopReason::Stopped;
                }
            }
            if converged(&at) {
                self.why_flat(&p, tolerance)?
            } else {
                StopReason::IterationLimit
            }
        };
        Ok(Outcome {
            params: p,
            cost: at.cost,
            stop,
        })
    }

    /// Why the gradient at `params` has fallen to `tolerance`: a minimum,
    /// or outputs saturated far from a fit.
    fn why_flat(&mut self, params: &[f64], tolerance: f64) -> Result<StopReason, Error> {
        self.model.set_params(params)?;
        let (x, y) = (&self.training.x, &self.training.y);
        Ok(if self.model.saturated(x, y, tolerance)? {
            StopReason::Saturated
        } else {
            StopReason::Converged
        })
    }

    /// J and ∇J on the training set at `params`.
    pub fn evaluate(&mut self, params: &[f64]) -> Result<Evaluation, Error> {
        self.model.set_params(params)?;
        self.record.evaluations += 1;
        let (cost, gradient) = self.model.cost_and_gradient_in(
            &self.training.x,
            &self.training.y,
            &mut self.workspace,
        )?;
        Ok(Evaluation { cost, gradient })
    }

    /// The training set.
    pub fn training(&self) -> &'a DataSet {
        self.training
    }

    /// J on the mini-batch (X, y) at `params`, with ∇J written into
    /// `gradient`: one evaluation, allocating nothing.
    pub fn batch(
        &mut self,
        params: &[f64],
        x: &Matrix,
        y: &Matrix,
        gradient: &mut [f64],
    ) -> Result<f64, Error> {
        self.model.set_params(params)?;
        self.record.evaluations += 1;
        self.model
            .cost_and_gradient_into(x, y, &mut self.workspace, gradient)
    }

    /// Records that `iteration` iterations are complete at `params`, where
    /// the training cost and gradient are `at`, and asks the callback whether
    /// to go on.
    fn iteration_done(
        &mut self,
        iteration: usize,
        params: &[f64],
        at: &Evaluation,
    ) -> Result<ControlFlow<()>, Error> {
        let testing_cost = match self.testing {
            Some(t) => {
                self.model.set_params(params)?;
                let j = self.model.cost(&t.x, &t.y)?;
                self.record.testing_costs.push(j);
                if self.record.best.as_ref().is_none_or(|b| j < b.testing_cost) {
                    self.record.best = Some(Best {
                        iteration,
                        testing_cost: j,
                        training_cost: at.cost,
                        params: params.to_vec(),
                    });
                }
                Some(j)
            }
            None => None,
        };
        self.record.iterations = iteration;
        self.record.costs.push(at.cost);
        Ok((self.callback)(&Progress {
            iteration,
            training_cost: at.cost,
            testing_cost,
            gradient_norm: max_abs(&at.gradient),
        }))
    }

    pub fn finish(self) -> Record {
        self.record
    }
}

impl Record {
    /// The parameters training ends with, and J there: the outcome's, or
    /// with `restore_best` those of the lowest testing cost.
    pub fn final_params(&mut self, outcome: Outcome, restore_best: bool) -> (Vec<f64>, f64) {
        match &mut self.best {
            Some(best) if restore_best => (std::mem::take(&mut best.params), best.training_cost),
            _ => (outcome.params, outcome.cost),
        }
    }

    pub fn into_report(self, final_cost: f64, stop: StopReason) -> Report {
        Report {
            iterations: self.iterations,
            cost_evaluations: self.evaluations,
            gradient_evaluations: self.evaluations,
            final_cost,
            stop,
            best_iteration: self.best.map(|b| b.iteration),
            costs: self.costs,
            testing_costs: self.testing_costs,
        }
    }
}
