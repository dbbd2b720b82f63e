//! Scaling data into the activations' range and predictions back out.

use crate::data::DataSet;
use crate::error::Error;
use crate::matrix::{Matrix, all_finite, check_finite};

/// How the columns of X or of y are scaled: each value v of column j
/// becomes (v − shiftⱼ) / divisorⱼ, with the shifts and divisors taken from
/// the data [`Scaling::fit`] is given.
///
/// # Examples
///
/// ```
/// use backprop::{DataSet, Matrix, Scale, Scaling};
///
/// let d = DataSet::new(Matrix::from([[-4.0], [2.0]]), Matrix::from([[10.0], [30.0]]))?;
/// let s = Scaling::fit(&d, Scale::MaxAbs, Scale::MinMax)?;
/// let scaled = s.apply(&d)?;
/// assert_eq!(scaled.x.as_slice(), &[-1.0, 0.5]);
/// assert_eq!(scaled.y.as_slice(), &[0.0, 1.0]);
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Scale {
    /// v / max |v|: each column into \[−1, 1\], its largest magnitude to
    /// ±1. For the series' positive data this is its division by the
    /// column maxima. A column of zeros is left as it is.
    #[default]
    MaxAbs,
    /// (v − min) / (max − min): each column onto \[0, 1\]. A constant
    /// column becomes 0.
    MinMax,
    /// v unchanged.
    Unscaled,
}

impl Scale {
    /// The name used in saved scalings: `max-abs`, `min-max` or `unscaled`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(backprop::Scale::MinMax.name(), "min-max");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Scale::MaxAbs => "max-abs",
            Scale::MinMax => "min-max",
            Scale::Unscaled => "unscaled",
        }
    }

    /// Every scale, in declaration order.
    pub(crate) const ALL: [Scale; 3] = [Scale::MaxAbs, Scale::MinMax, Scale::Unscaled];
}

/// One side's scaling: its kind and, per column, the shift and the divisor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Columns {
    pub(crate) scale: Scale,
    pub(crate) shift: Vec<f64>,
    pub(crate) divisor: Vec<f64>,
}

impl Columns {
    fn fit(m: &Matrix, scale: Scale, what: &'static str) -> Result<Columns, Error> {
        let column = |j: usize| (0..m.rows()).map(move |i| m[(i, j)]);
        let (shift, divisor) = (0..m.cols())
            .map(|j| match scale {
                Scale::MaxAbs => (0.0, column(j).fold(0.0, |a: f64, v| a.max(v.abs()))),
                Scale::MinMax => {
                    let min = column(j).fold(f64::INFINITY, f64::min);
                    let max = column(j).fold(f64::NEG_INFINITY, f64::max);
                    (min, max - min)
                }
                Scale::Unscaled => (0.0, 1.0),
            })
            // A constant column has nothing to stretch: divide by 1.
            .map(|(shift, divisor)| (shift, if divisor == 0.0 { 1.0 } else { divisor }))
            .unzip::<_, _, Vec<f64>, Vec<f64>>();
        if !all_finite(&divisor) {
            return Err(Error::Overflow { what });
        }
        Ok(Columns {
            scale,
            shift,
            divisor,
        })
    }

    /// Checks that shifts and divisors can scale: finite, divisors > 0,
    /// and no shift for `max-abs` or `unscaled`. An error says whether the
    /// shifts (1) or the divisors (2) are wrong, and how.
    pub(crate) fn validated(self) -> Result<Columns, (usize, &'static str)> {
        let shifted = self.shift.iter().any(|&s| s != 0.0);
        if !all_finite(&self.shift) {
            Err((1, "shifts must be finite"))
        } else if shifted && self.scale != Scale::MinMax {
            Err((1, "only a min-max scaling has shifts"))
        } else if !all_finite(&self.divisor) || self.divisor.iter().any(|&d| d <= 0.0) {
            Err((2, "divisors must be finite and greater than 0"))
        } else if self.scale == Scale::Unscaled && self.divisor.iter().any(|&d| d != 1.0) {
            Err((2, "an unscaled side divides by 1"))
        } else {
            Ok(self)
        }
    }

    fn map(
        &self,
        m: &Matrix,
        f: impl Fn(f64, f64, f64) -> f64,
        what: &'static str,
        result: &'static str,
    ) -> Result<Matrix, Error> {
        check_finite(m, what)?;
        let out = Matrix::from_fn(m.rows(), m.cols(), |i, j| {
            f(m[(i, j)], self.shift[j], self.divisor[j])
        });
        if all_finite(out.as_slice()) {
            Ok(out)
        } else {
            Err(Error::Overflow { what: result })
        }
    }
}

/// A scaling fitted to a data set: applied to it and to every new input,
/// and inverted on predictions. Fit it to the *training* set, as Part 7
/// does, so that testing data is scaled the same way.
///
/// It saves beside the network ([`Scaling::save`]).
///
/// # Examples
///
/// ```
/// use backprop::{data, Scale, Scaling};
///
/// let raw = data::part1();
/// let s = Scaling::fit(&raw, Scale::MaxAbs, Scale::MaxAbs)?;
/// let d = s.apply(&raw)?;
/// assert_eq!(d.x.row(0), &[0.3, 1.0]); // 3 h / 10 h, 5 h / 5 h
/// assert_eq!(s.unscale_y(&d.y)?, raw.y);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    pub(crate) x: Columns,
    pub(crate) y: Columns,
}

