//! Element, row and column access: iterators and slices.

use crate::matrix::Matrix;

impl Matrix {
    /// Row `i` as a slice.
    ///
    /// # Panics
    ///
    /// If `i >= self.rows()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.row(1), &[3.0, 4.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn row(&self, i: usize) -> &[f64] {
        assert!(
            i < self.rows,
            "row {i} is out of bounds for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i` as a mutable slice.
    ///
    /// # Panics
    ///
    /// If `i >= self.rows()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let mut m = Matrix::zeros(2, 2);
    /// m.row_mut(1).copy_from_slice(&[3.0, 4.0]);
    /// assert_eq!(m, Matrix::from([[0.0, 0.0], [3.0, 4.0]]));
    /// ```
    #[track_caller]
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        assert!(
            i < self.rows,
            "row {i} is out of bounds for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Column `j`, top to bottom.
    ///
    /// # Panics
    ///
    /// If `j >= self.cols()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// assert_eq!(m.column(1).collect::<Vec<_>>(), vec![2.0, 4.0, 6.0]);
    /// assert_eq!(m.column(0).rev().next(), Some(5.0));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn column(
        &self,
        j: usize,
    ) -> impl ExactSizeIterator<Item = f64> + DoubleEndedIterator + Clone + '_ {
        assert!(
            j < self.cols,
            "column {j} is out of bounds for a {}×{} matrix",
            self.rows,
            self.cols
        );
        self.data
            .get(j..)
            .unwrap_or_default()
            .iter()
            .step_by(self.cols)
            .copied()
    }

    /// The rows, top to bottom, each as a slice.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let sums: Vec<f64> = m.row_iter().map(|row| row.iter().sum()).collect();
    /// assert_eq!(sums, vec![3.0, 7.0]);
    /// ```
    #[must_use]
    pub fn row_iter(
        &self,
    ) -> impl ExactSizeIterator<Item = &[f64]> + DoubleEndedIterator + Clone + '_ {
        (0..self.rows).map(move |i| &self.data[i * self.cols..(i + 1) * self.cols])
    }

    /// The rows, top to bottom, each as a mutable slice.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let mut m = Matrix::zeros(2, 3);
    /// for (i, row) in m.row_iter_mut().enumerate() {
    ///     row.fill(i as f64);
    /// }
    /// assert_eq!(m, Matrix::from([[0.0; 3], [1.0; 3]]));
    /// ```
    pub fn row_iter_mut(&mut self) -> impl ExactSizeIterator<Item = &mut [f64]> + '_ {
        let cols = self.cols;
        let mut rest = self.data.as_mut_slice();
        (0..self.rows).map(move |_| {
            let (row, tail) = std::mem::take(&mut rest).split_at_mut(cols);
            rest = tail;
            row
        })
    }

    /// The elements in row-major order.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from([[1.0, -2.0], [3.0, -4.0]]);
    /// assert_eq!(m.iter().filter(|&&v| v < 0.0).count(), 2);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, f64> {
        self.data.iter()
    }

    /// The elements in row-major order, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let mut m = Matrix::from([[1.0, 2.0]]);
    /// m.iter_mut().for_each(|v| *v += 1.0);
    /// assert_eq!(m.as_slice(), &[2.0, 3.0]);
    /// ```
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, f64> {
        self.data.iter_mut()
    }
}

impl<'a> IntoIterator for &'a Matrix {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Matrix {
    type Item = &'a mut f64;
    type IntoIter = std::slice::IterMut<'a, f64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns_of_empty_shapes() {
        let wide = Matrix::zeros(0, 3);
        assert_eq!(wide.row_iter().len(), 0);
        assert_eq!(wide.column(2).len(), 0);
        let mut tall = Matrix::zeros(3, 0);
        assert_eq!(tall.row_iter().len(), 3);
        assert!(tall.row_iter().all(<[f64]>::is_empty));
        assert_eq!(tall.row_iter_mut().len(), 3);
    }

    #[test]
    fn rows_and_columns_match_indexing() {
        let m = Matrix::from_fn(4, 3, |i, j| (10 * i + j) as f64);
        for (i, row) in m.row_iter().enumerate() {
            assert_eq!(row, m.row(i));
            assert_eq!(row.len(), 3);
        }
        for j in 0..3 {
            let column: Vec<f64> = m.column(j).collect();
            assert_eq!(column, (0..4).map(|i| m[(i, j)]).collect::<Vec<_>>());
        }
        let mut n = Matrix::zeros(4, 3);
        for (row, source) in n.row_iter_mut().zip(m.row_iter()) {
            row.copy_from_slice(source);
        }
        assert_eq!(n, m);
    }

    #[test]
    #[should_panic(expected = "column 2 is out of bounds for a 1×2 matrix")]
    fn column_out_of_bounds_names_shape() {
        let _ = Matrix::zeros(1, 2).column(2);
    }
}
