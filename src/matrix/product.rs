//! Matrix products and the transpose.
//!
//! Backpropagation needs three products: `A·B` (forward), `Aᵀ·B` (the weight
//! gradients a(2)ᵀ·δ(3) and Xᵀ·δ(2)) and `A·Bᵀ` (the error sent back,
//! δ(3)·W(2)ᵀ). Each reads its operands as they are stored (see
//! `crate::gemm`), so no transposed copy is ever made.

use super::{Matrix, shape_panic};
use crate::error::Error;
use crate::gemm::Layout;
use crate::isa::matrix_product;

impl Matrix {
    /// The matrix product `self · rhs`, numpy's `np.dot`.
    ///
    /// If `self` is m × k, `rhs` must be k × n, and the result is m × n with
    /// element (i, j) = Σₚ self[(i, p)] · rhs[(p, j)].
    ///
    /// # Panics
    ///
    /// If `self.cols() != rhs.rows()`; the message names both shapes. See
    /// [`try_dot`](Self::try_dot).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let x = Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]); // 3×2
    /// let w = Matrix::from([[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]]); // 2×3
    /// let z = x.dot(&w); // 3×3
    /// assert_eq!(z.row(0), &[2.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn dot(&self, rhs: &Matrix) -> Matrix {
        self.try_dot(rhs).unwrap_or_else(|e| shape_panic(e))
    }

    /// The matrix product `self · rhs`, or an error when the inner dimensions
    /// differ.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "dot"` when `self.cols() != rhs.rows()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Error, Matrix};
    ///
    /// let a = Matrix::zeros(3, 2);
    /// assert_eq!(a.try_dot(&Matrix::zeros(2, 1))?.shape(), (3, 1));
    /// assert_eq!(
    ///     a.try_dot(&Matrix::zeros(3, 1)),
    ///     Err(Error::ShapeMismatch { op: "dot", left: (3, 2), right: (3, 1) })
    /// );
    /// # Ok::<(), Error>(())
    /// ```
    pub fn try_dot(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        if self.cols != rhs.rows {
            return Err(self.mismatch("dot", rhs));
        }
        let (m, k, n) = (self.rows, self.cols, rhs.cols);
        let mut out = Matrix::zeros(m, n);
        matrix_product(Layout::AB, (m, k, n), &self.data, &rhs.data, &mut out.data);
        Ok(out)
    }

    /// The product `selfᵀ · rhs`, without forming the transpose.
    ///
    /// If `self` is k × m, `rhs` must be k × n (the same number of rows), and
    /// the result is m × n. This is the shape of ∂J/∂W(2) = a(2)ᵀ·δ(3): a sum
    /// over examples (rows) of each example's outer product.
    ///
    /// # Panics
    ///
    /// If `self.rows() != rhs.rows()`; the message names both shapes. See
    /// [`try_tr_dot`](Self::try_tr_dot).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let b = Matrix::from([[1.0], [0.0], [-1.0]]);
    /// assert_eq!(a.tr_dot(&b), a.transpose().dot(&b));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn tr_dot(&self, rhs: &Matrix) -> Matrix {
        self.try_tr_dot(rhs).unwrap_or_else(|e| shape_panic(e))
    }

    /// The product `selfᵀ · rhs`, or an error when the row counts differ.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "tr_dot"` when
    /// `self.rows() != rhs.rows()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// assert!(Matrix::zeros(3, 2).try_tr_dot(&Matrix::zeros(3, 4)).is_ok());
    /// assert!(Matrix::zeros(3, 2).try_tr_dot(&Matrix::zeros(2, 4)).is_err());
    /// ```
    pub fn try_tr_dot(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        if self.rows != rhs.rows {
            return Err(self.mismatch("tr_dot", rhs));
        }
        let (m, k, n) = (self.cols, self.rows, rhs.cols);
        let mut out = Matrix::zeros(m, n);
        matrix_product(Layout::AtB, (m, k, n), &self.data, &rhs.data, &mut out.data);
        Ok(out)
    }

    /// The product `self · rhsᵀ`, without forming the transpose.
    ///
    /// If `self` is m × k, `rhs` must be n × k (the same number of columns),
    /// and the result is m × n with element (i, j) the inner product of row i
    /// of `self` and row j of `rhs`. This is the shape of δ(3)·W(2)ᵀ.
    ///
    /// # Panics
    ///
    /// If `self.cols() != rhs.cols()`; the message names both shapes. See
    /// [`try_dot_tr`](Self::try_dot_tr).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let b = Matrix::from([[1.0, -1.0]]);
    /// assert_eq!(a.dot_tr(&b), a.dot(&b.transpose()));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn dot_tr(&self, rhs: &Matrix) -> Matrix {
        self.try_dot_tr(rhs).unwrap_or_else(|e| shape_panic(e))
    }

    /// The product `self · rhsᵀ`, or an error when the column counts differ.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] with `op: "dot_tr"` when
    /// `self.cols() != rhs.cols()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// assert!(Matrix::zeros(3, 2).try_dot_tr(&Matrix::zeros(4, 2)).is_ok());
    /// assert!(Matrix::zeros(3, 2).try_dot_tr(&Matrix::zeros(2, 4)).is_err());
    /// ```
    pub fn try_dot_tr(&self, rhs: &Matrix) -> Result<Matrix, Error> {
        if self.cols != rhs.cols {
            return Err(self.mismatch("dot_tr", rhs));
        }
        let (m, k, n) = (self.rows, self.cols, rhs.rows);
        let mut out = Matrix::zeros(m, n);
        matrix_product(Layout::ABt, (m, k, n), &self.data, &rhs.data, &mut out.data);
        Ok(out)
    }

    /// The transpose: an n × m matrix whose element (j, i) is `self[(i, j)]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from([[1.0, 2.0, 3.0]]);
    /// assert_eq!(a.transpose(), Matrix::from([[1.0], [2.0], [3.0]]));
    /// ```
    #[must_use]
    pub fn transpose(&self) -> Matrix {
        let (m, n) = self.shape();
        let mut out = Matrix::zeros(n, m);
        for i in 0..m {
            for j in 0..n {
                out.data[j * m + i] = self.data[i * n + j];
            }
        }
        out
    }

    fn mismatch(&self, op: &'static str, rhs: &Matrix) -> Error {
        Error::ShapeMismatch {
            op,
            left: self.shape(),
            right: rhs.shape(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "dot: shapes 3×2 and 3×1 do not fit")]
    fn dot_panics_naming_both_shapes() {
        let _ = Matrix::zeros(3, 2).dot(&Matrix::zeros(3, 1));
    }

    #[test]
    #[should_panic(expected = "tr_dot: shapes 3×2 and 2×1 do not fit")]
    fn tr_dot_panics_naming_both_shapes() {
        let _ = Matrix::zeros(3, 2).tr_dot(&Matrix::zeros(2, 1));
    }

    #[test]
    #[should_panic(expected = "dot_tr: shapes 3×2 and 3×1 do not fit")]
    fn dot_tr_panics_naming_both_shapes() {
        let _ = Matrix::zeros(3, 2).dot_tr(&Matrix::zeros(3, 1));
    }

    #[test]
    fn dot_by_hand() {
        // [1 2] · [5 6]   [1·5+2·7  1·6+2·8]   [19 22]
        // [3 4]   [7 8] = [3·5+4·7  3·6+4·8] = [43 50]
        let a = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
        let b = Matrix::from([[5.0, 6.0], [7.0, 8.0]]);
        assert_eq!(a.dot(&b), Matrix::from([[19.0, 22.0], [43.0, 50.0]]));
        // aᵀ·b = [1 3; 2 4]·b = [26 30; 38 44]
        assert_eq!(a.tr_dot(&b), Matrix::from([[26.0, 30.0], [38.0, 44.0]]));
        // a·bᵀ = a·[5 7; 6 8] = [17 23; 39 53]
        assert_eq!(a.dot_tr(&b), Matrix::from([[17.0, 23.0], [39.0, 53.0]]));
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let c = Matrix::zeros(3, 0).dot(&Matrix::zeros(0, 2));
        assert_eq!(c, Matrix::zeros(3, 2));
        assert_eq!(
            Matrix::zeros(0, 3).tr_dot(&Matrix::zeros(0, 2)),
            Matrix::zeros(3, 2)
        );
        assert_eq!(
            Matrix::zeros(3, 0).dot_tr(&Matrix::zeros(2, 0)),
            Matrix::zeros(3, 2)
        );
        assert_eq!(Matrix::zeros(0, 4).transpose(), Matrix::zeros(4, 0));
    }
}
