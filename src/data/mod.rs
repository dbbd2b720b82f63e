//! Data: [`DataSet`] for your own examples, [`Scaling`] to bring them
//! into the sigmoid's range and back, classes as one-hot rows
//! ([`one_hot`], [`classes()`], [`accuracy`]), and the series' data sets
//! (hours of sleep and hours of study, and the test score that followed).
//!
//! The series' raw values are in hours and points. The series normalises X
//! by dividing each column by its maximum over the *training* set, and y by
//! [`MAX_SCORE`], so that every value lies in \[0, 1\] like the sigmoid's
//! output.

mod classes;
mod digits;
pub(crate) mod scaling;
pub(crate) mod split;

pub use classes::{accuracy, classes, one_hot};
pub use digits::digits;
pub use scaling::{Scale, Scaling};

use crate::error::Error;
use crate::matrix::{Matrix, check_finite};

/// The highest possible test score; y is divided by it.
///
/// ```
/// use backprop::data::{self, MAX_SCORE};
///
/// assert_eq!(data::part1().y[(0, 0)] / MAX_SCORE, data::part1_normalised().y[(0, 0)]);
/// ```
pub const MAX_SCORE: f64 = 100.0;

/// Inputs X and targets y, one example per row: the series' hours of sleep
/// and study and the test score, or your own data through [`DataSet::new`].
///
/// # Examples
///
/// ```
/// use backprop::data;
///
/// let d = data::part1();
/// assert_eq!(d.x.shape(), (3, 2));
/// assert_eq!(d.y[(2, 0)], 93.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    /// One row per example: the inputs (for the series, hours of sleep and
    /// hours of study).
    pub x: Matrix,
    /// One row per example: the targets (for the series, the test score).
    pub y: Matrix,
}

impl DataSet {
    /// Your own examples: row i of `x` is an input and row i of `y` its
    /// target.
    ///
    /// # Errors
    ///
    /// - [`Error::EmptyBatch`] when `x` has no rows;
    /// - [`Error::TargetRows`] when `y` has a different number of rows;
    /// - [`Error::NonFinite`] naming `X` or `y` and where, for NaN or ∞.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{DataSet, Error, Matrix};
    ///
    /// let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
    /// let d = DataSet::new(x.clone(), Matrix::from([[0.5], [1.5]]))?;
    /// assert_eq!(d.len(), 2);
    /// assert_eq!(
    ///     DataSet::new(x, Matrix::from([[0.5]])),
    ///     Err(Error::TargetRows { expected: 2, found: 1 })
    /// );
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn new(x: Matrix, y: Matrix) -> Result<DataSet, Error> {
        if x.rows() == 0 {
            return Err(Error::EmptyBatch);
        }
        if y.rows() != x.rows() {
            return Err(Error::TargetRows {
                expected: x.rows(),
                found: y.rows(),
            });
        }
        check_finite(&x, "X")?;
        check_finite(&y, "y")?;
        Ok(DataSet { x, y })
    }

    /// The number of examples.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::data::part7_training().len(), 4);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.rows()
    }

    /// Whether there are no examples (never, for a set from
    /// [`DataSet::new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!backprop::data::part1().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.x.rows() == 0
    }

    /// The largest value of each column of X.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::data;
    ///
    /// assert_eq!(data::part1().x_column_maxima(), vec![10.0, 5.0]);
    /// ```
    #[must_use]
    pub fn x_column_maxima(&self) -> Vec<f64> {
        (0..self.x.cols())
            .map(|j| {
                (0..self.x.rows())
                    .map(|i| self.x[(i, j)])
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect()
    }

    /// Column j of X divided by `x_max[j]`, and y divided by [`MAX_SCORE`].
    ///
    /// # Panics
    ///
    /// If `x_max.len()` differs from the number of columns of X.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::data;
    ///
    /// let raw = data::part1();
    /// let d = raw.normalised_by(&raw.x_column_maxima());
    /// assert_eq!(d.x.row(0), &[0.3, 1.0]);
    /// assert_eq!(d.y[(0, 0)], 0.75);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn normalised_by(&self, x_max: &[f64]) -> DataSet {
        assert_eq!(
            x_max.len(),
            self.x.cols(),
            "normalised_by: {} maxima for {} columns",
            x_max.len(),
            self.x.cols()
        );
        DataSet {
            x: Matrix::from_fn(self.x.rows(), self.x.cols(), |i, j| {
                self.x[(i, j)] / x_max[j]
            }),
            y: self.y.map(|score| score / MAX_SCORE),
        }
    }
}

