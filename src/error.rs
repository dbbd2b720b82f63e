//! The crate's one error type.

use std::fmt;

/// A `(rows, columns)` pair, as returned by [`Matrix::shape`](crate::Matrix::shape).
///
/// ```
/// let shape: backprop::Shape = backprop::Matrix::zeros(3, 2).shape();
/// assert_eq!(shape, (3, 2));
/// ```
pub type Shape = (usize, usize);

/// Everything that can go wrong in this crate, each variant carrying the
/// shapes, counts or positions involved.
///
/// Operations that take user data return `Result<_, Error>`; a call that
/// returns an `Err` leaves every value it was given, and the network it was
/// called on, exactly as they were.
///
/// # Examples
///
/// ```
/// use backprop::{Error, Matrix};
///
/// let err = Matrix::new(2, 2, vec![1.0, 2.0, 3.0]).unwrap_err();
/// assert_eq!(err, Error::DataLength { rows: 2, cols: 2, len: 3 });
/// assert_eq!(
///     err.to_string(),
///     "a 2×2 matrix needs 4 values, but 3 were given"
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// `Matrix::new` was given a data vector whose length is not `rows * cols`.
    DataLength {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Length of the data given.
        len: usize,
    },
    /// Rows given to [`Matrix::from_rows`](crate::Matrix::from_rows) differ
    /// in length.
    RaggedRows {
        /// The first row, from 0, whose length differs from row 0's.
        row: usize,
        /// The length of row 0.
        expected: usize,
        /// The length of that row.
        found: usize,
    },
    /// A matrix operation was given operands whose shapes do not fit.
    ShapeMismatch {
        /// The operation, as its method is named (`"dot"`, `"multiply"`, …).
        op: &'static str,
        /// Shape of the left operand (`self`).
        left: Shape,
        /// Shape of the right operand.
        right: Shape,
    },
    /// A layer of the network would have no units, or a weight matrix would
    /// be too large to address.
    InvalidSizes {
        /// Input, hidden and output sizes asked for.
        sizes: [usize; 3],
    },
    /// W(1) and W(2) do not chain: W(1) is inputs × hidden, W(2) must be
    /// hidden × outputs.
    WeightShapes {
        /// Shape of W(1).
        w1: Shape,
        /// Shape of W(2).
        w2: Shape,
    },
    /// A network was asked for with no weight matrices.
    NoLayers,
    /// W(l) does not chain onto the layer before it: it needs one row per
    /// unit of that layer (per input, for W(1)).
    LayerShapes {
        /// The layer, numbered from 1 as W(1), W(2), ….
        layer: usize,
        /// The rows W(l) needs.
        expected_rows: usize,
        /// The shape of W(l).
        found: Shape,
    },
    /// A layer of a [`Network`](crate::Network) would have no units, or a
    /// weight matrix would be too large to address.
    LayerSizes {
        /// Inputs, then the units of each layer, as asked for.
        sizes: Vec<usize>,
    },
    /// A bias b(l) is not `1 × units` of its layer.
    BiasShape {
        /// The layer, numbered from 1.
        layer: usize,
        /// `(1, units)`.
        expected: Shape,
        /// The shape given.
        found: Shape,
    },
    /// A layer number is not one of the network's.
    NoSuchLayer {
        /// The layer asked for, numbered from 1.
        layer: usize,
        /// The network's number of layers (weight matrices).
        depth: usize,
    },
    /// The input matrix X has no rows: there is no example to learn from.
    EmptyBatch,
    /// The input matrix X does not have one column per input of the network.
    InputColumns {
        /// The network's input size.
        expected: usize,
        /// Columns of X.
        found: usize,
    },
    /// The target matrix y does not have one row per row of X.
    TargetRows {
        /// Rows of X.
        expected: usize,
        /// Rows of y.
        found: usize,
    },
    /// The target matrix y does not have one column per output of the network.
    TargetColumns {
        /// The network's output size.
        expected: usize,
        /// Columns of y.
        found: usize,
    },
    /// A value is NaN or infinite.
    NonFinite {
        /// What holds the value: `"X"`, `"y"`, `"W(1)"`, `"W(2)"`,
        /// `"parameters"`, `"learning rate"`, `"epsilon"`, …
        what: &'static str,
        /// Position of the first offending value (row, column); for a flat
        /// vector or a scalar, the row is 0 and the column is the index.
        at: Shape,
    },
    /// A flat parameter vector has the wrong length.
    ParamCount {
        /// Number of weights in the network.
        expected: usize,
        /// Length of the vector given.
        found: usize,
    },
    /// A gradient matrix does not have the shape of its weight matrix.
    GradientShape {
        /// `"dJ/dW(1)"` or `"dJ/dW(2)"`.
        what: &'static str,
        /// Shape of the weight matrix.
        expected: Shape,
        /// Shape of the gradient given.
        found: Shape,
    },
    /// A scalar setting is out of its range (for example a step size that is
    /// not positive).
    InvalidSetting {
        /// The setting's name.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// Finite inputs led to a quantity too large for `f64` (for example
    /// weights near `f64::MAX`), so the result would be infinite or NaN.
    Overflow {
        /// The quantity that overflowed, named as in the derivation
        /// (`"z(2)"`, `"J"`, `"dJ/dW(1)"`, …).
        what: &'static str,
    },
    /// A layer's activation cannot serve where it is, or has no derived
    /// δ(L) under the network's cost: softmax on a hidden layer, softmax
    /// with a cost other than cross-entropy, or cross-entropy over an
    /// output that is neither sigmoid nor softmax.
    Unsupported {
        /// The layer, numbered from 1 as W(l) is.
        layer: usize,
        /// Its activation.
        activation: crate::Activation,
        /// The network's cost, named.
        cost: &'static str,
        /// Why the pair is refused.
        reason: &'static str,
    },
    /// A target of cross-entropy lies outside \[0, 1\].
    TargetRange {
        /// Position of the first such target (row, column).
        at: Shape,
        /// Its value.
        value: f64,
    },
    /// A class label is not below the number of classes.
    Label {
        /// The example, from 0.
        row: usize,
        /// Its label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A saved network or scaling could not be read: what is wrong, and on
    /// which line of the text (numbered from 1).
    Load {
        /// The line where the problem is, from 1.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// Reading or writing a saved network or scaling failed.
    Io {
        /// The kind of failure, as [`std::io::Error::kind`] gives it.
        kind: std::io::ErrorKind,
        /// The failure as the I/O error describes it.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DataLength { rows, cols, len } => write!(
                f,
                "a {rows}×{cols} matrix needs {} values, but {len} were given",
                rows * cols
            ),
            Error::RaggedRows {
                row,
                expected,
                found,
            } => write!(
                f,
                "row {row} has {found} values, but row 0 has {expected}: every row needs the same length"
            ),
            Error::ShapeMismatch { op, left, right } => write!(
                f,
                "{op}: shapes {}×{} and {}×{} do not fit",
                left.0, left.1, right.0, right.1
            ),
            Error::InvalidSizes { sizes } => write!(
                f,
                "layer sizes (input, hidden, output) = {sizes:?}: each layer needs at least one unit \
                 and each weight matrix must fit in memory"
            ),
            Error::WeightShapes { w1, w2 } => write!(
                f,
                "W(1) is {}×{} and W(2) is {}×{}: W(2) needs one row per column of W(1)",
                w1.0, w1.1, w2.0, w2.1
            ),
            Error::NoLayers => f.write_str("a network needs at least one weight matrix"),
            Error::LayerShapes {
                layer,
                expected_rows,
                found,
            } => write!(
                f,
                "W({layer}) is {}×{}, but the layer before it has {expected_rows} units: \
                 W({layer}) needs {expected_rows} rows",
                found.0, found.1
            ),
            Error::LayerSizes { sizes } => write!(
                f,
                "layer sizes {sizes:?}: a network needs inputs and at least one layer, each \
                 with at least one unit, and each weight matrix must fit in memory"
            ),
            Error::BiasShape {
                layer,
                expected,
                found,
            } => write!(
                f,
                "b({layer}) is {}×{}, but layer {layer} needs a {}×{} bias",
                found.0, found.1, expected.0, expected.1
            ),
            Error::NoSuchLayer { layer, depth } => write!(
                f,
                "there is no layer {layer}: the network's layers are numbered 1 to {depth}"
            ),
            Error::EmptyBatch => f.write_str("X has no rows: a batch needs at least one example"),
            Error::InputColumns { expected, found } => write!(
                f,
                "X has {found} columns, but the network has {expected} inputs"
            ),
            Error::TargetRows { expected, found } => write!(
                f,
                "y has {found} rows, but X has {expected}: one target row per example"
            ),
            Error::TargetColumns { expected, found } => write!(
                f,
                "y has {found} columns, but the network has {expected} outputs"
            ),
            Error::NonFinite { what, at } => write!(
                f,
                "{what} holds a NaN or infinite value at ({}, {})",
                at.0, at.1
            ),
            Error::ParamCount { expected, found } => {
                write!(f, "expected {expected} parameters, but {found} were given")
            }
            Error::GradientShape {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what} is {}×{}, but its weight matrix is {}×{}",
                found.0, found.1, expected.0, expected.1
            ),
            Error::InvalidSetting { what, value } => {
                write!(f, "{what} = {value} is out of range")
            }
            Error::Overflow { what } => write!(
                f,
                "{what} overflowed f64: the weights or data are too large"
            ),
            Error::Unsupported {
                layer,
                activation,
                cost,
                reason,
            } => write!(
                f,
                "layer {layer} applies {activation} under {cost}: {reason}"
            ),
            Error::TargetRange { at, value } => write!(
                f,
                "y holds {value} at ({}, {}): cross-entropy needs targets in [0, 1]",
                at.0, at.1
            ),
            Error::Label {
                row,
                label,
                classes,
            } => write!(
                f,
                "label {label} of example {row} is not below the number of classes, {classes}"
            ),
            Error::Load { line, reason } => write!(f, "line {line}: {reason}"),
            Error::Io { message, .. } => write!(f, "I/O error: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_shapes() {
        let e = Error::ShapeMismatch {
            op: "dot",
            left: (3, 2),
            right: (3, 1),
        };
        assert_eq!(e.to_string(), "dot: shapes 3×2 and 3×1 do not fit");
    }

    #[test]
    fn is_a_std_error() {
        fn takes(_: &dyn std::error::Error) {}
        takes(&Error::EmptyBatch);
    }
}
