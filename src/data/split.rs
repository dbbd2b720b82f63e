//! Shuffling a data set and splitting it into training and testing sets,
//! by seed, with stratification as an option.

use super::{DataSet, classes};
use crate::error::Error;
use crate::matrix::Matrix;
use crate::rng::Rng;

impl DataSet {
    /// The examples at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    ///
    /// If an index is not below [`len`](Self::len), as slice indexing does.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::data;
    ///
    /// let d = data::part1();
    /// assert_eq!(d.select(&[2, 0]).y, backprop::Matrix::from([[93.0], [75.0]]));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> DataSet {
        let rows = |m: &Matrix| {
            let mut data = Vec::with_capacity(indices.len() * m.cols());
            for &i in indices {
                data.extend_from_slice(m.row(i));
            }
            Matrix::new(indices.len(), m.cols(), data).expect("whole rows were copied")
        };
        DataSet {
            x: rows(&self.x),
            y: rows(&self.y),
        }
    }

    /// The examples in an order shuffled from `seed`: the same seed always
    /// gives the same order.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::data;
    ///
    /// let d = data::part7_training();
    /// let s = d.shuffled(1);
    /// assert_eq!(s.len(), d.len());
    /// assert_eq!(s, d.shuffled(1));
    /// ```
    #[must_use]
    pub fn shuffled(&self, seed: u64) -> DataSet {
        let mut order: Vec<usize> = (0..self.len()).collect();
        shuffle(&mut order, &mut Rng::new(seed));
        self.select(&order)
    }

    /// (training, testing): the examples shuffled from `seed`, then the
    /// first ⌈`test_fraction`·N⌉ for testing (as scikit-learn's
    /// `train_test_split` counts them) and the rest for training.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the test fraction when it is not
    /// strictly between 0 and 1 or leaves either set empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::data;
    ///
    /// let (train, test) = data::part7_training().split(0.25, 3)?;
    /// assert_eq!((train.len(), test.len()), (3, 1));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(DataSet, DataSet), Error> {
        let n_test = self.test_count(test_fraction)?;
        let mut order: Vec<usize> = (0..self.len()).collect();
        shuffle(&mut order, &mut Rng::new(seed));
        let (test, train) = order.split_at(n_test);
        Ok((self.select(train), self.select(test)))
    }

    /// As [`split`](Self::split), but each class (the class of each row of
    /// y, see [`data::classes`](crate::data::classes())) is split in the same
    /// proportion, so that both sets keep the classes' shares: class c of
    /// N_c examples gives ⌊N_c·T/N⌋ of the T testing examples, and the
    /// ones left go to the classes with the largest remainders. Both sets
    /// are then shuffled.
    ///
    /// # Errors
    ///
    /// Those of [`split`](Self::split).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, DataSet, Matrix};
    ///
    /// let labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    /// let d = DataSet::new(Matrix::zeros(10, 1), data::one_hot(&labels, 2)?)?;
    /// let (train, test) = d.split_stratified(0.5, 0)?;
    /// let count = |d: &DataSet, c| data::classes(&d.y).iter().filter(|&&k| k == c).count();
    /// assert_eq!((count(&test, 0), count(&test, 1)), (3, 2));
    /// assert_eq!((count(&train, 0), count(&train, 1)), (3, 2));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn split_stratified(
        &self,
        test_fraction: f64,
        seed: u64,
    ) -> Result<(DataSet, DataSet), Error> {
        let n_test = self.test_count(test_fraction)?;
        let labels = classes(&self.y);
        let count = labels.iter().max().map_or(0, |&c| c + 1);
        let mut members = vec![Vec::new(); count];
        for (i, &c) in labels.iter().enumerate() {
            members[c].push(i);
        }
        // ⌊N_c·T/N⌋ each, then one more to the largest remainders (the
        // first class first where they tie).
        let n = self.len();
        let mut quota: Vec<usize> = members.iter().map(|m| m.len() * n_test / n).collect();
        let mut left = n_test - quota.iter().sum::<usize>();
        let mut by_remainder: Vec<usize> = (0..count).collect();
        by_remainder.sort_by_key(|&c| std::cmp::Reverse(members[c].len() * n_test % n));
        for &c in by_remainder.iter().cycle().take(count * 2) {
            if left == 0 {
                break;
            }
            if quota[c] < members[c].len() {
                quota[c] += 1;
                left -= 1;
            }
        }
        let mut rng = Rng::new(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (m, q) in members.iter_mut().zip(&quota) {
            shuffle(m, &mut rng);
            test.extend_from_slice(&m[..*q]);
            train.extend_from_slice(&m[*q..]);
        }
        shuffle(&mut train, &mut rng);
        shuffle(&mut test, &mut rng);
        Ok((self.select(&train), self.select(&test)))
    }

    /// ⌈`test_fraction`·N⌉, if it leaves both sets some examples.
    fn test_count(&self, test_fraction: f64) -> Result<usize, Error> {
        let n = self.len();
        let n_test = (test_fraction * n as f64).ceil();
        if test_fraction > 0.0 && test_fraction < 1.0 && n_test >= 1.0 && n_test < n as f64 {
            Ok(n_test as usize)
        } else {
            Err(Error::InvalidSetting {
                what: "test fraction",
                value: test_fraction,
            })
        }
    }
}

/// Fisher–Yates, from the seeded generator.
pub(crate) fn shuffle(order: &mut [usize], rng: &mut Rng) {
    for k in (1..order.len()).rev() {
        order.swap(k, rng.below(k + 1));
    }
}
