//! Human-readable and debug formatting.

use std::fmt;

use super::Matrix;

impl fmt::Display for Matrix {
    /// One bracketed line per row, each column right-aligned to its widest
    /// entry. Precision (`{:.3}`) applies to every element; width (`{:8}`)
    /// is the least width of every column.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let x = Matrix::from([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]]);
    /// assert_eq!(x.to_string(), "[ 3  5]\n[ 5  1]\n[10  2]");
    /// assert_eq!(format!("{x:.1}"), "[ 3.0  5.0]\n[ 5.0  1.0]\n[10.0  2.0]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows == 0 || self.cols == 0 {
            return write!(f, "[]");
        }
        let cells: Vec<String> = self
            .data
            .iter()
            .map(|v| match f.precision() {
                Some(p) => format!("{v:.p$}"),
                None => format!("{v}"),
            })
            .collect();
        let mut widths = vec![f.width().unwrap_or(0); self.cols];
        for row in cells.chunks_exact(self.cols) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for (i, row) in cells.chunks_exact(self.cols).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "[")?;
            for (j, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                let sep = if j == 0 { "" } else { "  " };
                write!(f, "{sep}{cell:>w$}")?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Matrix {
    /// `Matrix(r×c) [...]` followed by the rows, so that a failed assertion
    /// shows the numbers laid out as a matrix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matrix({}×{}) ", self.rows, self.cols)?;
        if self.rows == 0 || self.cols == 0 {
            return write!(f, "[]");
        }
        f.write_str("[")?;
        for (i, row) in self.data.chunks_exact(self.cols).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{row:?}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_aligns_columns_independently() {
        let m = Matrix::from([[1.0, -200.5], [30.0, 4.0]]);
        assert_eq!(m.to_string(), "[ 1  -200.5]\n[30       4]");
    }

    #[test]
    fn display_honours_precision_and_width() {
        let m = Matrix::from([[0.5, -0.25]]);
        assert_eq!(format!("{m:.3}"), "[0.500  -0.250]");
        assert_eq!(format!("{m:7.2}"), "[   0.50    -0.25]");
    }

    #[test]
    fn display_of_empty_matrices() {
        assert_eq!(Matrix::zeros(0, 3).to_string(), "[]");
        assert_eq!(Matrix::zeros(2, 0).to_string(), "[]");
    }

    #[test]
    fn debug_shows_shape_and_rows() {
        let m = Matrix::from([[1.0, 2.0], [3.0, 4.5]]);
        assert_eq!(format!("{m:?}"), "Matrix(2×2) [[1.0, 2.0], [3.0, 4.5]]");
    }
}
