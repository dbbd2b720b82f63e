//! Adam (Kingma & Ba, *Adam: A Method for Stochastic Optimization*, 2015,
//! Algorithm 1), over mini-batches.

use super::epochs::{Batching, Epochs, Rule, check_batch_size};
use super::run::{Evaluation, Minimise, Run};
use super::settings::{Settings, shared_settings};
use super::{StopReason, check_setting};
use crate::error::Error;
use crate::isa::{Isa, Path, Routine, dispatch};

/// Adam: stochastic gradient descent whose step for each parameter is
/// scaled by running estimates of its gradient's first and second moments.
///
/// ```text
/// for every mini-batch, t = 1, 2, …:   g = ∇J(p) on the mini-batch
///     m ← β1·m + (1 − β1)·g            v ← β2·v + (1 − β2)·g²
///     m̂ = m / (1 − β1ᵗ)                v̂ = v / (1 − β2ᵗ)
///     p ← p − η·m̂ / (√v̂ + ε)
/// ```
///
/// m and v start at 0; dividing by 1 − βᵗ corrects their bias towards 0
/// in the first steps. One iteration is one epoch: every example once, in
/// mini-batches of [`batch_size`](Adam::batch_size) rows, in an order
/// shuffled anew each epoch from [`seed`](Adam::seed) (the last mini-batch
/// may be short). The same seed and thread count give the same bits.
/// [`Report::costs`](crate::Report::costs) holds, for each epoch, the mean
/// of its mini-batches' costs weighted by their rows, and the gradient the
/// tolerance is tested on is their mean likewise; the report's final cost
/// is J on the whole training set at the final parameters.
///
/// Defaults, as in the paper, PyTorch and scikit-learn: η = 1e-3,
/// β1 = 0.9, β2 = 0.999, ε = 1e-8, mini-batches of 200, seed 0, at most
/// 200 epochs, stop when ‖∇J‖∞ ≤ 1e-5. Each mini-batch's J should be a
/// mean over its rows ([`Cost::CrossEntropy`](crate::Cost::CrossEntropy)
/// or a regularised cost), so that the step does not depend on its size.
///
/// # Examples
///
/// ```
/// use backprop::{data, Activation, Adam, Cost, DataSet, Matrix, Network, Optimiser};
///
/// // Two classes: is x₁ + x₂ above 1?
/// let x = Matrix::randn(200, 2, 1).map(backprop::sigmoid);
/// let labels: Vec<usize> = (0..200).map(|i| usize::from(x[(i, 0)] + x[(i, 1)] > 1.0)).collect();
/// let d = DataSet::new(x, data::one_hot(&labels, 2)?)?;
/// let mut net = Network::builder(2)
///     .biased_layer(8, Activation::Relu)
///     .biased_layer(2, Activation::Softmax)
///     .cost(Cost::CrossEntropy)
///     .build()?;
/// let report = Adam::default().learning_rate(0.01).batch_size(20).max_iterations(100).train(&mut net, &d)?;
/// assert!(report.final_cost < 0.5 * report.costs[0]);
/// assert!(net.accuracy(&d)? > 0.9);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    learning_rate: f64,
    betas: (f64, f64),
    epsilon: f64,
    batching: Batching,
    settings: Settings,
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            learning_rate: 1e-3,
            betas: (0.9, 0.999),
            epsilon: 1e-8,
            batching: Batching { size: 200, seed: 0 },
            settings: Settings::new(200),
        }
    }
}

shared_settings!(Adam, "backprop::Adam::default()", "200 epochs");

impl Adam {
    /// The learning rate η, finite and positive (default 1e-3).
    ///
    /// ```
    /// let adam = backprop::Adam::default().learning_rate(0.01);
    /// # let _ = adam;
    /// ```
    #[must_use]
    pub fn learning_rate(self, learning_rate: f64) -> Self {
        Adam {
            learning_rate,
            ..self
        }
    }

