//! The bookkeeping every optimiser shares: evaluating the model at a point,
//! counting evaluations, recording costs and asking the callback.

use std::ops::ControlFlow;

use super::{Model, Progress, Report, StopReason, max_abs};
use crate::data::DataSet;
use crate::error::Error;

/// One training run in progress. Public only inside a private module, so it
/// can appear in [`Minimise`] without being part of the crate's API.
#[allow(missing_debug_implementations)]
pub struct Run<'a> {
    model: &'a mut dyn Model,
    training: &'a DataSet,
    testing: Option<&'a DataSet>,
    callback: &'a mut dyn FnMut(&Progress) -> ControlFlow<()>,
    record: Record,
}

/// What a run leaves behind once it no longer borrows the model.
#[derive(Debug)]
pub struct Record {
    iterations: usize,
    evaluations: usize,
    costs: Vec<f64>,
    testing_costs: Vec<f64>,
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

/// The optimiser side of [`Optimiser`](super::Optimiser); implemented by
/// [`GradientDescent`](super::GradientDescent) and [`Bfgs`](super::Bfgs).
pub trait Minimise {
    /// Rejects settings out of range before anything runs.
    fn validate(&self) -> Result<(), Error>;

    /// Minimises from `start`, reporting each iteration through `run`.
    fn minimise(&self, run: &mut Run<'_>, start: Vec<f64>) -> Result<Outcome, Error>;
}

impl<'a> Run<'a> {
    pub fn new(
        model: &'a mut dyn Model,
        training: &'a DataSet,
        testing: Option<&'a DataSet>,
        callback: &'a mut dyn FnMut(&Progress) -> ControlFlow<()>,
    ) -> Self {
        Run {
            model,
            training,
            testing,
            callback,
            record: Record {
                iterations: 0,
                evaluations: 0,
                costs: Vec::new(),
                testing_costs: Vec::new(),
            },
        }
    }

    /// J and ∇J on the training set at `params`.
    pub fn evaluate(&mut self, params: &[f64]) -> Result<Evaluation, Error> {
        self.model.set_params(params)?;
        self.record.evaluations += 1;
        let (cost, gradient) = self
            .model
            .cost_and_gradient(&self.training.x, &self.training.y)?;
        Ok(Evaluation { cost, gradient })
    }

    /// Records that `iteration` iterations are complete at `params`, where
    /// the training cost and gradient are `at`, and asks the callback whether
    /// to go on.
    pub fn iteration_done(
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
    pub fn into_report(self, final_cost: f64, stop: StopReason) -> Report {
        Report {
            iterations: self.iterations,
            cost_evaluations: self.evaluations,
            gradient_evaluations: self.evaluations,
            final_cost,
            stop,
            costs: self.costs,
            testing_costs: self.testing_costs,
        }
    }
}
