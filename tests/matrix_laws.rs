//! `Matrix` against the algebra it must obey and against naive loops.

mod common;

use approx::relative_eq;
use backprop::Matrix;
use common::{any_matrix, matrix, naive_dot, naive_transpose};
use proptest::prelude::*;

/// Three matrices a (m×k), b (k×n) and c (k×n), any of the sizes 0..=12.
fn chain() -> impl Strategy<Value = (Matrix, Matrix, Matrix)> {
    (0..=12usize, 0..=12usize, 0..=12usize).prop_flat_map(|(m, k, n)| {
        (
            matrix(m, k, -10.0..10.0),
            matrix(k, n, -10.0..10.0),
            matrix(k, n, -10.0..10.0),
        )
    })
}

proptest! {
    #![proptest_config(common::config(256, file!()))]

    #[test]
    fn dot_equals_the_naive_triple_loop((a, b, _) in chain()) {
        prop_assert!(relative_eq!(&a.dot(&b), &naive_dot(&a, &b), epsilon = 1e-13, max_relative = 1e-13));
    }

    #[test]
    fn transposed_products_equal_naive_ones((a, b, _) in chain()) {
        // aᵀ·x for x with a's rows, and b·yᵀ for y with b's columns.
        let at = naive_transpose(&a);
        let x = a.map(|v| v * 0.5 - 1.0);
        prop_assert!(relative_eq!(&a.tr_dot(&x), &naive_dot(&at, &x), epsilon = 1e-13, max_relative = 1e-13));
        let y = b.map(|v| 2.0 - v);
        prop_assert!(relative_eq!(&b.dot_tr(&y), &naive_dot(&b, &naive_transpose(&y)), epsilon = 1e-13, max_relative = 1e-13));
    }

    #[test]
    fn transpose_of_a_product((a, b, _) in chain()) {
        // (AB)ᵀ = BᵀAᵀ
        let left = a.dot(&b).transpose();
        let right = b.transpose().dot(&a.transpose());
        prop_assert!(relative_eq!(&left, &right, epsilon = 1e-13, max_relative = 1e-13));
    }

    #[test]
    fn transpose_is_an_involution(a in any_matrix(12, 12)) {
        // (Aᵀ)ᵀ = A, exactly
        prop_assert_eq!(a.transpose().transpose(), a.clone());
        prop_assert_eq!(a.transpose(), naive_transpose(&a));
    }

    #[test]
    fn product_distributes_over_addition((a, b, c) in chain()) {
        // A(B + C) = AB + AC, up to rounding
        let left = a.dot(&(&b + &c));
        let right = &a.dot(&b) + &a.dot(&c);
        prop_assert!(relative_eq!(&left, &right, epsilon = 1e-12, max_relative = 1e-12));
    }

    #[test]
    fn multiply_is_element_wise(a in any_matrix(8, 8), s in -3.0..3.0f64) {
        let b = a.map(|v| v * s + 1.0);
        let p = a.multiply(&b);
        for i in 0..a.rows() {
            for j in 0..a.cols() {
                prop_assert_eq!(p[(i, j)], a[(i, j)] * b[(i, j)]);
            }
        }
        prop_assert_eq!(&p, &b.multiply(&a));
    }

    #[test]
    fn add_and_sub_undo_each_other(a in any_matrix(8, 8)) {
        let b = a.map(|v| v.sin());
        prop_assert!(relative_eq!(&(&(&a + &b) - &b), &a, epsilon = 1e-15, max_relative = 1e-15));
    }

    #[test]
    fn mismatched_shapes_are_errors(a in any_matrix(6, 6), b in any_matrix(6, 6)) {
        prop_assert_eq!(a.try_dot(&b).is_ok(), a.cols() == b.rows());
        prop_assert_eq!(a.try_tr_dot(&b).is_ok(), a.rows() == b.rows());
        prop_assert_eq!(a.try_dot_tr(&b).is_ok(), a.cols() == b.cols());
        prop_assert_eq!(a.try_multiply(&b).is_ok(), a.shape() == b.shape());
        prop_assert_eq!(a.try_add(&b).is_ok(), a.shape() == b.shape());
        prop_assert_eq!(a.try_sub(&b).is_ok(), a.shape() == b.shape());
    }
}

#[test]
fn dot_on_a_larger_matrix_equals_naive() {
    // Sizes past the proptest range, including ones that are not multiples
    // of any plausible block size.
    for (m, k, n) in [(67, 129, 33), (1, 300, 1), (300, 1, 300)] {
        let a = Matrix::randn(m, k, 1);
        let b = Matrix::randn(k, n, 2);
        assert!(
            relative_eq!(
                &a.dot(&b),
                &naive_dot(&a, &b),
                epsilon = 1e-12,
                max_relative = 1e-12
            ),
            "{m}×{k}·{k}×{n}"
        );
    }
}
