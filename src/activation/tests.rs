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
    assert!(dispatch(
        Path::best(),
        Activate::with_derivative(Activation::Sigmoid, &mut a, &mut fp)
    ));
    for (&z, (a, fp)) in z.iter().zip(a.iter().zip(&fp)) {
        assert_eq!(a.to_bits(), sigmoid(z).to_bits(), "f({z})");
        assert_eq!(fp.to_bits(), sigmoid_prime(z).to_bits(), "f′({z})");
    }
    let mut bad = [1.0, f64::INFINITY];
    assert!(!dispatch(
        Path::best(),
        Activate::with_derivative(Activation::Sigmoid, &mut bad, &mut [0.0; 2])
    ));
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
