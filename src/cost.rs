//! The cost functions: Part 4's sum of squared errors, Part 7's
//! regularised mean, and cross-entropy for classification.

use crate::activation::{Activation, softplus_pair};
use crate::error::Error;
use crate::layer::Layer;
use crate::matrix::Matrix;

/// Which cost J a network measures and differentiates.
///
/// ```text
/// SumOfSquares:   J = ½ Σ (y − ŷ)²
///                 δ(L) = −(y − ŷ) ⊙ f′(z(L))       ∂J/∂W(l) = a(l)ᵀ·δ(l+1)
///
/// Regularised:    J = ½ Σ (y − ŷ)² / N + (λ/2)·Σ W²
///                 δ(L) as above                    ∂J/∂W(l) = a(l)ᵀ·δ(l+1) / N + λ·W(l)
///
/// CrossEntropy:   J = −Σ y·ln ŷ / N                                  (softmax output)
///                 J = −Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)] / N            (sigmoid output)
///                 δ(L) = ŷ − y                     ∂J/∂W(l) = a(l)ᵀ·δ(l+1) / N
///                 (softmax: δ(L) = ŷ·Σₖ yₖ − y, which is ŷ − y for one-hot rows)
///
/// RegularisedCrossEntropy:  J as CrossEntropy + (λ/2)·Σ W²
///                 δ(L) = ŷ − y                     ∂J/∂W(l) = a(l)ᵀ·δ(l+1) / N + λ·W(l)
/// ```
///
/// N is the number of examples in the batch and Σ W² runs over every
/// weight of every layer, never the biases; ∂J/∂b(l) is Σ δ(l+1), divided
/// by N where J is. Dividing by N makes costs of batches of different
/// sizes comparable (training against testing, or mini-batches); the λ
/// term penalises large weights, which is how Part 7 fights overfitting.
/// Below the output the errors δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l)) are the same
/// for every cost.
///
/// # Why f′ cancels under cross-entropy
///
/// The series finds δ(L) = ∂J/∂z(L) by the chain rule, ∂J/∂ŷ times
/// ∂ŷ/∂z(L). For a sigmoid output and one example's term
/// J = −[y·ln ŷ + (1 − y)·ln(1 − ŷ)]:
///
/// ```text
/// ∂J/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ) = (ŷ − y) / (ŷ·(1 − ŷ))
/// ∂ŷ/∂z = f′(z) = ŷ·(1 − ŷ)
/// δ     = ∂J/∂ŷ · ∂ŷ/∂z = ŷ − y
/// ```
///
/// For a softmax row, ŷₖ = e^(zₖ) / Σⱼ e^(zⱼ), so ∂ŷₖ/∂zⱼ = ŷₖ·([k = j] − ŷⱼ)
/// and, with J = −Σₖ yₖ·ln ŷₖ:
///
/// ```text
/// δⱼ = Σₖ (−yₖ/ŷₖ)·ŷₖ·([k = j] − ŷⱼ) = ŷⱼ·Σₖ yₖ − yⱼ = ŷⱼ − yⱼ   where Σₖ yₖ = 1
/// ```
///
/// The crate computes ŷⱼ·Σₖ yₖ − yⱼ, so the gradient is exact for any
/// targets, and ŷ − y, bit for bit, for a one-hot row.
///
/// The derivative of the activation, the factor that vanishes where a
/// sigmoid saturates, is gone: a confident wrong answer gets the largest
/// error, not the smallest. Cross-entropy is defined for a sigmoid or
/// softmax output only (ŷ must lie in (0, 1)), and softmax for
/// cross-entropy only; a network rejects the other pairs.
///
/// J is computed from z(L), never from ŷ: ln ŷₖ = zₖ − ln Σⱼ e^(zⱼ)
/// (log-sum-exp, found with ŷ itself) for softmax, and −ln σ(z) = ln(1 + e^(−z)) (softplus) for
/// the sigmoid, so that a ŷ that rounds to 0 or 1 never gives ln 0. J is
/// then finite for every finite z, or an [`Error::Overflow`] where it is
/// beyond `f64`. Targets for cross-entropy lie in \[0, 1\]; for softmax,
/// each row should sum to 1 (a one-hot row, see
/// [`data::one_hot`](crate::data::one_hot)).
///
/// scikit-learn's `alpha` adds (alpha / 2N)·Σ W² to the mean loss, so it is
/// λ = alpha / N here; PyTorch's `CrossEntropyLoss` is
/// [`CrossEntropy`](Cost::CrossEntropy) over a softmax output.
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
    /// Part 7: J = ½ Σ (y − ŷ)² / N + (λ/2)·Σ W².
    Regularised {
        /// The penalty λ on the squared weights, finite and ≥ 0 (the series
        /// uses 1e-4).
        lambda: f64,
    },
    /// J = −Σ y·ln ŷ / N over a softmax output, or the binary form
    /// −Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)] / N over a sigmoid output: the mean
    /// log-loss of scikit-learn and PyTorch.
    CrossEntropy,
    /// Cross-entropy with Part 7's penalty: J = CrossEntropy + (λ/2)·Σ W².
    RegularisedCrossEntropy {
        /// The penalty λ on the squared weights, finite and ≥ 0.
        lambda: f64,
    },
}