/// Part 1's three examples, raw: X = \[\[3, 5\], \[5, 1\], \[10, 2\]\] (hours),
/// y = \[\[75\], \[82\], \[93\]\] (points).
///
/// # Examples
///
/// ```
/// let d = backprop::data::part1();
/// assert_eq!(d.x.row(2), &[10.0, 2.0]);
/// ```
#[must_use]
pub fn part1() -> DataSet {
    DataSet {
        x: Matrix::from([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]]),
        y: Matrix::from([[75.0], [82.0], [93.0]]),
    }
}

/// Part 1's data normalised as the series does: X by its column maxima
/// \[10, 5\], y by 100.
///
/// # Examples
///
/// ```
/// let d = backprop::data::part1_normalised();
/// assert_eq!(d.x.row(2), &[1.0, 0.4]);
/// assert_eq!(d.y.as_slice(), &[0.75, 0.82, 0.93]);
/// ```
#[must_use]
pub fn part1_normalised() -> DataSet {
    let raw = part1();
    raw.normalised_by(&raw.x_column_maxima())
}

/// Part 7's training set, raw: Part 1's examples and a fourth, (6 h, 1.5 h)
/// → 70.
///
/// # Examples
///
/// ```
/// let d = backprop::data::part7_training();
/// assert_eq!(d.x.row(3), &[6.0, 1.5]);
/// assert_eq!(d.y[(3, 0)], 70.0);
/// ```
#[must_use]
pub fn part7_training() -> DataSet {
    DataSet {
        x: Matrix::from([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0], [6.0, 1.5]]),
        y: Matrix::from([[75.0], [82.0], [93.0], [70.0]]),
    }
}

/// Part 7's testing set, raw.
///
/// # Examples
///
/// ```
/// let d = backprop::data::part7_testing();
/// assert_eq!(d.x.row(0), &[4.0, 5.5]);
/// assert_eq!(d.y.as_slice(), &[70.0, 89.0, 85.0, 75.0]);
/// ```
#[must_use]
pub fn part7_testing() -> DataSet {
    DataSet {
        x: Matrix::from([[4.0, 5.5], [4.5, 1.0], [9.0, 2.5], [6.0, 2.0]]),
        y: Matrix::from([[70.0], [89.0], [85.0], [75.0]]),
    }
}

/// Part 7's training and testing sets, both normalised by the *training*
/// set's column maxima (\[10, 5\]) and y by 100: `(training, testing)`.
///
/// # Examples
///
/// ```
/// let (train, test) = backprop::data::part7_normalised();
/// assert_eq!(train.x.row(3), &[0.6, 0.3]);
/// // 5.5 h of study is above the training maximum of 5 h.
/// assert_eq!(test.x.row(0), &[0.4, 1.1]);
/// ```
#[must_use]
pub fn part7_normalised() -> (DataSet, DataSet) {
    let train = part7_training();
    let x_max = train.x_column_maxima();
    (
        train.normalised_by(&x_max),
        part7_testing().normalised_by(&x_max),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn part7_normalisation_by_hand() {
        let (train, test) = part7_normalised();
        let expect_train = [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4], [0.6, 0.3]];
        let expect_test = [[0.4, 1.1], [0.45, 0.2], [0.9, 0.5], [0.6, 0.4]];
        for (d, e) in [(&train, expect_train), (&test, expect_test)] {
            for (i, row) in e.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    assert_relative_eq!(d.x[(i, j)], v, max_relative = 1e-15);
                }
            }
        }
        assert_eq!(test.y.as_slice(), &[0.70, 0.89, 0.85, 0.75]);
    }
}