impl Scaling {
    /// The scaling that takes `data`'s X by `x` and its y by `y`.
    ///
    /// # Errors
    ///
    /// - [`Error::EmptyBatch`] when `data` has no examples;
    /// - [`Error::NonFinite`] naming `X` or `y` for NaN or ∞;
    /// - [`Error::Overflow`] when a column spans more than `f64` holds
    ///   (max − min beyond `f64::MAX`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{DataSet, Matrix, Scale, Scaling};
    ///
    /// let d = DataSet::new(Matrix::from([[1.0, 5.0], [3.0, 5.0]]), Matrix::from([[0.0], [8.0]]))?;
    /// let s = Scaling::fit(&d, Scale::MinMax, Scale::Unscaled)?;
    /// assert_eq!(s.scale_x(&Matrix::from([[2.0, 5.0]]))?.as_slice(), &[0.5, 0.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn fit(data: &DataSet, x: Scale, y: Scale) -> Result<Scaling, Error> {
        if data.x.rows() == 0 {
            return Err(Error::EmptyBatch);
        }
        check_finite(&data.x, "X")?;
        check_finite(&data.y, "y")?;
        Ok(Scaling {
            x: Columns::fit(&data.x, x, "the range of a column of X")?,
            y: Columns::fit(&data.y, y, "the range of a column of y")?,
        })
    }

    /// `data` with X and y scaled.
    ///
    /// # Errors
    ///
    /// Those of [`Scaling::scale_x`] and [`Scaling::scale_y`].
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part7_training(), Scale::MaxAbs, Scale::MaxAbs)?;
    /// let test = s.apply(&data::part7_testing())?;
    /// assert_eq!(test.x.row(0), &[0.4, 1.1]); // 5.5 h is above the training maximum
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn apply(&self, data: &DataSet) -> Result<DataSet, Error> {
        Ok(DataSet {
            x: self.scale_x(&data.x)?,
            y: self.scale_y(&data.y)?,
        })
    }

    /// Inputs scaled as the network was trained on: (x − shift) / divisor
    /// per column.
    ///
    /// # Errors
    ///
    /// - [`Error::InputColumns`] when `x` has another number of columns;
    /// - [`Error::NonFinite`] naming `X` for NaN or ∞;
    /// - [`Error::Overflow`] naming `scaled X` when a value would leave
    ///   `f64`'s range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Matrix, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::MaxAbs)?;
    /// assert_eq!(s.scale_x(&Matrix::from([[5.0, 2.5]]))?.as_slice(), &[0.5, 0.5]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn scale_x(&self, x: &Matrix) -> Result<Matrix, Error> {
        let expected = self.x.shift.len();
        if x.cols() != expected {
            return Err(Error::InputColumns {
                expected,
                found: x.cols(),
            });
        }
        self.x.map(x, |v, s, d| (v - s) / d, "X", "scaled X")
    }

    /// Targets scaled as the network was trained on.
    ///
    /// # Errors
    ///
    /// [`Error::TargetColumns`], [`Error::NonFinite`] naming `y`, or
    /// [`Error::Overflow`] naming `scaled y`, as for [`Scaling::scale_x`].
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Matrix, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::MaxAbs)?;
    /// assert_eq!(s.scale_y(&Matrix::from([[93.0]]))?.as_slice(), &[1.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn scale_y(&self, y: &Matrix) -> Result<Matrix, Error> {
        self.check_y(y)?;
        self.y.map(y, |v, s, d| (v - s) / d, "y", "scaled y")
    }

    /// Predictions in the units of the original y: ŷ·divisor + shift per
    /// column, the inverse of [`Scaling::scale_y`].
    ///
    /// # Errors
    ///
    /// [`Error::TargetColumns`], [`Error::NonFinite`] naming `y`, or
    /// [`Error::Overflow`] naming `unscaled y`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Matrix, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::MaxAbs)?;
    /// assert_eq!(s.unscale_y(&Matrix::from([[0.5]]))?.as_slice(), &[46.5]); // of 93 points
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn unscale_y(&self, y_hat: &Matrix) -> Result<Matrix, Error> {
        self.check_y(y_hat)?;
        self.y.map(y_hat, |v, s, d| v * d + s, "y", "unscaled y")
    }

    fn check_y(&self, y: &Matrix) -> Result<(), Error> {
        let expected = self.y.shift.len();
        if y.cols() == expected {
            Ok(())
        } else {
            Err(Error::TargetColumns {
                expected,
                found: y.cols(),
            })
        }
    }

    /// How X is scaled, and its per-column shifts and divisors.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::Unscaled)?;
    /// assert_eq!(s.x(), (Scale::MaxAbs, &[0.0, 0.0][..], &[10.0, 5.0][..]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn x(&self) -> (Scale, &[f64], &[f64]) {
        (self.x.scale, &self.x.shift, &self.x.divisor)
    }

    /// How y is scaled, and its per-column shifts and divisors.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::MinMax)?;
    /// assert_eq!(s.y(), (Scale::MinMax, &[75.0][..], &[18.0][..]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn y(&self) -> (Scale, &[f64], &[f64]) {
        (self.y.scale, &self.y.shift, &self.y.divisor)
    }
}
