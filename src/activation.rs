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
//! The series writes f′(z) = e^(−z) / (1 + e^(−z))², which is NaN once
//! e^(−z) overflows (z < −709), and notes it equals f(z)·(1 − f(z)), which
//! rounds to exactly 0 from z ≈ 37 on although the true value there is about
//! e^(−37) ≈ 8.5e−17. The form above has neither flaw: it is within a few
//! ulp of the exact value wherever that value is a normal `f64`.

/// The sigmoid (logistic) function f(z) = 1 / (1 + e^(−z)), the network's
/// activation.
///
/// Finite for every finite `z`, in \[0, 1\], and accurate to a few ulp in
/// both tails (for z < 0 it is computed as e^z / (1 + e^z), so small values
/// keep their relative precision). `sigmoid(±∞)` is 1 or 0; NaN stays NaN.
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
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
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
    sigmoid_prime_from(exp_neg_abs(z))
}

/// f(z) and f′(z) from one exponential, equal to [`sigmoid`] and
/// [`sigmoid_prime`] bit for bit.
#[inline]
pub(crate) fn sigmoid_with_prime(z: f64) -> (f64, f64) {
    let e = exp_neg_abs(z);
    (sigmoid_from(z, e), sigmoid_prime_from(e))
}

/// e = e^(−|z|), in (0, 1] for every z, so it never overflows.
#[inline(always)]
fn exp_neg_abs(z: f64) -> f64 {
    (-z.abs()).exp()
}

/// f(z) from e = e^(−|z|).
#[inline(always)]
fn sigmoid_from(z: f64, e: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// f′(z) from e = e^(−|z|).
#[inline(always)]
fn sigmoid_prime_from(e: f64) -> f64 {
    let one_plus_e = 1.0 + e;
    // Near z = 0 rounding can land one ulp above the true maximum ¼; the
    // exact value never exceeds it, so the bound is the nearer answer.
    (e / (one_plus_e * one_plus_e)).min(0.25)
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
    fn fused_form_equals_the_two_functions_bit_for_bit() {
        for k in -4000..=4000 {
            let z = f64::from(k) * 0.19;
            let (f, fp) = sigmoid_with_prime(z);
            assert_eq!(f.to_bits(), sigmoid(z).to_bits());
            assert_eq!(fp.to_bits(), sigmoid_prime(z).to_bits());
        }
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