    /// The decay rates β1 and β2 of the moment estimates, each in \[0, 1)
    /// (default 0.9 and 0.999).
    ///
    /// ```
    /// let adam = backprop::Adam::default().betas(0.8, 0.99);
    /// # let _ = adam;
    /// ```
    #[must_use]
    pub fn betas(self, beta1: f64, beta2: f64) -> Self {
        Adam {
            betas: (beta1, beta2),
            ..self
        }
    }

    /// ε, finite and positive, added to √v̂ so that a step is never divided
    /// by 0 (default 1e-8).
    ///
    /// ```
    /// let adam = backprop::Adam::default().epsilon(1e-7);
    /// # let _ = adam;
    /// ```
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        Adam { epsilon, ..self }
    }

    /// Rows per mini-batch, at least 1 (default 200; a training set of
    /// fewer rows is one mini-batch).
    ///
    /// ```
    /// let adam = backprop::Adam::default().batch_size(32);
    /// # let _ = adam;
    /// ```
    #[must_use]
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batching.size = size;
        self
    }

    /// The seed of the order the examples are taken in (default 0).
    ///
    /// ```
    /// let adam = backprop::Adam::default().seed(7);
    /// # let _ = adam;
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.batching.seed = seed;
        self
    }
}

/// Adam's moment estimates and step count.
#[derive(Debug)]
pub struct Moments {
    learning_rate: f64,
    betas: (f64, f64),
    epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    /// β1ᵗ and β2ᵗ.
    powers: (f64, f64),
}

impl Rule for Moments {
    fn update(&mut self, p: &mut [f64], g: &[f64]) {
        let (b1, b2) = self.betas;
        self.powers = (self.powers.0 * b1, self.powers.1 * b2);
        // Compiled for the widest vectors this CPU has: every operation is
        // exactly rounded (no multiply-add), so every path gives the same
        // bits.
        dispatch(Path::best(), Step(self, p, g));
    }
}

impl Moments {
    /// One step of Algorithm 1 for every parameter.
    #[inline(always)]
    fn step(&mut self, p: &mut [f64], g: &[f64]) {
        let (b1, b2) = self.betas;
        // m̂ = m / (1 − β1ᵗ) and v̂ = v / (1 − β2ᵗ) as products with the
        // reciprocals: one division and one square root a parameter, which
        // bound the step's speed, rather than three divisions.
        let (inv_c1, inv_c2) = (1.0 / (1.0 - self.powers.0), 1.0 / (1.0 - self.powers.1));
        let (eta, eps) = (self.learning_rate, self.epsilon);
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.v) {
            // m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            // p ← p − η·m̂ / (√v̂ + ε)
            let (m_hat, v_hat) = (*m * inv_c1, *v * inv_c2);
            *p -= eta * m_hat / (v_hat.sqrt() + eps);
        }
    }
}

/// [`Moments::step`] as a [`Routine`].
struct Step<'a>(&'a mut Moments, &'a mut [f64], &'a [f64]);

impl Routine for Step<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, _: I) {
        self.0.step(self.1, self.2);
    }
}

impl Minimise for Adam {
    type State = Epochs<Moments>;

    fn validate(&self) -> Result<(), Error> {
        let (eta, (b1, b2), eps) = (self.learning_rate, self.betas, self.epsilon);
        check_setting("learning rate", eta, eta > 0.0)?;
        check_setting("beta1", b1, (0.0..1.0).contains(&b1))?;
        check_setting("beta2", b2, (0.0..1.0).contains(&b2))?;
        check_setting("epsilon", eps, eps > 0.0)?;
        check_batch_size(self.batching.size)?;
        self.settings.validate()
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn stochastic(&self) -> bool {
        true
    }

    fn start(&self, params: usize) -> Result<Self::State, Error> {
        Ok(Epochs::new(Moments {
            learning_rate: self.learning_rate,
            betas: self.betas,
            epsilon: self.epsilon,
            m: vec![0.0; params],
            v: vec![0.0; params],
            powers: (1.0, 1.0),
        }))
    }

    fn step(
        &self,
        state: &mut Self::State,
        run: &mut Run<'_>,
        p: &[f64],
        _at: &Evaluation,
        _iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        state.epoch(self.batching, run, p)
    }
}