impl Cost {
    /// The cost itself if its setting is in range.
    pub(crate) fn validated(self) -> Result<Self, Error> {
        match self.lambda() {
            Some(lambda) if !(lambda >= 0.0 && lambda.is_finite()) => Err(Error::InvalidSetting {
                what: "lambda",
                value: lambda,
            }),
            _ => Ok(self),
        }
    }

    /// λ, for the costs that penalise the weights.
    pub(crate) fn lambda(self) -> Option<f64> {
        match self {
            Cost::Regularised { lambda } | Cost::RegularisedCrossEntropy { lambda } => Some(lambda),
            Cost::SumOfSquares | Cost::CrossEntropy => None,
        }
    }

    /// Whether J is a mean over the examples (every cost but Part 4's sum).
    pub(crate) fn is_mean(self) -> bool {
        self != Cost::SumOfSquares
    }

    /// Whether J is cross-entropy, whose δ(L) is ŷ − y and whose J is
    /// computed from z(L).
    pub(crate) fn is_cross_entropy(self) -> bool {
        matches!(
            self,
            Cost::CrossEntropy | Cost::RegularisedCrossEntropy { .. }
        )
    }

    /// The name errors give the cost by.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cost::SumOfSquares => "the sum of squares",
            Cost::Regularised { .. } => "the regularised sum of squares",
            Cost::CrossEntropy => "cross-entropy",
            Cost::RegularisedCrossEntropy { .. } => "regularised cross-entropy",
        }
    }

    /// Rejects layer `layer` of `depth` applying `f` where this cost's δ is
    /// not derived for it.
    pub(crate) fn accepts(self, f: Activation, layer: usize, depth: usize) -> Result<(), Error> {
        match self.unsupported(f, layer, depth) {
            Some(reason) => Err(Error::Unsupported {
                layer,
                activation: f,
                cost: self.name(),
                reason,
            }),
            None => Ok(()),
        }
    }

    /// [`accepts`](Self::accepts) for every layer.
    pub(crate) fn accepts_layers(self, layers: &[Layer]) -> Result<(), Error> {
        let depth = layers.len();
        (layers.iter().enumerate()).try_for_each(|(k, l)| self.accepts(l.activation, k + 1, depth))
    }

    /// Why `f` cannot serve layer `layer` of `depth` under this cost, if it
    /// cannot: the pairs whose δ is derived are the only ones allowed.
    fn unsupported(self, f: Activation, layer: usize, depth: usize) -> Option<&'static str> {
        if layer < depth {
            return (!f.is_elementwise())
                .then_some("softmax normalises a whole row, so it serves the output layer only");
        }
        match (self.is_cross_entropy(), f) {
            (true, Activation::Sigmoid | Activation::Softmax) => None,
            (true, _) => {
                Some("cross-entropy takes ln ŷ, so its output layer needs sigmoid or softmax")
            }
            (false, Activation::Softmax) => {
                Some("softmax's δ(L) is derived for cross-entropy only")
            }
            (false, _) => None,
        }
    }

    /// J for targets `y`, and ŷ of the output layer `f` with what
    /// cross-entropy's J is computed from beside it (z, or ln ŷ for
    /// softmax; see [`Beside`](crate::activation::Beside)), and the
    /// weights: the textbook route.
    pub(crate) fn value(
        self,
        f: Activation,
        y: &Matrix,
        y_hat: &Matrix,
        for_loss: &Matrix,
        layers: &[Layer],
    ) -> Result<f64, Error> {
        let loss = if self.is_cross_entropy() {
            crate::isa::dispatch(
                crate::isa::Path::best(),
                LogLoss(f, y.cols(), y.as_slice(), for_loss.as_slice()),
            )
        } else {
            half_sse(0.0, y.as_slice(), y_hat.as_slice())
        };
        self.value_from_loss(loss, y.rows(), layers)
    }

    /// J from the summed loss of a batch of `n` examples (½ Σ (y − ŷ)², or
    /// −Σ y·ln ŷ …) and the weights.
    pub(crate) fn value_from_loss(
        self,
        loss: f64,
        n: usize,
        layers: &[Layer],
    ) -> Result<f64, Error> {
        let mut j = if self.is_mean() {
            loss / n as f64
        } else {
            loss
        };
        if let Some(lambda) = self.lambda() {
            // The weights only: λ does not apply to biases.
            let weights = layers.iter().flat_map(|l| l.weights.as_slice());
            j += weights.map(|&w| 0.5 * lambda * w * w).sum::<f64>();
        }
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
    #[inline(always)]
    pub(crate) fn finish_gradient(self, summed: &mut [f64], w: &Matrix, n: usize) {
        if !self.is_mean() {
            return;
        }
        let (n, lambda) = (n as f64, self.lambda().unwrap_or(0.0));
        for (g, &w) in summed.iter_mut().zip(w.as_slice()) {
            *g = *g / n + lambda * w;
        }
    }

    /// Turns the unscaled sum over examples Σ δ into ∂J/∂b, in place: the
    /// penalty λ applies to weights only, so a bias's gradient is only
    /// divided by N.
    #[inline(always)]
    pub(crate) fn finish_bias_gradient(self, summed: &mut [f64], n: usize) {
        if self.is_mean() {
            let n = n as f64;
            summed.iter_mut().for_each(|g| *g /= n);
        }
    }

    /// The output layer's error terms, for an output layer `f` of `units`
    /// units: `beside` holds what [`activate`](crate::activation::activate)
    /// wrote beside ŷ on entry (f′(z(L)), or z(L) under cross-entropy) and
    /// δ(L) on return. Returns `sum` + this block's loss, added in order.
    #[inline(always)]
    pub(crate) fn output_errors<const FMA: bool>(
        self,
        f: Activation,
        units: usize,
        sum: f64,
        y: &[f64],
        y_hat: &[f64],
        beside: &mut [f64],
    ) -> f64 {
        if self.is_cross_entropy() {
            let sum = log_loss::<FMA>(f, units, sum, y, beside);
            cross_entropy_errors(f, units, y, y_hat, beside);
            sum
        } else {
            // δ(L) = −(y − ŷ) ⊙ f′(z(L))
            for ((delta, &f), &y) in beside.iter_mut().zip(y_hat).zip(y) {
                *delta *= f - y;
            }
            half_sse(sum, y, y_hat)
        }
    }

    /// The equation of the output error δ(`l`), for printing a trace.
    pub(crate) fn output_error_equation(self, l: usize) -> String {
        if self.is_cross_entropy() {
            format!("δ({l}) = ŷ − y")
        } else {
            format!("δ({l}) = −(y − ŷ) ⊙ f′(z({l}))")
        }
    }
}

