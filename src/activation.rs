//! The sigmoid activation f(z) = 1 / (1 + e^(−z)) and its derivative.
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

use crate::exp::exp_nonpositive;
use crate::gemm::{Isa, Kernel, Path, dispatch};

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
pub fn sigmoid(z: f64) -> f64 {
    dispatch(Path::best(), Scalar(z)).0
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
pub fn sigmoid_prime(z: f64) -> f64 {
    dispatch(Path::best(), Scalar(z)).1
}

/// f and f′ of one value, with the multiply-adds of the instruction set the
/// vectorised path uses on this CPU, so that both give the same bits.
struct Scalar(f64);

impl Kernel for Scalar {
    type Output = (f64, f64);
    #[inline(always)]
    fn run<I: Isa>(self, _: I) -> (f64, f64) {
        if I::FMA {
            sigmoid_with_prime::<true>(self.0)
        } else {
            sigmoid_with_prime::<false>(self.0)
        }
    }
}

/// [`activate`] as a [`Kernel`], with the multiply-adds of the path it runs
/// on.
pub(crate) struct Activate<'a>(pub &'a mut [f64], pub &'a mut [f64]);

impl Kernel for Activate<'_> {
    type Output = bool;
    #[inline(always)]
    fn run<I: Isa>(self, _: I) -> bool {
        if I::FMA {
            activate::<true>(self.0, self.1)
        } else {
            activate::<false>(self.0, self.1)
        }
    }
}

/// The network's activation over a slice: every z replaced by f(z), and
/// f′(z) written beside it, from one exponential and one division per
/// element, in branch-free code the compiler vectorises. With `FMA` as the
/// running path sets it, equal to [`sigmoid`] and [`sigmoid_prime`] element
/// by element. Returns whether every z was finite.
#[inline(always)]
pub(crate) fn activate<const FMA: bool>(z: &mut [f64], fp: &mut [f64]) -> bool {
    let mut finite = true;
    for (z, fp) in z.iter_mut().zip(fp.iter_mut()) {
        finite &= z.is_finite();
        (*z, *fp) = sigmoid_with_prime::<FMA>(*z);
    }
    finite
}

/// f(z) and f′(z) from e = e^(−|z|), which lies in (0, 1] and so never
/// overflows, and 1 / (1 + e).
#[inline(always)]
pub(crate) fn sigmoid_with_prime<const FMA: bool>(z: f64) -> (f64, f64) {
    let e = exp_nonpositive::<FMA>(-z.abs());
    let inv = 1.0 / (1.0 + e);
    let f = if z >= 0.0 { inv } else { e * inv };
    // Near z = 0 rounding can land one ulp above the true maximum ¼; the
    // exact value never exceeds it, so the bound is the nearer answer.
    let f_prime = (e * inv * inv).min(0.25);
    (f, f_prime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn sigmoid_values_by_hand() {
        assert_eq!(sigmoid(0.0), 0.5);
        // 1 / (1 + e^-2) with e^-2 = 0.1353352832366127
        assert_relative_eq!(sigmoid(2.0), 0.8807970779778823, max_relative = 1e-15);
        assert_relative_eq!(sigmoid(-2.0), 0.11920292202211755, max_relative = 1e-15);
    }

    #[test]
    fn sigmoid_is_finite_and_bounded_everywhere() {
        for z in [f64::MIN, -1e300, -745.2, -30.0, 0.0, 30.0, 1e300, f64::MAX] {
            let a = sigmoid(z);
            assert!((0.0..=1.0).contains(&a), "sigmoid({z}) = {a}");
        }
        assert_eq!(sigmoid(f64::INFINITY), 1.0);
        assert_eq!(sigmoid(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn the_slice_form_equals_the_scalar_functions() {
        let mut z: Vec<f64> = (-8000..=8000).map(|k| f64::from(k) * 0.0887).collect();
        z.extend([
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            745.0,
            -745.0,
            1e300,
            -1e300,
            f64::MAX,
        ]);
        let mut a = z.clone();
        let mut fp = vec![0.0; z.len()];
        assert!(dispatch(Path::best(), Activate(&mut a, &mut fp)));
        for (&z, (a, fp)) in z.iter().zip(a.iter().zip(&fp)) {
            assert_eq!(a.to_bits(), sigmoid(z).to_bits(), "f({z})");
            assert_eq!(fp.to_bits(), sigmoid_prime(z).to_bits(), "f′({z})");
        }
        let mut bad = [1.0, f64::INFINITY];
        assert!(!dispatch(Path::best(), Activate(&mut bad, &mut [0.0; 2])));
    }

    #[test]
    fn sigmoid_prime_never_exceeds_its_maximum() {
        // Found by proptest: e/(1 + e)² rounds to ¼ + 1 ulp here.
        assert_eq!(sigmoid_prime(-4.409201731886703e-12), 0.25);
        for k in -1000..=1000 {
            assert!(sigmoid_prime(f64::from(k) * 1e-13) <= 0.25);
        }
    }

    #[test]
    fn sigmoid_prime_in_the_tails_is_not_rounded_away() {
        // For |z| > 40, (1 + e^-|z|)² = 1 to better than 1e-17, so the exact
        // value is e^-|z| to within a relative 2e-17.
        for z in [40.0, 100.0, 500.0, 700.0] {
            assert_relative_eq!(sigmoid_prime(z), (-z).exp(), max_relative = 1e-15);
            assert_relative_eq!(sigmoid_prime(-z), (-z).exp(), max_relative = 1e-15);
        }
        assert_eq!(sigmoid_prime(f64::INFINITY), 0.0);
        assert_eq!(sigmoid_prime(f64::NEG_INFINITY), 0.0);
    }
}
