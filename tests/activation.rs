//! The sigmoid and its derivative over the whole `f64` range.

mod common;

use backprop::{sigmoid, sigmoid_prime};
use proptest::prelude::*;

/// f′(z) = 1 / (4·cosh²(z/2)), an identity independent of the crate's
/// e/(1 + e)² route; cosh is accurate to a few ulp, so this is a reference
/// to about 1e-15 relative while cosh(z/2)² is finite (|z| < 1419).
fn reference_prime(z: f64) -> f64 {
    let c = (z / 2.0).cosh();
    0.25 / c / c
}

/// The smallest positive normal f64 is 2⁻¹⁰²² ≈ 2.2e−308; f′(z) ≈ e^(−|z|)
/// stays normal for |z| ≤ 708.
const NORMAL_RANGE: f64 = 708.0;

proptest! {
    #![proptest_config(common::config(2048, file!()))]

    #[test]
    fn sigmoid_prime_is_accurate_wherever_its_value_is_normal(z in -NORMAL_RANGE..NORMAL_RANGE) {
        let (got, want) = (sigmoid_prime(z), reference_prime(z));
        prop_assert!(want.is_normal());
        prop_assert!((got - want).abs() <= 1e-12 * want, "z = {z}: {got:e} vs {want:e}");
    }

    #[test]
    fn sigmoid_prime_is_accurate_near_zero(z in -40.0..40.0f64) {
        let (got, want) = (sigmoid_prime(z), reference_prime(z));
        prop_assert!((got - want).abs() <= 1e-12 * want, "z = {z}: {got:e} vs {want:e}");
    }

    #[test]
    fn sigmoid_prime_is_symmetric(z in any::<f64>()) {
        prop_assume!(!z.is_nan());
        prop_assert_eq!(sigmoid_prime(z).to_bits(), sigmoid_prime(-z).to_bits());
    }

    #[test]
    fn sigmoid_and_its_derivative_are_finite_everywhere(z in any::<f64>()) {
        prop_assume!(!z.is_nan());
        let (f, fp) = (sigmoid(z), sigmoid_prime(z));
        prop_assert!((0.0..=1.0).contains(&f), "f({z}) = {f}");
        prop_assert!((0.0..=0.25).contains(&fp), "f′({z}) = {fp}");
    }

    /// Equal to the series' closed form e^(−z) / (1 + e^(−z))² wherever that
    /// form is finite and its denominator has not overflowed (z > −354).
    #[test]
    fn sigmoid_prime_equals_the_series_closed_form(z in -354.0..745.0f64) {
        let e = (-z).exp();
        let closed = e / ((1.0 + e) * (1.0 + e));
        prop_assume!(closed.is_normal());
        let got = sigmoid_prime(z);
        prop_assert!((got - closed).abs() <= 1e-12 * closed, "z = {z}: {got:e} vs {closed:e}");
    }

    /// 1 − f(z) = f(−z): the sigmoid's own symmetry, to rounding.
    #[test]
    fn sigmoid_is_point_symmetric(z in -40.0..40.0f64) {
        prop_assert!((sigmoid(z) + sigmoid(-z) - 1.0).abs() <= 2.0 * f64::EPSILON);
    }
}

#[test]
fn derivative_matches_the_sigmoid_by_differences() {
    // f′ is the slope of f: a central difference of sigmoid agrees.
    for k in -60..=60 {
        let z = f64::from(k) * 0.25;
        let h = 1e-5;
        let slope = (sigmoid(z + h) - sigmoid(z - h)) / (2.0 * h);
        assert!((slope - sigmoid_prime(z)).abs() < 1e-10, "z = {z}");
    }
}

#[test]
fn the_product_form_is_rounded_away_where_ours_is_not() {
    // f(z)·(1 − f(z)) is 0 from z ≈ 37 on; the exact value is ≈ e^(−z).
    for z in [37.5, 40.0, 100.0, 700.0] {
        let product = sigmoid(z) * (1.0 - sigmoid(z));
        assert_eq!(product, 0.0);
        let want = reference_prime(z);
        assert!((sigmoid_prime(z) - want).abs() <= 1e-12 * want);
    }
    for z in [f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN] {
        assert_eq!(sigmoid_prime(z), 0.0);
    }
}
