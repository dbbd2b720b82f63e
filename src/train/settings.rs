//! What every optimiser is told besides its own method: when to stop, how
//! many threads to compute with, and whether to keep the best weights.

use std::num::NonZeroUsize;

use super::check_setting;
use crate::error::Error;

/// The settings [`Bfgs`](super::Bfgs) and
/// [`GradientDescent`](super::GradientDescent) share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub(crate) max_iterations: usize,
    pub(crate) gradient_tolerance: f64,
    pub(crate) threads: Option<NonZeroUsize>,
    pub(crate) restore_best: bool,
}

impl Settings {
    pub(crate) const fn new(max_iterations: usize) -> Self {
        Settings {
            max_iterations,
            gradient_tolerance: 1e-5,
            threads: None,
            restore_best: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let tol = self.gradient_tolerance;
        check_setting("gradient tolerance", tol, tol >= 0.0)
    }
}

/// The builder methods of the shared settings, for an optimiser `$T` with a
/// `settings` field; `$make` builds one in the examples and `$iterations`
/// is its default iteration limit.
macro_rules! shared_settings {
    ($T:ident, $make:literal, $iterations:literal) => {
        impl $T {
            #[doc = concat!("The most iterations to run (default ", $iterations, ").")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let optimiser = ", $make, ".max_iterations(50);")]
            /// # let _ = optimiser;
            /// ```
            #[must_use]
            pub fn max_iterations(mut self, max_iterations: usize) -> Self {
                self.settings.max_iterations = max_iterations;
                self
            }

            /// Stop once ‖∇J‖∞ ≤ `tolerance` (default 1e-5; 0 runs until
            /// the iteration limit or a failed step).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let optimiser = ", $make, ".gradient_tolerance(1e-8);")]
            /// # let _ = optimiser;
            /// ```
            #[must_use]
            pub fn gradient_tolerance(mut self, tolerance: f64) -> Self {
                self.settings.gradient_tolerance = tolerance;
                self
            }

            /// Computes J and ∇J with `threads` threads for every batch
            /// (fewer when a batch has fewer rows), instead of the default
            /// workspace's choice: one thread for small problems, up to
            /// `BACKPROP_THREADS` or every core for large ones. Several
            /// trainings at once then share the cores as told, and the
            /// result has the same bits on any machine with the same CPU
            /// features (see the crate docs, "Determinism").
            ///
            /// This applies to models that compute through a
            /// [`Workspace`](crate::Workspace) ([`Model::cost_and_gradient_in`](crate::Model::cost_and_gradient_in)),
            /// as [`TwoLayerNet`](crate::TwoLayerNet) and
            /// [`Network`](crate::Network) do.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::num::NonZeroUsize;
            /// use backprop::{data, Optimiser, TwoLayerNet};
            ///
            /// let d = data::part1_normalised();
            /// let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
            #[doc = concat!("let optimiser = ", $make, ".threads(NonZeroUsize::MIN);")]
            /// optimiser.train(&mut net, &d)?;
            /// # Ok::<(), backprop::Error>(())
            /// ```
            #[must_use]
            pub fn threads(mut self, threads: std::num::NonZeroUsize) -> Self {
                self.settings.threads = Some(threads);
                self
            }

            /// With a testing set, ends training holding the parameters of
            /// the iteration with the lowest testing cost rather than the
            /// last ones: Part 7's early stopping.
            /// [`Report::best_iteration`](crate::Report::best_iteration)
            /// says which iteration that was, and the report's final cost
            /// is the training cost there. Without a testing set this has
            /// no effect (default off).
            ///
            /// # Examples
            ///
            /// ```
            /// use backprop::{data, Optimiser, TwoLayerNet};
            ///
            /// let (train, test) = data::part7_normalised();
            /// let mut net = TwoLayerNet::random(2, 3, 1, 4)?;
            #[doc = concat!("let optimiser = ", $make, ".restore_best(true);")]
            /// let report = optimiser.train_with(&mut net, &train, Some(&test), |_| std::ops::ControlFlow::Continue(()))?;
            /// let best = report.best_iteration.unwrap();
            /// let lowest = report.testing_costs.iter().copied().fold(f64::INFINITY, f64::min);
            /// assert_eq!(report.testing_costs[best], lowest);
            /// assert_eq!(net.cost(&test.x, &test.y)?, lowest);
            /// # Ok::<(), backprop::Error>(())
            /// ```
            #[must_use]
            pub fn restore_best(mut self, restore: bool) -> Self {
                self.settings.restore_best = restore;
                self
            }
        }
    };
}

pub(crate) use shared_settings;