/// ½ (y − ŷ)², halved first so that a sum of them overflows only when J
/// itself is beyond f64.
#[inline]
pub(crate) fn half_squared_error(y: f64, y_hat: f64) -> f64 {
    0.5 * (y - y_hat) * (y - y_hat)
}

/// ½ Σ (y − ŷ)², summed in order onto `sum`: the one sum behind every
/// sum-of-squares J, so that the fast path, row block after row block, and
/// [`Cost::value`] give the same bits.
fn half_sse(sum: f64, y: &[f64], y_hat: &[f64]) -> f64 {
    y.iter()
        .zip(y_hat)
        .fold(sum, |sum, (&y, &f)| sum + half_squared_error(y, f))
}

/// The cross-entropy loss of a block of outputs against `y`, summed in
/// order onto `sum`, from what the forward step wrote beside ŷ: ln ŷ for
/// softmax, z for a sigmoid. The one sum behind every cross-entropy J.
///
/// ```text
/// softmax:  −Σ y·ln ŷ
/// sigmoid:  Σ y·softplus(−z) + (1 − y)·softplus(z) = −Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)]
/// ```
///
/// Every term is ≥ 0 and finite for finite z; a target of 0 contributes
/// nothing, even where its ln ŷ would be −∞.
#[inline(always)]
fn log_loss<const FMA: bool>(
    f: Activation,
    units: usize,
    sum: f64,
    y: &[f64],
    for_loss: &[f64],
) -> f64 {
    // Row by row onto the running sum, so that the order is the same
    // however the rows are cut into blocks, and the rows' own sums do not
    // wait on one another. Plain loops, not closures, so that the
    // exponentials are compiled, inlined, for the caller's instruction set.
    let mut sum = sum;
    for (y, for_loss) in y.chunks_exact(units).zip(for_loss.chunks_exact(units)) {
        let mut row = 0.0;
        if f == Activation::Softmax {
            for (&y, &ln_y_hat) in y.iter().zip(for_loss) {
                row += target_term(y, -ln_y_hat);
            }
        } else {
            for (&y, &z) in y.iter().zip(for_loss) {
                let (minus_ln_y_hat, minus_ln_1_y_hat) = softplus_pair::<FMA>(z);
                row += target_term(y, minus_ln_y_hat) + target_term(1.0 - y, minus_ln_1_y_hat);
            }
        }
        sum += row;
    }
    sum
}

