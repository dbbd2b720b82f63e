//! The gradients the networks return: a [`TwoLayerNet`](crate::TwoLayerNet)'s
//! pair and a [`Network`](crate::Network)'s list.

use crate::matrix::Matrix;

/// ∂J/∂W(1) and ∂J/∂W(2), each the shape of its weight matrix: the series'
/// `costFunctionPrime` (`dJdW1`, `dJdW2`).
///
/// # Examples
///
/// ```
/// use backprop::{data, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let net = TwoLayerNet::random(2, 3, 1, 1)?;
/// let g = net.gradients(&d.x, &d.y)?;
/// assert_eq!(g.dj_dw1.shape(), (2, 3));
/// assert_eq!(g.dj_dw2.shape(), (3, 1));
/// assert_eq!(g.to_vec().len(), 9);
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// ∂J/∂W(1) = Xᵀ·δ(2), `input_size × hidden_size`.
    pub dj_dw1: Matrix,
    /// ∂J/∂W(2) = a(2)ᵀ·δ(3), `hidden_size × output_size`.
    pub dj_dw2: Matrix,
}

impl Gradients {
    /// Both gradients unrolled into one vector in the order of
    /// [`TwoLayerNet::params`](crate::TwoLayerNet::params): ∂J/∂W(1) row by row, then ∂J/∂W(2) (the
    /// series' `computeGradients`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Gradients, Matrix};
    ///
    /// let g = Gradients {
    ///     dj_dw1: Matrix::from([[1.0, 2.0], [3.0, 4.0]]),
    ///     dj_dw2: Matrix::from([[5.0], [6.0]]),
    /// };
    /// assert_eq!(g.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// ```
    #[must_use]
    pub fn to_vec(&self) -> Vec<f64> {
        [self.dj_dw1.as_slice(), self.dj_dw2.as_slice()].concat()
    }
}

/// ∂J/∂W(l) for every layer, and ∂J/∂b(l) where layer l has a bias, in
/// layer order: index `k` is layer k + 1, each the shape of its parameter.
///
/// # Examples
///
/// ```
/// use backprop::{data, Activation, Network};
///
/// let d = data::part1_normalised();
/// let net = Network::builder(2).biased_layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
/// let g = net.gradients(&d.x, &d.y)?;
/// assert_eq!(g.dj_dw[0].shape(), (2, 3));
/// assert_eq!(g.dj_db[0].as_ref().unwrap().shape(), (1, 3));
/// assert!(g.dj_db[1].is_none());
/// assert_eq!(g.to_vec().len(), 6 + 3 + 3);
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkGradients {
    /// ∂J/∂W(l) = a(l)ᵀ·δ(l+1), the shape of W(l).
    pub dj_dw: Vec<Matrix>,
    /// ∂J/∂b(l) = Σ over examples of δ(l+1), `1 × units`, where layer l has
    /// a bias.
    pub dj_db: Vec<Option<Matrix>>,
}

impl NetworkGradients {
    /// Every gradient unrolled into one vector, in the order of
    /// [`Network::params`](crate::Network::params): for each layer
    /// ∂J/∂W(l) row by row, then ∂J/∂b(l) where it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, NetworkGradients};
    ///
    /// let g = NetworkGradients {
    ///     dj_dw: vec![Matrix::from([[1.0, 2.0]]), Matrix::from([[4.0], [5.0]])],
    ///     dj_db: vec![Some(Matrix::from([[3.0, 3.5]])), None],
    /// };
    /// assert_eq!(g.to_vec(), vec![1.0, 2.0, 3.0, 3.5, 4.0, 5.0]);
    /// ```
    #[must_use]
    pub fn to_vec(&self) -> Vec<f64> {
        let mut all = Vec::new();
        for (w, b) in self.dj_dw.iter().zip(&self.dj_db) {
            all.extend_from_slice(w.as_slice());
            all.extend_from_slice(b.as_ref().map_or(&[][..], Matrix::as_slice));
        }
        all
    }
}
