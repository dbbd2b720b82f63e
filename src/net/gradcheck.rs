//! Numerical gradient checking (Part 5 of the series): the analytic gradient
//! from backpropagation held against central finite differences of the cost.
//!
//! ```text
//! numgrad_p = (J(p + ε) − J(p − ε)) / (2ε)                ε = 1e-4
//! error     = ‖grad − numgrad‖ / ‖grad + numgrad‖         should be < 1e-8
//! ```

use crate::error::Error;
use crate::matrix::{Matrix, euclidean_norm};
use crate::net::{Network, TwoLayerNet};

/// The series' step for central differences, ε = 1e-4, used by
/// [`TwoLayerNet::check_gradients`].
///
/// ```
/// use backprop::{data, TwoLayerNet, DEFAULT_EPSILON};
///
/// let d = data::part1_normalised();
/// let net = TwoLayerNet::random(2, 3, 1, 1)?;
/// assert_eq!(
///     net.check_gradients(&d.x, &d.y)?,
///     net.check_gradients_with(&d.x, &d.y, DEFAULT_EPSILON)?
/// );
/// # Ok::<(), backprop::Error>(())
/// ```
pub const DEFAULT_EPSILON: f64 = 1e-4;

/// The outcome of a gradient check: both gradients unrolled in the order of
/// [`TwoLayerNet::params`], and their relative error.
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let check = TwoLayerNet::random(2, 3, 1, 5)?.check_gradients(&d.x, &d.y)?;
/// assert_eq!(check.analytic.len(), 9);
/// assert!(check.relative_error < 1e-8);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// ∂J/∂W by backpropagation, unrolled (the series' `computeGradients`).
    pub analytic: Vec<f64>,
    /// ∂J/∂W by central differences, unrolled (the series'
    /// `computeNumericalGradient`).
    pub numerical: Vec<f64>,
    /// ‖analytic − numerical‖ / ‖analytic + numerical‖.
    pub relative_error: f64,
}

/// Central differences (f(p + εeₖ) − f(p − εeₖ)) / (2ε) for every
/// coordinate k of `params`, for any cost function `f` of a flat parameter
/// vector.
///
/// `f` is called twice per parameter, each time with `params` changed in one
/// place; `params` itself is not changed.
///
/// # Errors
///
/// [`Error::InvalidSetting`] when `epsilon` is not finite and positive, and
/// any error `f` returns.
///
/// # Examples
///
/// ```
/// use backprop::numerical_gradient;
///
/// // f(p) = p₀² + 3p₁ has gradient (2p₀, 3).
/// let g = numerical_gradient(|p| Ok(p[0] * p[0] + 3.0 * p[1]), &[2.0, 7.0], 1e-4)?;
/// assert!((g[0] - 4.0).abs() < 1e-9 && (g[1] - 3.0).abs() < 1e-9);
/// # Ok::<(), backprop::Error>(())
/// ```
pub fn numerical_gradient(
    mut f: impl FnMut(&[f64]) -> Result<f64, Error>,
    params: &[f64],
    epsilon: f64,
) -> Result<Vec<f64>, Error> {
    if !(epsilon > 0.0 && epsilon.is_finite()) {
        return Err(Error::InvalidSetting {
            what: "epsilon",
            value: epsilon,
        });
    }
    let mut probe = params.to_vec();
    let mut numgrad = Vec::with_capacity(params.len());
    for k in 0..params.len() {
        probe[k] = params[k] + epsilon;
        let loss2 = f(&probe)?;
        probe[k] = params[k] - epsilon;
        let loss1 = f(&probe)?;
        probe[k] = params[k];
        numgrad.push((loss2 - loss1) / (2.0 * epsilon));
    }
    Ok(numgrad)
}

