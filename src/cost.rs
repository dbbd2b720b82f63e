//! The cost functions of the series: Part 4's sum of squared errors and
//! Part 7's regularised mean.

use crate::error::Error;
use crate::layer::Layer;
use crate::matrix::Matrix;

/// Which cost J a [`TwoLayerNet`](crate::TwoLayerNet) measures and
/// differentiates.
///
/// ```text
/// SumOfSquares:   J = ½ Σ (y − ŷ)²
///                 ∂J/∂W(2) = a(2)ᵀ·δ(3)            ∂J/∂W(1) = Xᵀ·δ(2)
///
/// Regularised:    J = ½ Σ (y − ŷ)² / N + (λ/2)·(Σ W(1)² + Σ W(2)²)
///                 ∂J/∂W(2) = a(2)ᵀ·δ(3) / N + λ·W(2)
///                 ∂J/∂W(1) = Xᵀ·δ(2) / N + λ·W(1)
/// ```
///
/// N is the number of examples in the batch. The errors δ(3) and δ(2) are
/// the same for both. Dividing by N makes costs of batches of different
/// sizes comparable (training against testing); the λ term penalises large
/// weights, which is how Part 7 fights overfitting.
///
/// # Examples
///
/// ```
/// use backprop::{Cost, TwoLayerNet};
///
/// let net = TwoLayerNet::random(2, 3, 1, 0)?;
/// assert_eq!(net.cost_function(), Cost::SumOfSquares);
/// let net = net.with_cost(Cost::Regularised { lambda: 1e-4 })?;
/// assert_eq!(net.cost_function(), Cost::Regularised { lambda: 1e-4 });
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Cost {
    /// Part 4: J = ½ Σ (y − ŷ)², the default.
    #[default]
    SumOfSquares,
    /// Part 7: J = ½ Σ (y − ŷ)² / N + (λ/2)·(Σ W(1)² + Σ W(2)²).
    Regularised {
        /// The penalty λ on the squared weights, finite and ≥ 0 (the series
        /// uses 1e-4).
        lambda: f64,
    },
}

impl Cost {
    /// The cost itself if its setting is in range.
    pub(crate) fn validated(self) -> Result<Self, Error> {
        match self {
            Cost::Regularised { lambda } if !(lambda >= 0.0 && lambda.is_finite()) => {
                Err(Error::InvalidSetting {
                    what: "lambda",
                    value: lambda,
                })
            }
            _ => Ok(self),
        }
    }

    /// J for targets `y`, predictions `y_hat` and the weights.
    pub(crate) fn value(self, y: &Matrix, y_hat: &Matrix, layers: &[Layer]) -> Result<f64, Error> {
        let half_sse = half_sse(0.0, y.as_slice(), y_hat.as_slice());
        self.value_from_half_sse(half_sse, y.rows(), layers)
    }

    /// J from ½ Σ (y − ŷ)² over a batch of `n` examples and the weights.
    pub(crate) fn value_from_half_sse(
        self,
        half_sse: f64,
        n: usize,
        layers: &[Layer],
    ) -> Result<f64, Error> {
        let j = match self {
            Cost::SumOfSquares => half_sse,
            Cost::Regularised { lambda } => {
                // The weights only: λ does not apply to biases.
                let weights = layers.iter().flat_map(|l| l.weights.as_slice());
                let penalty: f64 = weights.map(|&w| 0.5 * lambda * w * w).sum();
                half_sse / n as f64 + penalty
            }
        };
        if j.is_finite() {
            Ok(j)
        } else {
            Err(Error::Overflow { what: "J" })
        }
    }

    /// ∂J/∂W from the unscaled sum over examples (a(2)ᵀ·δ(3) or Xᵀ·δ(2)),
    /// the weights W and the batch size N.
    pub(crate) fn gradient(self, mut summed: Matrix, w: &Matrix, n: usize) -> Matrix {
        self.finish_gradient(summed.as_mut_slice(), w, n);
        summed
    }

    /// Turns the unscaled sum over examples into ∂J/∂W, in place.
    pub(crate) fn finish_gradient(self, summed: &mut [f64], w: &Matrix, n: usize) {
        if let Cost::Regularised { lambda } = self {
            let n = n as f64;
            for (g, &w) in summed.iter_mut().zip(w.as_slice()) {
                *g = *g / n + lambda * w;
            }
        }
    }

