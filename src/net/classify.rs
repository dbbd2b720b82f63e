//! A network as a classifier: the class it predicts for each example, and
//! how often that is right.

use crate::data::{DataSet, accuracy, classes};
use crate::error::Error;
use crate::matrix::Matrix;
use crate::net::network::Network;

impl Network {
    /// The class predicted for each row of X: the index of the largest
    /// output, or with a single output 1 where ŷ ≥ ½ and 0 elsewhere (see
    /// [`data::classes`](crate::data::classes)).
    ///
    /// # Errors
    ///
    /// Those of [`forward`](Self::forward).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, Network};
    ///
    /// // One input, two classes: the first output grows with x, the second falls.
    /// let net = Network::from_weights(vec![Matrix::from([[4.0, -4.0]])])?;
    /// assert_eq!(net.predict_classes(&Matrix::from([[1.0], [-1.0]]))?, vec![0, 1]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn predict_classes(&self, x: &Matrix) -> Result<Vec<usize>, Error> {
        Ok(classes(&self.forward(x)?))
    }

    /// The fraction of the examples whose predicted class
    /// ([`predict_classes`](Self::predict_classes)) is the class of their
    /// target row (one-hot rows, or single targets of 0 and 1).
    ///
    /// # Errors
    ///
    /// Those of [`forward`](Self::forward), and [`Error::TargetColumns`]
    /// when y does not have one column per output.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, DataSet, Matrix, Network};
    ///
    /// let net = Network::from_weights(vec![Matrix::from([[4.0, -4.0]])])?;
    /// let d = DataSet::new(Matrix::from([[1.0], [-1.0], [2.0]]), data::one_hot(&[0, 1, 1], 2)?)?;
    /// assert_eq!(net.accuracy(&d)?, 2.0 / 3.0);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn accuracy(&self, data: &DataSet) -> Result<f64, Error> {
        if data.y.cols() != self.output_size() {
            return Err(Error::TargetColumns {
                expected: self.output_size(),
                found: data.y.cols(),
            });
        }
        accuracy(&self.predict_classes(&data.x)?, &classes(&data.y))
    }
}