/// The series' relative error ‖grad − numgrad‖ / ‖grad + numgrad‖.
///
/// It is 0 when both are zero, and `f64::INFINITY` when they are exact
/// opposites (the sum is zero but the difference is not): the check has
/// failed as badly as it can.
///
/// # Panics
///
/// If the slices differ in length.
///
/// # Examples
///
/// ```
/// use backprop::relative_error;
///
/// assert_eq!(relative_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
/// // ‖(0, 0.2)‖ / ‖(2, 3.8)‖
/// let e = relative_error(&[1.0, 2.0], &[1.0, 1.8]);
/// assert!((e - 0.2 / (4.0f64 + 14.44).sqrt()).abs() < 1e-15);
/// ```
#[track_caller]
#[must_use]
pub fn relative_error(grad: &[f64], numgrad: &[f64]) -> f64 {
    assert_eq!(
        grad.len(),
        numgrad.len(),
        "relative_error: the gradients have {} and {} entries",
        grad.len(),
        numgrad.len()
    );
    let diff: Vec<f64> = grad.iter().zip(numgrad).map(|(g, n)| g - n).collect();
    let sum: Vec<f64> = grad.iter().zip(numgrad).map(|(g, n)| g + n).collect();
    let (num, den) = (euclidean_norm(&diff), euclidean_norm(&sum));
    if num == 0.0 {
        0.0
    } else if den == 0.0 {
        f64::INFINITY
    } else {
        num / den
    }
}

impl TwoLayerNet {
    /// ∂J/∂W by central differences of [`cost`](Self::cost) with step
    /// `epsilon`, unrolled in the order of [`params`](Self::params) (the
    /// series' `computeNumericalGradient`). The network is not changed.
    ///
    /// # Errors
    ///
    /// Those of [`cost`](Self::cost), and [`Error::InvalidSetting`] when
    /// `epsilon` is not finite and positive.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 5)?;
    /// let numgrad = net.numerical_gradients(&d.x, &d.y, 1e-4)?;
    /// let grad = net.gradients(&d.x, &d.y)?.to_vec();
    /// for (g, n) in grad.iter().zip(&numgrad) {
    ///     assert!((g - n).abs() < 1e-8);
    /// }
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn numerical_gradients(
        &self,
        x: &Matrix,
        y: &Matrix,
        epsilon: f64,
    ) -> Result<Vec<f64>, Error> {
        self.network().numerical_gradients(x, y, epsilon)
    }

    /// Compares the backpropagated gradient with central differences
    /// (ε = [`DEFAULT_EPSILON`]), as Part 5 of the series does. A correct
    /// implementation gives a relative error below 1e-8.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let check = TwoLayerNet::random(2, 3, 1, 9)?.check_gradients(&d.x, &d.y)?;
    /// println!("relative error {:.2e}", check.relative_error);
    /// assert!(check.relative_error < 1e-8);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn check_gradients(&self, x: &Matrix, y: &Matrix) -> Result<GradientCheck, Error> {
        self.check_gradients_with(x, y, DEFAULT_EPSILON)
    }

    /// [`check_gradients`](Self::check_gradients) with a chosen step `epsilon`.
    ///
    /// # Errors
    ///
    /// Those of [`numerical_gradients`](Self::numerical_gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, TwoLayerNet};
    ///
    /// let d = data::part1_normalised();
    /// let net = TwoLayerNet::random(2, 3, 1, 9)?;
    /// assert!(net.check_gradients_with(&d.x, &d.y, 1e-5)?.relative_error < 1e-8);
    /// assert!(net.check_gradients_with(&d.x, &d.y, -1.0).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn check_gradients_with(
        &self,
        x: &Matrix,
        y: &Matrix,
        epsilon: f64,
    ) -> Result<GradientCheck, Error> {
        self.network().check_gradients_with(x, y, epsilon)
    }
}

impl GradientCheck {
    fn of(analytic: Vec<f64>, numerical: Vec<f64>) -> Self {
        let relative_error = relative_error(&analytic, &numerical);
        GradientCheck {
            analytic,
            numerical,
            relative_error,
        }
    }
}