/// y·(−ln p), 0 where y is 0 even if −ln p is ∞.
#[inline(always)]
fn target_term(y: f64, minus_ln_p: f64) -> f64 {
    let product = y * minus_ln_p;
    if y == 0.0 { 0.0 } else { product }
}

/// δ(L) of cross-entropy, into `delta`, for rows of `units` outputs `f`:
/// ŷ − y for a sigmoid output; for softmax ŷ·Σₖ yₖ − y, the exact
/// derivative for any targets, which is ŷ − y, bit for bit, where the row
/// sums to 1 (see [`Cost`]). f′ has cancelled.
#[inline(always)]
pub(crate) fn cross_entropy_errors(
    f: Activation,
    units: usize,
    y: &[f64],
    y_hat: &[f64],
    delta: &mut [f64],
) {
    if f == Activation::Softmax {
        for ((delta, y_hat), y) in (delta.chunks_exact_mut(units))
            .zip(y_hat.chunks_exact(units))
            .zip(y.chunks_exact(units))
        {
            let total: f64 = y.iter().sum();
            for ((d, &f), &y) in delta.iter_mut().zip(y_hat).zip(y) {
                *d = f * total - y;
            }
        }
    } else {
        for ((d, &f), &y) in delta.iter_mut().zip(y_hat).zip(y) {
            *d = f - y;
        }
    }
}

/// [`log_loss`] with the multiply-adds of the path it runs on.
struct LogLoss<'a>(Activation, usize, &'a [f64], &'a [f64]);

impl crate::isa::Routine for LogLoss<'_> {
    type Output = f64;
    fn run<I: crate::isa::Isa>(self, _: I) -> f64 {
        let LogLoss(f, units, y, for_loss) = self;
        if I::FMA {
            log_loss::<true>(f, units, 0.0, y, for_loss)
        } else {
            log_loss::<false>(f, units, 0.0, y, for_loss)
        }
    }
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
        let z = Matrix::zeros(2, 1);
        let f = Activation::Sigmoid;
        assert_eq!(
            Cost::SumOfSquares.value(f, &y, &y_hat, &z, layers),
            Ok(0.25)
        );
        // 0.25 / 2 + (0.1 / 2)·(1 + 4 + 9 + 1) = 0.125 + 0.75: the bias
        // is not penalised.
        let j = Cost::Regularised { lambda: 0.1 }
            .value(f, &y, &y_hat, &z, layers)
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
