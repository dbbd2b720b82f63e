//! The hand-written, row-major `f64` matrix the network is built on.

mod convert;
mod display;
mod elementwise;
mod iter;
mod product;

use std::ops::{Index, IndexMut};

use crate::error::{Error, Shape};
use crate::rng::Rng;

/// A dense, row-major matrix of `f64`.
///
/// Element (i, j) of an `r × c` matrix lives at `as_slice()[i * c + j]`.
/// One row per example is the convention of the whole crate: a batch X of N
/// examples with two inputs is an `N × 2` matrix.
///
/// Operations come in two forms. The plain form (`dot`, `multiply`, `+`, `-`)
/// panics when the shapes do not fit, the way slice indexing does, with a
/// message naming both shapes. The `try_` form returns
/// [`Error::ShapeMismatch`] instead.
///
/// `+`, `-`, `+=` and `-=` take owned or borrowed matrices (an owned left
/// operand's buffer is reused), `*` and `*=` scale by an `f64`, and unary
/// `-` negates. `Matrix * Matrix` is deliberately not defined: numpy's `*`
/// is the element-wise product while the maths writes the matrix product
/// by juxtaposition, and the derivation needs both, so
/// [`dot`](Matrix::dot) and [`multiply`](Matrix::multiply) say which is
/// meant:
///
/// ```compile_fail
/// let a = backprop::Matrix::zeros(2, 2);
/// let ambiguous = &a * &a; // a·a or a ⊙ a? Write a.dot(&a) or a.multiply(&a).
/// ```
///
/// # Examples
///
/// ```
/// use backprop::Matrix;
///
/// let x = Matrix::from([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]]);
/// assert_eq!(x.shape(), (3, 2));
/// assert_eq!(x[(2, 0)], 10.0);
/// assert_eq!(x.as_slice(), &[3.0, 5.0, 5.0, 1.0, 10.0, 2.0]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// Builds a `rows × cols` matrix from its elements in row-major order.
    ///
    /// # Errors
    ///
    /// [`Error::DataLength`] when `data.len() != rows * cols`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::new(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// assert_eq!(m[(1, 0)], 4.0);
    /// assert!(Matrix::new(2, 3, vec![1.0]).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, Error> {
        match rows.checked_mul(cols) {
            Some(len) if len == data.len() => Ok(Self { rows, cols, data }),
            _ => Err(Error::DataLength {
                rows,
                cols,
                len: data.len(),
            }),
        }
    }

    /// A `rows × cols` matrix of zeros.
    ///
    /// # Panics
    ///
    /// If `rows * cols` overflows `usize` (or the allocation fails).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let z = Matrix::zeros(2, 3);
    /// assert_eq!(z.shape(), (2, 3));
    /// assert!(z.as_slice().iter().all(|&v| v == 0.0));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::filled(rows, cols, 0.0)
    }

    #[track_caller]
    fn filled(rows: usize, cols: usize, value: f64) -> Self {
        let len = rows
            .checked_mul(cols)
            .unwrap_or_else(|| panic!("a {rows}×{cols} matrix has more elements than usize holds"));
        Self {
            rows,
            cols,
            data: vec![value; len],
        }
    }

    /// A `rows × cols` matrix whose element (i, j) is `f(i, j)`.
    ///
    /// # Panics
    ///
    /// If `rows * cols` overflows `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let identity = Matrix::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.0 });
    /// assert_eq!(identity, Matrix::from([[1.0, 0.0], [0.0, 1.0]]));
    /// ```
    #[track_caller]
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f64) -> Self {
        let mut m = Self::zeros(rows, cols);
        for i in 0..rows {
            for j in 0..cols {
                m.data[i * cols + j] = f(i, j);
            }
        }
        m
    }

    /// A `rows × cols` matrix of standard-normal samples (mean 0, variance 1),
    /// like numpy's `np.random.randn(rows, cols)`, drawn from a small
    /// generator seeded with `seed`.
    ///
    /// The same seed gives the same matrix on every run and every platform
    /// whose `f64::ln`, `sqrt` and `cos`/`sin` round the same way.
    ///
    /// # Panics
    ///
    /// If `rows * cols` overflows `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::randn(3, 4, 7);
    /// assert_eq!(a, Matrix::randn(3, 4, 7));
    /// assert_ne!(a, Matrix::randn(3, 4, 8));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn randn(rows: usize, cols: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Self::randn_from(rows, cols, &mut rng)
    }

    #[track_caller]
    pub(crate) fn randn_from(rows: usize, cols: usize, rng: &mut Rng) -> Self {
        let mut m = Self::zeros(rows, cols);
        m.data.iter_mut().for_each(|v| *v = rng.standard_normal());
        m
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::Matrix::zeros(3, 2).rows(), 3);
    /// ```
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::Matrix::zeros(3, 2).cols(), 2);
    /// ```
    #[must_use]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, columns)`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::Matrix::zeros(3, 2).shape(), (3, 2));
    /// ```
    #[must_use]
    pub fn shape(&self) -> Shape {
        (self.rows, self.cols)
    }

    /// The elements in row-major order.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
    /// ```
    #[must_use]
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let mut m = Matrix::zeros(2, 2);
    /// m.as_mut_slice()[3] = 5.0;
    /// assert_eq!(m[(1, 1)], 5.0);
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// Consumes the matrix, returning its elements in row-major order.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// assert_eq!(Matrix::from([[1.0, 2.0]]).into_vec(), vec![1.0, 2.0]);
    /// ```
    #[must_use]
    pub fn into_vec(self) -> Vec<f64> {
        self.data
    }

    /// Exchanges the elements with `values`, which must hold as many: a
    /// result handed over without a copy.
    pub(crate) fn swap_values(&mut self, values: &mut Vec<f64>) {
        assert_eq!(self.data.len(), values.len(), "swap_values: lengths differ");
        std::mem::swap(&mut self.data, values);
    }

    /// The sum of all elements.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// assert_eq!(Matrix::from([[1.0, 2.0], [3.0, 4.0]]).sum(), 10.0);
    /// ```
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }

    /// The Frobenius norm, √(Σ m_ij²), computed without overflow for any
    /// finite matrix whose norm is itself finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// assert_eq!(Matrix::from([[3.0, 4.0]]).norm(), 5.0);
    /// // The squares, 9e400 and 16e400, would overflow; the norm does not.
    /// let big = Matrix::from([[3e200, 4e200]]).norm();
    /// assert!((big - 5e200).abs() <= 1e-15 * 5e200);
    /// ```
    #[must_use]
    pub fn norm(&self) -> f64 {
        euclidean_norm(&self.data)
    }

    /// Position of the first NaN or infinite element, in row-major order.
    pub(crate) fn first_non_finite(&self) -> Option<Shape> {
        if all_finite(&self.data) {
            return None;
        }
        let k = self.data.iter().position(|v| !v.is_finite())?;
        Some((k / self.cols, k % self.cols))
    }
}

