//! `approx`'s comparisons for matrices and gradients (feature `approx`).
//!
//! Two values compare element by element with the tolerances given; values
//! of different shapes are never equal, whatever the tolerance.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};

use crate::matrix::Matrix;
use crate::net::{Gradients, NetworkGradients};

impl AbsDiffEq for Matrix {
    type Epsilon = f64;

    fn default_epsilon() -> f64 {
        f64::default_epsilon()
    }

    fn abs_diff_eq(&self, other: &Matrix, epsilon: f64) -> bool {
        self.shape() == other.shape() && self.as_slice().abs_diff_eq(other.as_slice(), epsilon)
    }
}

impl RelativeEq for Matrix {
    fn default_max_relative() -> f64 {
        f64::default_max_relative()
    }

    fn relative_eq(&self, other: &Matrix, epsilon: f64, max_relative: f64) -> bool {
        self.shape() == other.shape()
            && self
                .as_slice()
                .relative_eq(other.as_slice(), epsilon, max_relative)
    }
}

impl UlpsEq for Matrix {
    fn default_max_ulps() -> u32 {
        f64::default_max_ulps()
    }

    fn ulps_eq(&self, other: &Matrix, epsilon: f64, max_ulps: u32) -> bool {
        self.shape() == other.shape()
            && self.as_slice().ulps_eq(other.as_slice(), epsilon, max_ulps)
    }
}

/// The matrices two gradient values hold, paired in order, or `None` when
/// they are of different networks (another depth, or a bias on one side
/// only).
type Pairs<'a> = Option<Vec<(&'a Matrix, &'a Matrix)>>;

fn gradient_pairs<'a>(a: &'a Gradients, b: &'a Gradients) -> Pairs<'a> {
    Some(vec![(&a.dj_dw1, &b.dj_dw1), (&a.dj_dw2, &b.dj_dw2)])
}

fn network_gradient_pairs<'a>(a: &'a NetworkGradients, b: &'a NetworkGradients) -> Pairs<'a> {
    if a.dj_dw.len() != b.dj_dw.len() || a.dj_db.len() != b.dj_db.len() {
        return None;
    }
    let mut pairs: Vec<_> = a.dj_dw.iter().zip(&b.dj_dw).collect();
    for (x, y) in a.dj_db.iter().zip(&b.dj_db) {
        match (x, y) {
            (Some(x), Some(y)) => pairs.push((x, y)),
            (None, None) => {}
            _ => return None,
        }
    }
    Some(pairs)
}

/// Implements the three traits for a gradient type: every pair of
/// matrices `$pairs` gives compares with the same tolerances.
macro_rules! compare_by_pairs {
    ($T:ty, $pairs:ident) => {
        impl AbsDiffEq for $T {
            type Epsilon = f64;

            fn default_epsilon() -> f64 {
                f64::default_epsilon()
            }

            fn abs_diff_eq(&self, other: &$T, epsilon: f64) -> bool {
                $pairs(self, other)
                    .is_some_and(|p| p.iter().all(|(x, y)| x.abs_diff_eq(y, epsilon)))
            }
        }

        impl RelativeEq for $T {
            fn default_max_relative() -> f64 {
                f64::default_max_relative()
            }

            fn relative_eq(&self, other: &$T, epsilon: f64, max_relative: f64) -> bool {
                $pairs(self, other).is_some_and(|p| {
                    p.iter()
                        .all(|(x, y)| x.relative_eq(y, epsilon, max_relative))
                })
            }
        }

        impl UlpsEq for $T {
            fn default_max_ulps() -> u32 {
                f64::default_max_ulps()
            }

            fn ulps_eq(&self, other: &$T, epsilon: f64, max_ulps: u32) -> bool {
                $pairs(self, other)
                    .is_some_and(|p| p.iter().all(|(x, y)| x.ulps_eq(y, epsilon, max_ulps)))
            }
        }
    };
}

compare_by_pairs!(Gradients, gradient_pairs);
compare_by_pairs!(NetworkGradients, network_gradient_pairs);

#[cfg(test)]
mod tests {
    use super::*;
    use approx::{assert_relative_eq, assert_ulps_ne};

    #[test]
    fn shapes_must_agree_whatever_the_tolerance() {
        let row = Matrix::from([[1.0, 2.0]]);
        let column = Matrix::from([[1.0], [2.0]]);
        assert!(!row.abs_diff_eq(&column, f64::INFINITY));
        assert!(!row.relative_eq(&column, f64::INFINITY, f64::INFINITY));
        assert!(!row.ulps_eq(&column, f64::INFINITY, u32::MAX));
        assert_relative_eq!(row, Matrix::from([[1.0 + 1e-16, 2.0]]));
        assert_ulps_ne!(row, Matrix::from([[1.0, 2.0 + 1e-9]]));
    }

    #[test]
    fn network_gradients_of_other_depths_differ() {
        let one = NetworkGradients {
            dj_dw: vec![Matrix::zeros(1, 1)],
            dj_db: vec![None],
        };
        let two = NetworkGradients {
            dj_dw: vec![Matrix::zeros(1, 1), Matrix::zeros(1, 1)],
            dj_db: vec![None, None],
        };
        assert_relative_eq!(one, one.clone());
        assert!(!one.relative_eq(&two, 1.0, 1.0));
        let biased = NetworkGradients {
            dj_dw: vec![Matrix::zeros(1, 1)],
            dj_db: vec![Some(Matrix::zeros(1, 1))],
        };
        assert!(!one.abs_diff_eq(&biased, 1.0));
    }
}
