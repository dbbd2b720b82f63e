//! Element by element: `map`, `scale`, the Hadamard product ⊙, and the
//! operators `+`, `-`, scalar `*` and unary `-`.
//!
//! `Matrix * Matrix` is left undefined on purpose: numpy's `*` is ⊙ while
//! the maths' juxtaposition is the matrix product, and the derivation uses
//! both, so [`Matrix::dot`] and [`Matrix::multiply`] say which is meant.

use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::error::Error;
use crate::matrix::{Matrix, shape_panic};

impl Matrix {
    /// Applies `f` to every element, returning a new matrix of the same shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{sigmoid, Matrix};
    ///
    /// let z = Matrix::from([[0.0, 2.0]]);
    /// let a = z.map(sigmoid);
    /// assert_eq!(a[(0, 0)], 0.5);
    /// ```
    #[must_use]
    pub fn map(&self, mut f: impl FnMut(f64) -> f64) -> Matrix {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }

    /// Applies `f` to every element in place, in row-major order.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let mut m = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let mut seen = 0;
    /// m.map_inplace(|v| {
    ///     seen += 1;
    ///     *v *= 10.0;
    /// });
    /// assert_eq!((seen, m), (4, Matrix::from([[10.0, 20.0], [30.0, 40.0]])));
    /// ```
    pub fn map_inplace(&mut self, f: impl FnMut(&mut f64)) {
        self.data.iter_mut().for_each(f);
    }

    /// Every element multiplied by `factor`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, -2.0]]);
    /// assert_eq!(m.scale(3.0), Matrix::from([[3.0, -6.0]]));
    /// ```
    #[must_use]
    pub fn scale(&self, factor: f64) -> Matrix {
        self.map(|v| v * factor)
    }

    /// The element-wise (Hadamard) product `self ⊙ rhs`, numpy's
    /// `np.multiply`: element (i, j) of the result is `self[(i, j)] * rhs[(i, j)]`.
    ///
    /// # Panics
    ///
    /// If the shapes differ; the message names both. See
    /// [`try_multiply`](Self::try_multiply).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let b = Matrix::from([[10.0, 20.0], [30.0, 40.0]]);
    /// assert_eq!(a.multiply(&b), Matrix::from([[10.0, 40.0], [90.0, 160.0]]));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn multiply(&self, rhs: &Matrix) -> Matrix {
        self.try_multiply(rhs).unwrap_or_else(|e| shape_panic(e))
    }

    /// The element-wise product, or [`Error::ShapeMismatch`] when the shapes
    /// differ.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "multiply"` and both shapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::zeros(3, 1);
    /// assert!(a.try_multiply(&Matrix::zeros(3, 1)).is_ok());
    /// assert!(a.try_multiply(&Matrix::zeros(1, 3)).is_err());
    /// ```
    pub fn try_multiply(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        self.zip_with("multiply", rhs, |a, b| a * b)
    }

    /// The element-wise sum `self + rhs`, or [`Error::ShapeMismatch`] when the
    /// shapes differ. The `+` operator panics instead.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "add"` and both shapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from([[1.0, 2.0]]);
    /// assert_eq!(a.try_add(&a)?, Matrix::from([[2.0, 4.0]]));
    /// assert_eq!(&a + &a, Matrix::from([[2.0, 4.0]]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn try_add(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        self.zip_with("add", rhs, |a, b| a + b)
    }

    /// The element-wise difference `self − rhs`, or [`Error::ShapeMismatch`]
    /// when the shapes differ. The `-` operator panics instead.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "sub"` and both shapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let y = Matrix::from([[0.75], [0.82]]);
    /// let y_hat = Matrix::from([[0.5], [0.5]]);
    /// let error = y.try_sub(&y_hat)?;
    /// assert_eq!(error, &y - &y_hat);
    /// assert_eq!(error[(0, 0)], 0.25);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn try_sub(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        self.zip_with("sub", rhs, |a, b| a - b)
    }

    fn zip_with(
        &self,
        op: &'static str,
        rhs: &Matrix,
        f: impl Fn(f64, f64) -> f64,
    ) -> Result<Matrix, Error> {
        if self.shape() != rhs.shape() {
            return Err(Error::ShapeMismatch {
                op,
                left: self.shape(),
                right: rhs.shape(),
            });
        }
        Ok(Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self
                .data
                .iter()
                .zip(&rhs.data)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        })
    }
}