/// Whether every value is finite: eight at a time without a branch, which
/// the compiler vectorises (a search that stops at the first bad value
/// cannot be), and the few left over one by one, which for the short
/// slices of a tiny batch costs less than a vector loop's set-up.
#[inline(always)]
pub(crate) fn all_finite(xs: &[f64]) -> bool {
    let (eights, rest) = xs.as_chunks::<8>();
    eights
        .iter()
        .all(|e| e.iter().fold(true, |ok, v| ok & v.is_finite()))
        && rest.iter().all(|v| v.is_finite())
}

/// Rejects user data holding NaN or ∞, naming where.
pub(crate) fn check_finite(m: &Matrix, what: &'static str) -> Result<(), Error> {
    match m.first_non_finite() {
        None => Ok(()),
        Some(at) => Err(Error::NonFinite { what, at }),
    }
}

/// √(Σ xᵢ²), scaled by the largest magnitude so that squares cannot overflow.
pub(crate) fn euclidean_norm(xs: &[f64]) -> f64 {
    let max = xs.iter().fold(0.0_f64, |m, &v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        return max;
    }
    max * xs
        .iter()
        .map(|&v| (v / max) * (v / max))
        .sum::<f64>()
        .sqrt()
}

/// Panics with the error's message; kept out of line so the checks that call
/// it stay small.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn shape_panic(e: Error) -> ! {
    panic!("{e}")
}