impl Network {
    /// ∂J/∂W and ∂J/∂b by central differences of [`cost`](Self::cost) with
    /// step `epsilon`, unrolled in the order of [`params`](Self::params).
    /// The network is not changed.
    ///
    /// # Errors
    ///
    /// Those of [`cost`](Self::cost), and [`Error::InvalidSetting`] when
    /// `epsilon` is not finite and positive.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Activation, Network};
    ///
    /// let d = data::part1_normalised();
    /// let net = Network::builder(2).biased_layer(4, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
    /// let numgrad = net.numerical_gradients(&d.x, &d.y, 1e-4)?;
    /// assert_eq!(numgrad.len(), net.param_count());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn numerical_gradients(
        &self,
        x: &Matrix,
        y: &Matrix,
        epsilon: f64,
    ) -> Result<Vec<f64>, Error> {
        // Check the batch once up front, so a bad X or y is reported as such
        // rather than from inside the loop.
        self.cost(x, y)?;
        let mut probe = self.clone();
        numerical_gradient(
            |params| {
                probe.set_params(params)?;
                probe.cost(x, y)
            },
            &self.params(),
            epsilon,
        )
    }

    /// Compares the backpropagated gradient with central differences
    /// (ε = [`DEFAULT_EPSILON`]), as Part 5 of the series does.
    ///
    /// # Errors
    ///
    /// Those of [`gradients`](Self::gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network};
    ///
    /// let d = data::part1_normalised();
    /// let check = Network::random(&[2, 4, 3, 1], 9)?.check_gradients(&d.x, &d.y)?;
    /// assert!(check.relative_error < 1e-8);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn check_gradients(&self, x: &Matrix, y: &Matrix) -> Result<GradientCheck, Error> {
        self.check_gradients_with(x, y, DEFAULT_EPSILON)
    }

    /// [`check_gradients`](Self::check_gradients) with a chosen step `epsilon`.
    ///
    /// # Errors
    ///
    /// Those of [`numerical_gradients`](Self::numerical_gradients).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Network};
    ///
    /// let d = data::part1_normalised();
    /// let net = Network::random(&[2, 3, 1], 9)?;
    /// assert!(net.check_gradients_with(&d.x, &d.y, -1.0).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn check_gradients_with(
        &self,
        x: &Matrix,
        y: &Matrix,
        epsilon: f64,
    ) -> Result<GradientCheck, Error> {
        let analytic = self.gradients(x, y)?.to_vec();
        let numerical = self.numerical_gradients(x, y, epsilon)?;
        Ok(GradientCheck::of(analytic, numerical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_differences_are_exact_for_quadratics() {
        // For a quadratic the central difference has no truncation error.
        let g =
            numerical_gradient(|p| Ok(3.0 * p[0] * p[0] - p[0] * p[1]), &[1.0, 2.0], 0.5).unwrap();
        assert!((g[0] - (6.0 - 2.0)).abs() < 1e-12);
        assert!((g[1] - (-1.0)).abs() < 1e-12);
    }

    #[test]
    fn bad_epsilon_is_rejected() {
        for eps in [0.0, -1e-4, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                numerical_gradient(|_| Ok(0.0), &[1.0], eps),
                Err(Error::InvalidSetting {
                    what: "epsilon",
                    ..
                })
            ));
        }
    }

    #[test]
    fn relative_error_edge_cases() {
        assert_eq!(relative_error(&[], &[]), 0.0);
        assert_eq!(relative_error(&[0.0], &[0.0]), 0.0);
        assert_eq!(relative_error(&[1.0], &[-1.0]), f64::INFINITY);
        assert_eq!(relative_error(&[1.0], &[3.0]), 0.5);
    }

    #[test]
    #[should_panic(expected = "relative_error: the gradients have 2 and 1 entries")]
    fn relative_error_length_mismatch_panics() {
        let _ = relative_error(&[1.0, 2.0], &[1.0]);
    }
}