/// `+` and `-` for every mix of owned and borrowed operands, and their
/// `+=` and `-=` forms; an owned left operand's buffer is reused.
macro_rules! elementwise_operator {
    ($Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $name:literal, $f:expr) => {
        impl $Op<&Matrix> for &Matrix {
            type Output = Matrix;

            #[track_caller]
            fn $op(self, rhs: &Matrix) -> Matrix {
                self.zip_with($name, rhs, $f)
                    .unwrap_or_else(|e| shape_panic(e))
            }
        }

        impl $Op<Matrix> for &Matrix {
            type Output = Matrix;

            #[track_caller]
            fn $op(self, rhs: Matrix) -> Matrix {
                self.$op(&rhs)
            }
        }

        impl $Op<&Matrix> for Matrix {
            type Output = Matrix;

            #[track_caller]
            fn $op(mut self, rhs: &Matrix) -> Matrix {
                self.$op_assign(rhs);
                self
            }
        }

        impl $Op<Matrix> for Matrix {
            type Output = Matrix;

            #[track_caller]
            fn $op(self, rhs: Matrix) -> Matrix {
                self.$op(&rhs)
            }
        }

        impl $OpAssign<&Matrix> for Matrix {
            #[track_caller]
            fn $op_assign(&mut self, rhs: &Matrix) {
                self.zip_assign($name, rhs, $f);
            }
        }

        impl $OpAssign<Matrix> for Matrix {
            #[track_caller]
            fn $op_assign(&mut self, rhs: Matrix) {
                self.$op_assign(&rhs);
            }
        }
    };
}

elementwise_operator!(Add, add, AddAssign, add_assign, "add", |a, b| a + b);
elementwise_operator!(Sub, sub, SubAssign, sub_assign, "sub", |a, b| a - b);

impl Matrix {
    #[track_caller]
    fn zip_assign(&mut self, op: &'static str, rhs: &Matrix, f: impl Fn(f64, f64) -> f64) {
        if self.shape() != rhs.shape() {
            shape_panic(Error::ShapeMismatch {
                op,
                left: self.shape(),
                right: rhs.shape(),
            });
        }
        for (a, &b) in self.data.iter_mut().zip(&rhs.data) {
            *a = f(*a, b);
        }
    }
}

impl Mul<f64> for &Matrix {
    type Output = Matrix;

    /// Every element times the scalar, as [`Matrix::scale`].
    fn mul(self, factor: f64) -> Matrix {
        self.scale(factor)
    }
}

impl Mul<f64> for Matrix {
    type Output = Matrix;

    fn mul(mut self, factor: f64) -> Matrix {
        self *= factor;
        self
    }
}

impl Mul<&Matrix> for f64 {
    type Output = Matrix;

    fn mul(self, m: &Matrix) -> Matrix {
        m * self
    }
}

impl Mul<Matrix> for f64 {
    type Output = Matrix;

    fn mul(self, m: Matrix) -> Matrix {
        m * self
    }
}

impl MulAssign<f64> for Matrix {
    fn mul_assign(&mut self, factor: f64) {
        self.map_inplace(|v| *v *= factor);
    }
}

impl Neg for &Matrix {
    type Output = Matrix;

    fn neg(self) -> Matrix {
        self.map(|v| -v)
    }
}

impl Neg for Matrix {
    type Output = Matrix;

    fn neg(mut self) -> Matrix {
        self.map_inplace(|v| *v = -*v);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_agree_with_their_try_forms_for_every_operand_kind() {
        let a = Matrix::from([[1.0, -2.0], [3.5, 0.25]]);
        let b = Matrix::from([[0.5, 4.0], [-1.0, 8.0]]);
        let sum = a.try_add(&b).unwrap();
        let difference = a.try_sub(&b).unwrap();
        for got in [
            &a + &b,
            a.clone() + &b,
            &a + b.clone(),
            a.clone() + b.clone(),
        ] {
            assert_eq!(got, sum);
        }
        for got in [
            &a - &b,
            a.clone() - &b,
            &a - b.clone(),
            a.clone() - b.clone(),
        ] {
            assert_eq!(got, difference);
        }
        let mut c = a.clone();
        c += &b;
        c -= b.clone();
        c += b.clone();
        assert_eq!(c, sum);
        let twice = Matrix::from([[2.0, -4.0], [7.0, 0.5]]);
        assert_eq!(&a * 2.0, twice);
        assert_eq!(2.0 * &a, twice);
        assert_eq!(a.clone() * 2.0, twice);
        assert_eq!(2.0 * a.clone(), twice);
        let mut d = a.clone();
        d *= 2.0;
        assert_eq!(d, twice);
        assert_eq!(-&a, Matrix::from([[-1.0, 2.0], [-3.5, -0.25]]));
        assert_eq!(-a.clone(), -&a);
    }

    #[test]
    #[should_panic(expected = "add: shapes 2×1 and 1×2 do not fit")]
    fn add_assign_panics_naming_both_shapes() {
        let mut a = Matrix::zeros(2, 1);
        a += Matrix::zeros(1, 2);
    }

    #[test]
    #[should_panic(expected = "sub: shapes 1×1 and 0×0 do not fit")]
    fn owned_sub_panics_naming_both_shapes() {
        let _ = Matrix::zeros(1, 1) - Matrix::zeros(0, 0);
    }
}
