//! The activations a layer can apply, each with its derivative: above
//! all the series' sigmoid f(z) = 1 / (1 + e^(−z)).
//!
//! Both are computed from e = e^(−|z|), which lies in (0, 1] for every `z`
//! and so can never overflow:
//!
//! ```text
//! f(z)  = 1 / (1 + e)   for z ≥ 0        f(z) = e / (1 + e)   for z < 0
//! f′(z) = e / (1 + e)²                   (f′ is even: f′(−z) = f′(z))
//! ```
//!
//! e comes from the crate's own vectorisable exponential (within 2 ulp of
//! `f64::exp`). [`sigmoid`] and [`sigmoid_prime`] run the same code, chosen
//! for the CPU, as the network's fast path, which applies f and f′ to whole
//! rows at once: on a given machine both give exactly the same values.
//!
//! The series writes f′(z) = e^(−z) / (1 + e^(−z))², which is NaN once
//! e^(−z) overflows (z < −709), and notes it equals f(z)·(1 − f(z)), which
//! rounds to exactly 0 from z ≈ 37 on although the true value there is about
//! e^(−37) ≈ 8.5e−17. The form above has neither flaw: it is within a few
//! ulp of the exact value wherever that value is a normal `f64`.

use crate::exp::{exp_and_exp_m1, exp_nonpositive};
use crate::isa::{Isa, Path, Routine, dispatch};

mod rows;

pub(crate) use rows::{Activate, Beside, activate};

/// The sigmoid (logistic) function f(z) = 1 / (1 + e^(−z)), the network's
/// activation.
///
/// Finite for every finite `z`, in \[0, 1\], and accurate to a few ulp in
/// both tails (for z < 0 it is computed as e^z / (1 + e^z), so small values
/// keep their relative precision). `sigmoid(±∞)` is 1 or 0; NaN stays NaN.
/// The network applies exactly this function.
///
/// # Examples
///
/// ```
/// use backprop::sigmoid;
///
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert!((sigmoid(1.0) - 0.731_058_578_630_004_9).abs() < 1e-15);
/// assert_eq!(sigmoid(800.0), 1.0);
/// assert!(sigmoid(-800.0) == 0.0 && sigmoid(-700.0) > 0.0);
/// ```
#[must_use]
pub fn sigmoid(z: f64) -> f64 {
    Activation::Sigmoid.apply(z)
}

/// The derivative of the sigmoid, f′(z) = e^(−z) / (1 + e^(−z))², the series'
/// `sigmoidPrime`.
///
/// Computed as e / (1 + e)² with e = e^(−|z|), so it is finite (never NaN)
/// for every `z` including ±∞, exactly symmetric in `z`, and within a few ulp
/// of the exact value wherever that value is a normal `f64` (|z| ≲ 708).
/// Its largest value is f′(0) = ¼, where the sigmoid is steepest.
///
/// # Examples
///
/// ```
/// use backprop::{sigmoid, sigmoid_prime};
///
/// assert_eq!(sigmoid_prime(0.0), 0.25);
/// let z = 1.5;
/// assert!((sigmoid_prime(z) - sigmoid(z) * (1.0 - sigmoid(z))).abs() < 1e-16);
/// // Far in the tail the value is tiny but not rounded away to 0 …
/// assert!(sigmoid_prime(40.0) > 4.2e-18);
/// // … and where e^(−z) overflows it is 0, not NaN.
/// assert_eq!(sigmoid_prime(-1e4), 0.0);
/// ```
#[must_use]
pub fn sigmoid_prime(z: f64) -> f64 {
    Activation::Sigmoid.derivative(z)
}

