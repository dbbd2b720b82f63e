//! What a network accepts of a batch: X and y that fit it, finite, and
//! targets its cost can read.

use crate::error::Error;
use crate::matrix::{Matrix, check_finite};
use crate::net::network::Network;

impl Network {
    pub(crate) fn check_x(&self, x: &Matrix) -> Result<(), Error> {
        self.check_x_shape(x)?;
        check_finite(x, "X")
    }

    pub(super) fn check_x_shape(&self, x: &Matrix) -> Result<(), Error> {
        if x.cols() != self.input_size() {
            return Err(Error::InputColumns {
                expected: self.input_size(),
                found: x.cols(),
            });
        }
        if x.rows() == 0 {
            return Err(Error::EmptyBatch);
        }
        Ok(())
    }

    pub(crate) fn check_xy(&self, x: &Matrix, y: &Matrix) -> Result<(), Error> {
        self.check_shapes(x, y)?;
        check_finite(x, "X")?;
        check_finite(y, "y")
    }

    /// Under cross-entropy, rejects a finite target outside [0, 1], whose
    /// ln-likelihood means nothing (NaN and ∞ are named as non-finite).
    pub(crate) fn check_targets(&self, y: &Matrix) -> Result<(), Error> {
        if !self.cost_function().is_cross_entropy() {
            return Ok(());
        }
        match y
            .iter()
            .position(|v| v.is_finite() && !(0.0..=1.0).contains(v))
        {
            Some(k) => Err(Error::TargetRange {
                at: (k / y.cols(), k % y.cols()),
                value: y.as_slice()[k],
            }),
            None => Ok(()),
        }
    }

    /// The checks of [`check_xy`](Self::check_xy) but for NaN and ∞.
    pub(super) fn check_shapes(&self, x: &Matrix, y: &Matrix) -> Result<(), Error> {
        self.check_x_shape(x)?;
        if y.rows() != x.rows() {
            return Err(Error::TargetRows {
                expected: x.rows(),
                found: y.rows(),
            });
        }
        if y.cols() != self.output_size() {
            return Err(Error::TargetColumns {
                expected: self.output_size(),
                found: y.cols(),
            });
        }
        Ok(())
    }
}
