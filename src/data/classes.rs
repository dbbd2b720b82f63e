//! Classes: labels as one-hot rows and back, and how often a prediction
//! is right.

use crate::error::Error;
use crate::matrix::Matrix;

/// The labels as one-hot rows: row i has a 1 in column `labels[i]` and 0
/// elsewhere, `labels.len() × classes`. These are the targets of a softmax
/// output under [`Cost::CrossEntropy`](crate::Cost::CrossEntropy).
///
/// # Errors
///
/// - [`Error::InvalidSetting`] naming `classes` when it is 0, or so large
///   that the matrix cannot be allocated;
/// - [`Error::Label`] naming the first label that is not below `classes`;
/// - [`Error::EmptyBatch`] when there are no labels.
///
/// # Examples
///
/// ```
/// use backprop::{data, Error, Matrix};
///
/// assert_eq!(data::one_hot(&[2, 0], 3)?, Matrix::from([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]));
/// assert_eq!(data::one_hot(&[1, 3], 3), Err(Error::Label { row: 1, label: 3, classes: 3 }));
/// # Ok::<(), backprop::Error>(())
/// ```
pub fn one_hot(labels: &[usize], classes: usize) -> Result<Matrix, Error> {
    if classes == 0 {
        return Err(Error::InvalidSetting {
            what: "classes",
            value: 0.0,
        });
    }
    if labels.is_empty() {
        return Err(Error::EmptyBatch);
    }
    if let Some((row, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        return Err(Error::Label {
            row,
            label,
            classes,
        });
    }
    // An error, not an abort, when the matrix cannot be allocated.
    let too_large = Error::InvalidSetting {
        what: "classes (the one-hot matrix is too large)",
        value: classes as f64,
    };
    let len = labels.len().checked_mul(classes).ok_or(too_large.clone())?;
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| too_large)?;
    data.resize(len, 0.0);
    for (row, &label) in labels.iter().enumerate() {
        data[row * classes + label] = 1.0;
    }
    Matrix::new(labels.len(), classes, data)
}

/// The class of each row: the column of its largest value (the first, if
/// several tie), or for a single column 1 where the value is ≥ ½ and 0
/// elsewhere. Applied to ŷ it is the prediction
/// ([`Network::predict_classes`](crate::Network::predict_classes)); to
/// one-hot targets it gives back the labels.
///
/// # Examples
///
/// ```
/// use backprop::{data, Matrix};
///
/// assert_eq!(data::classes(&Matrix::from([[0.1, 0.7, 0.2], [0.5, 0.5, 0.0]])), vec![1, 0]);
/// assert_eq!(data::classes(&Matrix::from([[0.5], [0.49]])), vec![1, 0]);
/// assert_eq!(data::classes(&data::one_hot(&[3, 1], 4)?), vec![3, 1]);
/// # Ok::<(), backprop::Error>(())
/// ```
#[must_use]
pub fn classes(m: &Matrix) -> Vec<usize> {
    if m.cols() == 1 {
        return m.iter().map(|&v| usize::from(v >= 0.5)).collect();
    }
    (0..m.rows())
        .map(|i| {
            let row = m.row(i);
            (1..row.len()).fold(0, |best, j| if row[j] > row[best] { j } else { best })
        })
        .collect()
}

/// The fraction of `predicted` equal to `labels`, in \[0, 1\].
///
/// # Errors
///
/// [`Error::EmptyBatch`] when there are none, and
/// [`Error::ShapeMismatch`] (`accuracy`) when the lengths differ.
///
/// # Examples
///
/// ```
/// use backprop::data;
///
/// assert_eq!(data::accuracy(&[1, 2, 0, 2], &[1, 2, 2, 2])?, 0.75);
/// assert!(data::accuracy(&[1], &[1, 2]).is_err());
/// # Ok::<(), backprop::Error>(())
/// ```
pub fn accuracy(predicted: &[usize], labels: &[usize]) -> Result<f64, Error> {
    if predicted.len() != labels.len() {
        return Err(Error::ShapeMismatch {
            op: "accuracy",
            left: (predicted.len(), 1),
            right: (labels.len(), 1),
        });
    }
    if labels.is_empty() {
        return Err(Error::EmptyBatch);
    }
    let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    Ok(right as f64 / labels.len() as f64)
}
