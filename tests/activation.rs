//! The sigmoid and its derivative over the whole `f64` range.

mod common;

use backprop::{Activation, sigmoid, sigmoid_prime};
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

/// Distance in units in the last place, counting through zero.
fn ulps(a: f64, b: f64) -> u64 {
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    key(a).abs_diff(key(b))
}

/// Any f64 that is not NaN: uniform bit patterns reach every binade, from
/// subnormals to ±f64::MAX, and ±∞.
fn any_z() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("not NaN", |z| !z.is_nan()),
        -40.0..40.0f64,
        -1e-3..1e-3f64,
    ]
}

/// tanh′(z) = 1 / cosh²(z), std's cosh accurate to about an ulp, while
/// cosh² is finite; beyond |z| = 20, 4·e^(−2|z|) to a relative 1e-17.
fn reference_tanh_prime(z: f64) -> f64 {
    if z.abs() < 20.0 {
        let c = z.cosh();
        1.0 / (c * c)
    } else {
        4.0 * (-2.0 * z.abs()).exp()
    }
}

proptest! {
    #![proptest_config(common::config(20_000, file!()))]

    /// The crate's tanh is within 3 ulp of the exact value (e^x − 1 within
    /// 2, two roundings of ½), std's within 1: at most 4 apart.
    #[test]
    fn tanh_is_within_a_few_ulp_of_std(z in any_z()) {
        let got = Activation::Tanh.apply(z);
        prop_assert!(ulps(got, z.tanh()) <= 4, "tanh({z:e}) = {got:e}, std {:e}", z.tanh());
    }

    /// The crate's 4e/(1 + e)² is within 4 ulp of the exact value (e within
    /// 2, four roundings of ½); the reference 1/cosh² within about 4 too
    /// (cosh, the square and the quotient): at most 8 apart. At
    /// z = −6.934001124121851 the two lie 3.8 and 4.0 ulp on either side of
    /// the exact value.
    #[test]
    fn tanh_prime_is_within_a_few_ulp_where_normal(z in any_z()) {
        let (got, want) = (Activation::Tanh.derivative(z), reference_tanh_prime(z));
        prop_assert!(got.is_finite() && (0.0..=1.0).contains(&got));
        if want.is_normal() {
            prop_assert!(ulps(got, want) <= 8, "tanh′({z:e}) = {got:e}, want {want:e}");
        } else {
            // Subnormal or 0: absolute error below the smallest normal.
            prop_assert!((got - want).abs() <= f64::MIN_POSITIVE);
        }
    }

    #[test]
    fn relu_and_identity_are_exact(z in any_z()) {
        let relu = if z > 0.0 { z } else { 0.0 };
        prop_assert_eq!(Activation::Relu.apply(z).to_bits(), relu.to_bits());
        prop_assert_eq!(Activation::Relu.derivative(z), if z > 0.0 { 1.0 } else { 0.0 });
        prop_assert_eq!(Activation::Identity.apply(z).to_bits(), z.to_bits());
        prop_assert_eq!(Activation::Identity.derivative(z), 1.0);
    }

    #[test]
    fn every_derivative_is_finite(z in any_z()) {
        for f in Activation::ALL {
            prop_assert!(f.derivative(z).is_finite(), "{f}′({z:e})");
        }
    }

    #[test]
    fn every_derivative_is_the_slope(z in -30.0..30.0f64) {
        let h = 1e-6;
        for f in Activation::ALL {
            prop_assume!(f != Activation::Relu || z.abs() > 2.0 * h);
            let slope = (f.apply(z + h) - f.apply(z - h)) / (2.0 * h);
            prop_assert!((slope - f.derivative(z)).abs() < 1e-8, "{f}′({z})");
        }
    }
}

#[test]
fn relu_prime_at_the_kink_is_zero() {
    assert_eq!(Activation::Relu.derivative(0.0), 0.0);
    assert_eq!(Activation::Relu.derivative(-0.0), 0.0);
    assert_eq!(Activation::Tanh.apply(-0.0).to_bits(), (-0.0f64).to_bits());
}

/// tanh′ where the crate's value and the 1/cosh² reference lie on either
/// side of the exact one, 3.79544162050569913577e−6 (computed to 50 digits
/// with Python's decimal module): the crate's within 4 ulp of it.
#[test]
fn tanh_prime_against_a_value_computed_to_fifty_digits() {
    let exact = 3.795_441_620_505_699_3e-6;
    assert!(ulps(Activation::Tanh.derivative(-6.934001124121851), exact) <= 4);
}