impl Index<(usize, usize)> for Matrix {
    type Output = f64;

    /// Element (i, j).
    ///
    /// # Panics
    ///
    /// If `i >= rows` or `j >= cols`.
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &f64 {
        let k = self.offset(i, j);
        &self.data[k]
    }
}

impl IndexMut<(usize, usize)> for Matrix {
    /// Element (i, j), mutably.
    ///
    /// # Panics
    ///
    /// If `i >= rows` or `j >= cols`.
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut f64 {
        let k = self.offset(i, j);
        &mut self.data[k]
    }
}

impl Matrix {
    #[track_caller]
    fn offset(&self, i: usize, j: usize) -> usize {
        if i >= self.rows || j >= self.cols {
            index_panic(i, j, self.shape());
        }
        i * self.cols + j
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn index_panic(i: usize, j: usize, (rows, cols): Shape) -> ! {
    panic!("index ({i}, {j}) is out of bounds for a {rows}×{cols} matrix")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_length_without_overflow() {
        assert_eq!(
            Matrix::new(usize::MAX, 2, vec![]),
            Err(Error::DataLength {
                rows: usize::MAX,
                cols: 2,
                len: 0
            })
        );
        assert!(Matrix::new(0, 5, vec![]).is_ok());
    }

    #[test]
    fn from_array_is_row_major() {
        let m = Matrix::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(m.shape(), (2, 3));
        assert_eq!(m[(0, 2)], 3.0);
        assert_eq!(m[(1, 0)], 4.0);
    }

    #[test]
    #[should_panic(expected = "index (2, 0) is out of bounds for a 2×3 matrix")]
    fn index_out_of_bounds_names_shape() {
        let _ = Matrix::zeros(2, 3)[(2, 0)];
    }

    #[test]
    #[should_panic(expected = "index (0, 3) is out of bounds for a 2×3 matrix")]
    fn column_out_of_bounds_panics_even_when_offset_fits() {
        // (0, 3) maps to offset 3, inside the data; the column check must catch it.
        let _ = Matrix::zeros(2, 3)[(0, 3)];
    }

    #[test]
    #[should_panic(expected = "multiply: shapes 3×1 and 1×3 do not fit")]
    fn multiply_panics_naming_both_shapes() {
        let _ = Matrix::zeros(3, 1).multiply(&Matrix::zeros(1, 3));
    }

    #[test]
    #[should_panic(expected = "sub: shapes 2×2 and 2×1 do not fit")]
    fn sub_operator_panics_naming_both_shapes() {
        let _ = &Matrix::zeros(2, 2) - &Matrix::zeros(2, 1);
    }

    #[test]
    fn norm_handles_zero_and_large_values() {
        assert_eq!(Matrix::zeros(2, 2).norm(), 0.0);
        assert_eq!(Matrix::zeros(0, 0).norm(), 0.0);
        let big = Matrix::from([[f64::MAX, f64::MAX]]);
        assert!(big.norm().is_infinite(), "√2·MAX is not representable");
        let m = Matrix::from([[1e300, 1e300]]);
        approx::assert_relative_eq!(m.norm(), 1e300 * 2f64.sqrt(), max_relative = 1e-15);
    }

    #[test]
    fn first_non_finite_reports_row_and_column() {
        let mut m = Matrix::zeros(3, 4);
        assert_eq!(m.first_non_finite(), None);
        m[(2, 1)] = f64::NAN;
        m[(2, 3)] = f64::INFINITY;
        assert_eq!(m.first_non_finite(), Some((2, 1)));
    }

    #[test]
    fn randn_has_roughly_unit_moments() {
        let m = Matrix::randn(200, 100, 1);
        let n = 20_000.0;
        let mean = m.sum() / n;
        let var = m.map(|v| (v - mean) * (v - mean)).sum() / n;
        // Standard errors: 1/√n ≈ 0.007 for the mean, √(2/n) ≈ 0.01 for the variance.
        assert!(mean.abs() < 0.04, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
