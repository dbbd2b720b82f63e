//! The series' gradient computation written with ndarray and with
//! nalgebra, as a user of either would write it from the numpy code of the
//! series, for timing beside `backprop` in one run.
//!
//! Both use the series' formulas: f(z) = 1 / (1 + e^(−z)) and
//! f′(z) = e^(−z) / (1 + e^(−z))², each through `f64::exp`.

use nalgebra::DMatrix;
use ndarray::Array2;

/// The series' `sigmoid`.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The series' `sigmoidPrime`.
pub fn sigmoid_prime(z: f64) -> f64 {
    let e = (-z).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// ∂J/∂W(1) and ∂J/∂W(2) with ndarray, line by line as in the series.
pub fn gradients_ndarray(
    w1: &Array2<f64>,
    w2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let z2 = x.dot(w1);
    let a2 = z2.mapv(sigmoid);
    let z3 = a2.dot(w2);
    let y_hat = z3.mapv(sigmoid);
    let delta3 = -(y - &y_hat) * z3.mapv(sigmoid_prime);
    let dj_dw2 = a2.t().dot(&delta3);
    let delta2 = delta3.dot(&w2.t()) * z2.mapv(sigmoid_prime);
    let dj_dw1 = x.t().dot(&delta2);
    (dj_dw1, dj_dw2)
}

/// ∂J/∂W(1) and ∂J/∂W(2) with nalgebra, using its transposed products.
pub fn gradients_nalgebra(
    w1: &DMatrix<f64>,
    w2: &DMatrix<f64>,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let z2 = x * w1;
    let a2 = z2.map(sigmoid);
    let z3 = &a2 * w2;
    let y_hat = z3.map(sigmoid);
    let delta3 = (y_hat - y).component_mul(&z3.map(sigmoid_prime));
    let dj_dw2 = a2.tr_mul(&delta3);
    let delta2 = (&delta3 * w2.transpose()).component_mul(&z2.map(sigmoid_prime));
    let dj_dw1 = x.tr_mul(&delta2);
    (dj_dw1, dj_dw2)
}

/// A `backprop::Matrix` as an ndarray array.
pub fn to_ndarray(m: &backprop::Matrix) -> Array2<f64> {
    Array2::from_shape_vec(m.shape(), m.as_slice().to_vec()).expect("row-major data of that shape")
}

/// A `backprop::Matrix` as a nalgebra matrix.
pub fn to_nalgebra(m: &backprop::Matrix) -> DMatrix<f64> {
    DMatrix::from_row_slice(m.rows(), m.cols(), m.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use backprop::{Matrix, TwoLayerNet};

    /// The three implementations agree, so the timings compare like with like.
    #[test]
    fn all_three_compute_the_same_gradients() {
        for (n, i, h, o) in [(3, 2, 3, 1), (64, 16, 32, 1), (200, 20, 30, 4)] {
            let net = TwoLayerNet::random(i, h, o, 1).unwrap();
            let x = Matrix::randn(n, i, 2).map(backprop::sigmoid);
            let y = Matrix::randn(n, o, 3).map(backprop::sigmoid);
            let g = net.gradients(&x, &y).unwrap();
            let (a1, a2) = gradients_ndarray(
                &to_ndarray(net.w1()),
                &to_ndarray(net.w2()),
                &to_ndarray(&x),
                &to_ndarray(&y),
            );
            let (b1, b2) = gradients_nalgebra(
                &to_nalgebra(net.w1()),
                &to_nalgebra(net.w2()),
                &to_nalgebra(&x),
                &to_nalgebra(&y),
            );
            for r in 0..i {
                for c in 0..h {
                    let want = g.dj_dw1[(r, c)];
                    assert!((a1[(r, c)] - want).abs() <= 1e-12 * want.abs().max(1.0));
                    assert!((b1[(r, c)] - want).abs() <= 1e-12 * want.abs().max(1.0));
                }
            }
            for r in 0..h {
                for c in 0..o {
                    let want = g.dj_dw2[(r, c)];
                    assert!((a2[(r, c)] - want).abs() <= 1e-12 * want.abs().max(1.0));
                    assert!((b2[(r, c)] - want).abs() <= 1e-12 * want.abs().max(1.0));
                }
            }
        }
    }
}