    /// Turns the unscaled sum over examples Σ δ into ∂J/∂b, in place: the
    /// penalty λ applies to weights only, so a bias's gradient is only
    /// divided by N.
    pub(crate) fn finish_bias_gradient(self, summed: &mut [f64], n: usize) {
        if let Cost::Regularised { .. } = self {
            let n = n as f64;
            summed.iter_mut().for_each(|g| *g /= n);
        }
    }

    /// The equations of ∂J/∂W(1) and ∂J/∂W(2), for printing a trace.
    pub(crate) fn gradient_equations(self) -> [&'static str; 2] {
        match self {
            Cost::SumOfSquares => ["∂J/∂W(1) = Xᵀ·δ(2)", "∂J/∂W(2) = a(2)ᵀ·δ(3)"],
            Cost::Regularised { .. } => [
                "∂J/∂W(1) = Xᵀ·δ(2) / N + λ·W(1)",
                "∂J/∂W(2) = a(2)ᵀ·δ(3) / N + λ·W(2)",
            ],
        }
    }
}

/// ½ (y − ŷ)², halved first so that a sum of them overflows only when J
/// itself is beyond f64.
#[inline]
pub(crate) fn half_squared_error(y: f64, y_hat: f64) -> f64 {
    0.5 * (y - y_hat) * (y - y_hat)
}

/// ½ Σ (y − ŷ)², summed in order onto `sum`: the one sum behind every J,
/// so that the fast path, row block after row block, and [`Cost::value`]
/// give the same bits.
fn half_sse(sum: f64, y: &[f64], y_hat: &[f64]) -> f64 {
    y.iter()
        .zip(y_hat)
        .fold(sum, |sum, (&y, &f)| sum + half_squared_error(y, f))
}

/// The output layer's error terms: `delta3` holds f′(z(3)) on entry and
/// δ(3) = −(y − ŷ) ⊙ f′(z(3)) on return. Returns `sum` + ½ Σ (y − ŷ)²,
/// added in order.
pub(crate) fn output_errors(sum: f64, y: &[f64], y_hat: &[f64], delta3: &mut [f64]) -> f64 {
    for ((delta3, &f), &y) in delta3.iter_mut().zip(y_hat).zip(y) {
        *delta3 *= f - y;
    }
    half_sse(sum, y, y_hat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_hand() {
        let y = Matrix::from([[1.0], [0.0]]);
        let y_hat = Matrix::from([[0.5], [0.5]]);
        let w1 = Matrix::from([[1.0, 2.0]]);
        let w2 = Matrix::from([[3.0], [-1.0]]);
        let layers = crate::Network::from_weights(vec![w1, w2])
            .unwrap()
            .with_bias(2, Matrix::from([[100.0]]))
            .unwrap();
        let layers = layers.layers();
        // ½(0.25 + 0.25) = 0.25
        assert_eq!(Cost::SumOfSquares.value(&y, &y_hat, layers), Ok(0.25));
        // 0.25 / 2 + (0.1 / 2)·(1 + 4 + 9 + 1) = 0.125 + 0.75: the bias
        // is not penalised.
        let j = Cost::Regularised { lambda: 0.1 }
            .value(&y, &y_hat, layers)
            .unwrap();
        assert!((j - 0.875).abs() < 1e-15);
    }

    #[test]
    fn gradients_by_hand() {
        let summed = Matrix::from([[4.0, -2.0]]);
        let w = Matrix::from([[1.0, 3.0]]);
        assert_eq!(Cost::SumOfSquares.gradient(summed.clone(), &w, 2), summed);
        // [4/2 + 0.5·1, −2/2 + 0.5·3]
        let g = Cost::Regularised { lambda: 0.5 }.gradient(summed, &w, 2);
        assert_eq!(g, Matrix::from([[2.5, 0.5]]));
    }

    #[test]
    fn lambda_must_be_finite_and_not_negative() {
        for lambda in [-1e-4, f64::NAN, f64::INFINITY] {
            assert!(Cost::Regularised { lambda }.validated().is_err());
        }
        assert!(Cost::Regularised { lambda: 0.0 }.validated().is_ok());
    }
}
