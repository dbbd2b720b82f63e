//! Building matrices from rows and converting them to and from std types.

use crate::error::Error;
use crate::matrix::Matrix;

impl Matrix {
    /// A matrix from its rows, each a slice, `Vec` or array of the same
    /// length: how data read line by line arrives. No rows gives a 0 × 0
    /// matrix.
    ///
    /// # Errors
    ///
    /// [`Error::RaggedRows`] naming the first row whose length differs from
    /// the first row's.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Error, Matrix};
    ///
    /// let rows = vec![vec![3.0, 5.0], vec![5.0, 1.0]];
    /// assert_eq!(Matrix::from_rows(&rows)?, Matrix::from([[3.0, 5.0], [5.0, 1.0]]));
    /// assert_eq!(
    ///     Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]),
    ///     Err(Error::RaggedRows { row: 1, expected: 2, found: 1 })
    /// );
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Matrix, Error> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        if let Some((row, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.as_ref().len() != cols)
        {
            return Err(Error::RaggedRows {
                row,
                expected: cols,
                found: r.as_ref().len(),
            });
        }
        let data = rows
            .iter()
            .flat_map(|r| r.as_ref().iter().copied())
            .collect();
        Matrix::new(rows.len(), cols, data)
    }
}

impl TryFrom<Vec<Vec<f64>>> for Matrix {
    type Error = Error;

    /// As [`Matrix::from_rows`].
    fn try_from(rows: Vec<Vec<f64>>) -> Result<Matrix, Error> {
        Matrix::from_rows(&rows)
    }
}

impl TryFrom<&[Vec<f64>]> for Matrix {
    type Error = Error;

    /// As [`Matrix::from_rows`].
    fn try_from(rows: &[Vec<f64>]) -> Result<Matrix, Error> {
        Matrix::from_rows(rows)
    }
}

impl<const R: usize, const C: usize> From<[[f64; C]; R]> for Matrix {
    /// Builds an `R × C` matrix from nested array literals, one inner array per
    /// row.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let y = Matrix::from([[75.0], [82.0], [93.0]]);
    /// assert_eq!(y.shape(), (3, 1));
    /// ```
    fn from(rows: [[f64; C]; R]) -> Self {
        Self {
            rows: R,
            cols: C,
            data: rows.iter().flatten().copied().collect(),
        }
    }
}

impl From<Matrix> for Vec<f64> {
    /// The elements in row-major order, as [`Matrix::into_vec`].
    fn from(m: Matrix) -> Vec<f64> {
        m.into_vec()
    }
}

impl AsRef<[f64]> for Matrix {
    /// The elements in row-major order, as [`Matrix::as_slice`].
    fn as_ref(&self) -> &[f64] {
        self.as_slice()
    }
}

impl AsMut<[f64]> for Matrix {
    /// The elements in row-major order, as [`Matrix::as_mut_slice`].
    fn as_mut(&mut self) -> &mut [f64] {
        self.as_mut_slice()
    }
}

impl Default for Matrix {
    /// The 0 × 0 matrix.
    fn default() -> Self {
        Matrix::zeros(0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_row_major_order() {
        let rows = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
        let m = Matrix::try_from(rows.as_slice()).unwrap();
        assert_eq!(m, Matrix::try_from(rows.clone()).unwrap());
        assert_eq!(m.shape(), (2, 3));
        assert_eq!(Vec::from(m.clone()), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let slice: &[f64] = m.as_ref();
        assert_eq!(slice[4], 5.0);
        assert_eq!(
            Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).unwrap(),
            m
        );
        assert_eq!(
            Matrix::from_rows::<Vec<f64>>(&[]).unwrap(),
            Matrix::default()
        );
        assert_eq!(
            Matrix::from_rows(&[Vec::new(), Vec::new()])
                .unwrap()
                .shape(),
            (2, 0)
        );
    }

    #[test]
    fn ragged_rows_name_the_first_bad_row() {
        let rows = vec![vec![1.0], vec![2.0], vec![3.0, 4.0], vec![]];
        assert_eq!(
            Matrix::try_from(rows),
            Err(Error::RaggedRows {
                row: 2,
                expected: 1,
                found: 2
            })
        );
    }
}