/// The activation f of a layer, applied element-wise to z(l) to give
/// a(l) = f(z(l)). Each is computed with its derivative f′ from one
/// evaluation, and both are finite for every finite z.
///
/// ```text
/// Sigmoid   f(z) = 1 / (1 + e^(−z))        f′(z) = e / (1 + e)²,   e = e^(−|z|)
/// Tanh      f(z) = tanh z                  f′(z) = 4e / (1 + e)²,  e = e^(−2|z|)
/// Relu      f(z) = max(z, 0)               f′(z) = 1 for z > 0, else 0 (so ReLU′(0) = 0)
/// Identity  f(z) = z                       f′(z) = 1
/// Softmax   f(z)ₖ = e^(zₖ − m) / Σⱼ e^(zⱼ − m),   m = maxⱼ zⱼ, over each row
/// ```
///
/// The sigmoid is the series' activation and the default. tanh is
/// computed as sign(z)·(1 − e)/(1 + e), with 1 − e = −(e^(−2|z|) − 1) from
/// the same evaluation as e, accurate to a few ulp where e is close to 1,
/// so that tanh keeps its relative precision near 0; f′ = 1 − tanh² is
/// computed in the form 4e/(1 + e)², which does not round to 0 in the
/// tails.
///
/// Softmax acts on a whole row of z at once, so it has no element-wise f′;
/// it is for the output layer under [`Cost::CrossEntropy`](crate::Cost::CrossEntropy),
/// where f′ cancels and δ(L) = ŷ − y (see [`Cost`](crate::Cost)). A
/// network rejects it on a hidden layer or with another cost. Subtracting
/// the row's largest z first keeps every exponent ≤ 0, so no e^z
/// overflows and the largest term is 1. [`apply`](Self::apply) and
/// [`derivative`](Self::derivative), which see one value, treat it as a
/// row of one: 1 and 0.
///
/// # Examples
///
/// ```
/// use backprop::Activation;
///
/// assert_eq!(Activation::default(), Activation::Sigmoid);
/// assert_eq!(Activation::Sigmoid.apply(0.0), 0.5);
/// assert_eq!(Activation::Tanh.derivative(0.0), 1.0);
/// assert_eq!((Activation::Relu.apply(-2.0), Activation::Relu.derivative(0.0)), (0.0, 0.0));
/// assert_eq!(Activation::Identity.apply(-2.5), -2.5);
/// assert_eq!(Activation::Softmax.apply(-2.5), 1.0);
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Activation {
    /// f(z) = 1 / (1 + e^(−z)), the series' activation.
    #[default]
    Sigmoid,
    /// f(z) = tanh z.
    Tanh,
    /// f(z) = max(z, 0), with f′(0) = 0.
    Relu,
    /// f(z) = z: a linear layer, as for an output that is not a probability.
    Identity,
    /// f(z)ₖ = e^(zₖ) / Σⱼ e^(zⱼ) over each row: class probabilities that
    /// sum to 1, for the output layer under cross-entropy.
    Softmax,
}

impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::Identity,
        Activation::Softmax,
    ];

    /// Whether f acts on each value alone, as every activation but
    /// [`Softmax`](Activation::Softmax) does; only those can serve a
    /// hidden layer.
    ///
    /// ```
    /// use backprop::Activation;
    ///
    /// assert!(Activation::Relu.is_elementwise());
    /// assert!(!Activation::Softmax.is_elementwise());
    /// ```
    #[must_use]
    pub fn is_elementwise(self) -> bool {
        self != Activation::Softmax
    }

    /// f(z), exactly as the network applies it.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{sigmoid, Activation};
    ///
    /// assert_eq!(Activation::Sigmoid.apply(1.5), sigmoid(1.5));
    /// assert!((Activation::Tanh.apply(0.5) - 0.5f64.tanh()).abs() < 1e-16);
    /// ```
    #[must_use]
    pub fn apply(self, z: f64) -> f64 {
        dispatch(Path::best(), Scalar(self, z)).0
    }

    /// f′(z), exactly as backpropagation uses it: finite for every `z`
    /// that is not NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{sigmoid_prime, Activation};
    ///
    /// assert_eq!(Activation::Sigmoid.derivative(1.5), sigmoid_prime(1.5));
    /// assert_eq!(Activation::Relu.derivative(3.0), 1.0);
    /// // Far in the tail tanh′ is tiny but not rounded away to 0.
    /// assert!(Activation::Tanh.derivative(30.0) > 3.5e-26);
    /// ```
    #[must_use]
    pub fn derivative(self, z: f64) -> f64 {
        dispatch(Path::best(), Scalar(self, z)).1
    }

    /// The name used in printed traces and saved networks: `sigmoid`,
    /// `tanh`, `relu`, `identity` or `softmax`.
    ///
    /// ```
    /// assert_eq!(backprop::Activation::Relu.name(), "relu");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Identity => "identity",
            Activation::Softmax => "softmax",
        }
    }

    /// f(z) and f′(z) from one evaluation, with the multiply-adds `FMA`
    /// names.
    #[inline(always)]
    pub(crate) fn with_prime<const FMA: bool>(self, z: f64) -> (f64, f64) {
        match self {
            Activation::Sigmoid => sigmoid_with_prime::<FMA>(z),
            Activation::Tanh => tanh_with_prime::<FMA>(z),
            Activation::Relu => relu_with_prime(z),
            Activation::Identity => (z, 1.0),
            // A row of one value: e^0 / e^0, a constant.
            Activation::Softmax => (1.0, 0.0),
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// f and f′ of one value, with the multiply-adds of the instruction set the
/// vectorised path uses on this CPU, so that both give the same bits.
struct Scalar(Activation, f64);

impl Routine for Scalar {
    type Output = (f64, f64);
    #[inline(always)]
    fn run<I: Isa>(self, _: I) -> (f64, f64) {
        if I::FMA {
            self.0.with_prime::<true>(self.1)
        } else {
            self.0.with_prime::<false>(self.1)
        }
    }
}

/// softplus(−z) = −ln σ(z) and softplus(z) = −ln(1 − σ(z)), with
/// softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)): one exponent,
/// never positive, and one logarithm for both, finite for finite z, so
/// binary cross-entropy never takes ln 0.
#[inline(always)]
pub(crate) fn softplus_pair<const FMA: bool>(z: f64) -> (f64, f64) {
    let tail = exp_nonpositive::<FMA>(-z.abs()).ln_1p();
    ((-z).max(0.0) + tail, z.max(0.0) + tail)
}

/// f(z) and f′(z) from e = e^(−|z|), which lies in (0, 1] and so never
/// overflows, and 1 / (1 + e).
#[inline(always)]
pub(crate) fn sigmoid_with_prime<const FMA: bool>(z: f64) -> (f64, f64) {
    let (z, e) = sigmoid_exp::<FMA>(z);
    sigmoid_from_exp(z, e)
}

/// The sigmoid's first stage: z as it is, and e = e^(−|z|).
#[inline(always)]
fn sigmoid_exp<const FMA: bool>(z: f64) -> (f64, f64) {
    (z, exp_nonpositive::<FMA>(-z.abs()))
}

/// The sigmoid's second stage: f(z) and f′(z) from z and e = e^(−|z|).
#[inline(always)]
fn sigmoid_from_exp(z: f64, e: f64) -> (f64, f64) {
    let inv = 1.0 / (1.0 + e);
    let f = if z >= 0.0 { inv } else { e * inv };
    // Near z = 0 rounding can land one ulp above the true maximum ¼; the
    // exact value never exceeds it, so the bound is the nearer answer.
    let f_prime = (e * inv * inv).min(0.25);
    (f, f_prime)
}

/// tanh z and 1 − tanh² z from e = e^(−2|z|), e − 1 from the same
/// evaluation, and 1 / (1 + e): tanh |z| = (1 − e)/(1 + e) and
/// 1 − tanh² = 4e/(1 + e)².
#[inline(always)]
pub(crate) fn tanh_with_prime<const FMA: bool>(z: f64) -> (f64, f64) {
    let (s, e) = tanh_exp::<FMA>(z);
    tanh_from_exp(s, e)
}

/// tanh's first stage: 1 − e with z's sign, and e = e^(−2|z|).
#[inline(always)]
fn tanh_exp<const FMA: bool>(z: f64) -> (f64, f64) {
    let (e, e_m1) = exp_and_exp_m1::<FMA>(-2.0 * z.abs());
    ((-e_m1).copysign(z), e)
}

/// tanh's second stage: tanh z = ±(1 − e) / (1 + e), the sign already on
/// the numerator, and 1 − tanh² z.
#[inline(always)]
fn tanh_from_exp(signed_1_m_e: f64, e: f64) -> (f64, f64) {
    let inv = 1.0 / (1.0 + e);
    let f_prime = (4.0 * e * inv * inv).min(1.0);
    (signed_1_m_e * inv, f_prime)
}

/// max(z, 0) and its derivative, 1 for z > 0 and 0 otherwise (the usual
/// choice at the kink, z = 0).
#[inline(always)]
fn relu_with_prime(z: f64) -> (f64, f64) {
    if z > 0.0 { (z, 1.0) } else { (0.0, 0.0) }
}

#[cfg(test)]
mod tests;
